# Traction: `make run` to try it, `make test` for every check, `make bench` for figures.
# Works on a fresh Debian 12 with python3.11; nothing here needs network access once the
# virtualenv is installed, except the system packages `make test` installs when missing and
# what `make bench-deps` installs (wrk, Taguette from PyPI).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Stamps record what is installed: they are rebuilt only when the lock files change.
RUN_STAMP := $(VENV)/.stamp-lock
DEV_STAMP := $(VENV)/.stamp-dev-lock
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: help install run test bench docs lock system-deps pdf-deps bench-deps clean

help:
	@echo "make install create .venv with the locked dependencies only (for deployments)"
	@echo "make run     set up .venv, migrate, load the demo (first time) and serve on PORT=$(PORT)"
	@echo "make test    lint, types, checks and every test suite (SQLite and PostgreSQL)"
	@echo "make bench   benchmark figures into docs/benchmarks.md"
	@echo "make docs    regenerate docs/cli.md (from --help) and docs/roles.md (from the rules)"
	@echo "make lock    how to regenerate requirements/lock.txt and dev-lock.txt"

# A virtualenv made by another Python version (or a half-made one) is rebuilt from scratch.
$(RUN_STAMP): requirements/lock.txt pyproject.toml
	@if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
		echo "Creating $(VENV) with $(PYTHON)"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(DEV_STAMP): $(RUN_STAMP) requirements/dev-lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev-lock.txt
	@touch $@

# For deployment scripts: the virtualenv and the locked dependencies, nothing started, no
# database touched (docs/deploy.md).
install: $(RUN_STAMP)
	@echo "Installed: $(BIN)/traction"

run: $(RUN_STAMP) pdf-deps
	$(BIN)/traction run --port $(PORT)

# Pango and fonts for WeasyPrint, which renders the debrief pack's PDF (docs/deploy.md):
# DejaVu (Latin, Greek, Cyrillic, Hebrew, Arabic), WenQuanYi Micro Hei (Chinese, Japanese,
# Korean) and Symbola (emoji), about 3 MB more than DejaVu alone.
PDF_FONTS := /usr/share/fonts/truetype/dejavu /usr/share/fonts/truetype/wqy/wqy-microhei.ttc /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf
pdf-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || ! ls $(PDF_FONTS) >/dev/null 2>&1; then \
		echo "Installing pango and fonts for PDF reports"; \
		$(SUDO) apt-get update; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-wqy-microhei fonts-symbola; \
	fi

# Debian's Chromium (for the browser tests), PostgreSQL (for the second test run) and nginx
# (tests/deploy/test_proxy.py runs the guide's nginx site itself, on loopback ports: the
# package's own service is stopped and disabled, only when the package is installed here).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		echo "Installing chromium and postgresql"; \
		$(SUDO) apt-get update; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium postgresql; \
	fi
	@if [ ! -x /usr/sbin/nginx ]; then \
		echo "Installing nginx"; \
		$(SUDO) apt-get update; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light; \
		if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
			$(SUDO) systemctl disable --now nginx || true; \
		fi; \
	fi

test: $(DEV_STAMP) system-deps pdf-deps
	scripts/test-suite

# wrk, and Taguette 1.5.2 in its own virtualenv (bench/imports.py uploads the same
# transcripts into it as the import baseline).
TAGUETTE_VENV := .bench/taguette-venv
bench-deps:
	@if [ ! -x /usr/bin/wrk ]; then \
		echo "Installing wrk"; \
		$(SUDO) apt-get update; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; \
	fi
	@if [ ! -x $(TAGUETTE_VENV)/bin/taguette ]; then \
		echo "Installing Taguette 1.5.2 into $(TAGUETTE_VENV)"; \
		$(PYTHON) -m venv $(TAGUETTE_VENV); \
		$(TAGUETTE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check taguette==1.5.2; \
	fi

bench: $(RUN_STAMP) bench-deps
	$(BIN)/python bench/run.py

docs: $(RUN_STAMP)
	scripts/gen-cli-docs
	scripts/gen-roles-docs

# Regenerating the lock files needs uv, which the project itself does not depend on:
#   .venv/bin/pip install uv
#   make lock
lock:
	@if [ ! -x $(BIN)/uv ]; then echo "First: $(BIN)/pip install uv"; exit 1; fi
	cd requirements && ../$(BIN)/uv pip compile --python-version 3.11 base.in -o lock.txt
	cd requirements && ../$(BIN)/uv pip compile --python-version 3.11 dev.in -o dev-lock.txt

clean:
	rm -rf $(VENV) var/static
