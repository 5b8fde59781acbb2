# Set-up and everyday tasks. `make demo` and `make test` install everything
# they need (Debian packages for WeasyPrint, a virtual environment with the
# package and its test tools) before they run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LANGS ?= en,es,ar,zh_Hans,vi

.PHONY: install lock demo test check lint catalogs clean

# The package's own modules compiled once (an editable install leaves them as
# source, and a shell with PYTHONDONTWRITEBYTECODE set would compile them again
# at every start of every command); a stale one is recompiled.
BYTECODE = $(BIN)/python -m compileall -q src

install: $(VENV)/.installed

# Exact versions with hashes (requirements.lock): every machine gets the same
# packages, so the same inputs give the same bytes. `make lock` refreshes the
# lock on purpose; nothing else changes it.
$(VENV)/.installed: pyproject.toml requirements.lock scripts/install-system-packages
	scripts/install-system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BYTECODE)
	touch $@

lock: install
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --upgrade \
	  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	  --custom-compile-command 'make lock' -o requirements.lock

demo: install
	$(BYTECODE)
	$(BIN)/leafletgen build --all --lang $(LANGS) --html --out out

test: install
	$(BYTECODE)
	$(BIN)/python -m pytest

# The everyday loop: lint, then every test not marked slow (under 90 s).
check: lint
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

catalogs: install
	$(BIN)/leafletgen i18n extract
	$(BIN)/leafletgen i18n update
	$(BIN)/leafletgen i18n compile
	$(BIN)/leafletgen i18n glossary

clean:
	rm -rf out $(VENV) .pytest_cache
