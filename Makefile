# Thin aliases for the npm scripts; package.json is the truth.
.PHONY: deps test check fmt fmt-check schemas bench soak demo mutate

deps:
	@bash scripts/ensure-deps.sh

test: deps
	npm test

check: deps
	npm run check

# dprint (dprint.json); `make fmt FILES="src/a.ts test/b.ts"` formats only those files.
fmt: deps
	npm run fmt -- $(FILES)

fmt-check: deps
	npm run fmt:check -- $(FILES)

schemas: deps
	npm run schemas

bench: deps
	npm run bench

# The chaos soak (bench/README.md): `make soak SOAK_ARGS="--minutes 1 --seed 7"`.
soak: deps
	npm run soak -- $(SOAK_ARGS)

demo: deps
	npm run demo

# Mutation testing of the safety rules (stryker.safety.config.mjs), then of the pure core
# (stryker.config.mjs); not part of `make test`. Incremental: a rerun tests only the mutants whose
# code or tests changed; `MUTATE_ARGS=--force` tests all of them again.
mutate: deps
	npm run mutate:safety -- $(MUTATE_ARGS)
	npm run mutate:core -- $(MUTATE_ARGS)
