# Thin aliases for the npm scripts; package.json is the truth.
.PHONY: deps test check schemas bench soak demo

deps:
	@bash scripts/ensure-deps.sh

test: deps
	npm test

check: deps
	npm run check

schemas: deps
	npm run schemas

bench: deps
	npm run bench

# The chaos soak (bench/README.md): `make soak SOAK_ARGS="--minutes 1 --seed 7"`.
soak: deps
	npm run soak -- $(SOAK_ARGS)

demo: deps
	npm run demo
