# formservice: every target installs what it needs (Debian packages as root, Python packages in .venv).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export FORMSERVICE_DATA_DIR ?= $(CURDIR)/var

# Debian packages by purpose. `make system-deps` installs whichever are missing.
# fonts-droid-fallback (Chinese, Japanese) and fonts-nanum (Korean) give form values in those
# scripts a TrueType font to embed (documents/forms/fonts.py), beside Noto and DejaVu.
DEB_DOCS := libreoffice-writer-nogui python3-uno fonts-noto-core fonts-noto-color-emoji \
            fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2 fonts-dejavu-core \
            fonts-droid-fallback fonts-nanum
DEB_OCR := tesseract-ocr tesseract-ocr-eng poppler-utils
DEB_TEST := pdftk-java chromium
# Only `make bench` needs it (bench/request_instructions.py counts instructions under cachegrind).
DEB_BENCH := valgrind
DEB_ALL := $(DEB_DOCS) $(DEB_OCR) $(DEB_TEST)

.PHONY: help venv system-deps run test screenshots lint bench fmt clean

help:
	@echo "make run    - install, load samples, print an API key, serve on http://$(HOST):$(PORT) (PORT=5001 to change)"
	@echo "make test   - install everything the tests need and run them"
	@echo "make lint   - ruff check, ruff format --check, mypy, import-linter layer contracts"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make screenshots - retake the README's pictures in docs/img/ (browser tests)"

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@missing=$$(for p in $(DEB_ALL); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages: $$missing"; \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null || { echo "apt-get install failed for: $$missing"; exit 1; }; \
	  else echo "missing Debian packages (run as root: apt-get install $$missing)"; exit 1; fi; \
	fi

# The embedded SQLite database migrates itself on first use (`formservice db upgrade` is for
# PostgreSQL). `make run PORT=5001` serves on another port.
run: export FORMSERVICE_ENV ?= development
run: $(STAMP) system-deps
	$(BIN)/formservice samples load
	$(BIN)/formservice keys create --role hub --name "make run $$(date +%F)"
	$(BIN)/formservice serve --host $(HOST) --port $(PORT)

# The browser tests use Debian's chromium (DEB_TEST); Playwright never downloads a browser.
# TEST_WORKERS pytest processes share the files (pytest-xdist; each test file runs whole on one
# worker); TEST_WORKERS=0 runs them in this process. At most 8 (two Redis databases each).
TEST_WORKERS ?= 2
test: export FORMSERVICE_TEST_CHROMIUM ?= /usr/bin/chromium
test: export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = 1
test: $(STAMP) system-deps
	@test -x "$$FORMSERVICE_TEST_CHROMIUM" || { echo "no chromium at $$FORMSERVICE_TEST_CHROMIUM (apt-get install chromium)"; exit 1; }
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

# Refresh the README's pictures (docs/img/): the browser tests take them.
screenshots: export FORMSERVICE_TEST_CHROMIUM ?= /usr/bin/chromium
screenshots: export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = 1
screenshots: $(STAMP) system-deps
	FORMSERVICE_DOCS_SCREENSHOTS=1 $(BIN)/pytest -q tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check formservice tests bench scripts
	$(BIN)/ruff format --check formservice tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format formservice tests bench scripts
	$(BIN)/ruff check --fix formservice tests bench scripts

bench: $(STAMP)
	@$(MAKE) --no-print-directory system-deps DEB_ALL="$(DEB_ALL) $(DEB_BENCH)"
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
