# Thin aliases for the npm scripts; package.json is the truth.
.PHONY: deps test check schemas bench demo

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

demo: deps
	npm run demo
