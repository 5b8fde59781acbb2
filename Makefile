# Set-up and everyday tasks. `make demo` and `make test` install everything
# they need (Debian packages for WeasyPrint, a virtual environment with the
# package and its test tools) before they run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LANGS ?= en,es,ar,zh_Hans,vi

.PHONY: install demo test lint catalogs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install-system-packages
	scripts/install-system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/leafletgen build --all --lang $(LANGS) --html --out out

test: install
	$(BIN)/python -m pytest

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
