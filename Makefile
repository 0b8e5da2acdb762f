# Narrascope: `make demo` analyzes the bundled example; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= out/kazakhstan.db

.PHONY: demo test lint venv system-deps clean

$(BIN)/narrascope: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,train,nlp,scale]'
	touch $@

venv: $(BIN)/narrascope

demo: venv
	mkdir -p out
	$(BIN)/narrascope analyze examples/kazakhstan-2022 --db $(DB)
	$(BIN)/narrascope stats --db $(DB)
	$(BIN)/narrascope report --out out/report --db $(DB)
	@echo
	@echo "Results:  database $(DB)"
	@echo "          report   out/report/index.html (static, offline)"
	@echo "Look:     $(BIN)/narrascope list --db $(DB); $(BIN)/narrascope show ID --db $(DB)"
	@echo "Browse:   $(BIN)/narrascope serve --db $(DB)"

# The browser tests drive Debian's chromium and the PostgreSQL tests start Debian's server;
# both skip without them, so a non-root machine still runs everything else.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "not installed:$$missing (their tests will skip)"; fi; \
	fi

test: venv system-deps
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf out .pytest_cache
