# permanence — `make run` for the demo, `make test` for every test. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# playwright-core for the browser tests (tests/browser), from its lock file; it downloads no browser.
BROWSER_STAMP := tests/browser/node_modules/.package-lock.json

.PHONY: help deps venv browser asterisk run test unit lint bench prompts sandbox-stop clean

help:
	@echo "make run    - install what is missing, start Asterisk and permanence with a demo client"
	@echo "make test   - install what is missing, run lint and every test (real Asterisk included)"
	@echo "make bench  - benchmarks: figure, baseline and ratio measured in the same run"
	@echo "make asterisk - build the Asterisk sandbox root (cached outside the checkout)"

deps:
	@scripts/install-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(BROWSER_STAMP): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --silent
	touch $(BROWSER_STAMP)

browser: deps $(BROWSER_STAMP)

asterisk: deps
	@scripts/asterisk-bootstrap >/dev/null

run: deps venv asterisk
	@scripts/run-demo

lint: venv
	$(BIN)/ruff check .

unit: venv browser
	$(BIN)/pytest -m "not asterisk"

test: deps venv browser asterisk lint
	$(BIN)/pytest

bench: deps venv
	$(BIN)/python -m bench

prompts:
	scripts/make-prompts

sandbox-stop:
	PERMANENCE_CONFIG=var/demo.toml scripts/asterisk-sandbox stop

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info tests/browser/node_modules
