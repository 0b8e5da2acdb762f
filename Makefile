# Narrascope: `make demo` analyzes the bundled example; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= out/kazakhstan.db

.PHONY: demo test lint venv clean

$(BIN)/narrascope: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,train,nlp]'
	touch $@

venv: $(BIN)/narrascope

demo: venv
	mkdir -p out
	$(BIN)/narrascope analyze examples/kazakhstan-2022 --db $(DB)
	$(BIN)/narrascope stats --db $(DB)
	@echo "Results: $(DB)  (try: $(BIN)/narrascope list --db $(DB))"

test: venv
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf out .pytest_cache
