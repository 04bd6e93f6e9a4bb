# One entry point for people and CI. `make test` builds .venv by itself (Python 3.13+ is required by the SDK).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two more virtualenvs hold exactly what Autohive's CI installs (the newest pytest, pytest-asyncio, pytest-cov and
# SDK, then requirements.txt): one as resolved today (the newest aiohttp), one with the oldest aiohttp that
# requirements.txt allows. `make test` runs the exported folder's tests in both.
CI_VENV := .venv-ci
OLDEST_VENV := .venv-ci-oldest
CI_PACKAGES := pytest pytest-asyncio pytest-cov autohive-integrations-sdk
AIOHTTP_FLOOR := $(shell sed -n 's/^aiohttp>=\([0-9.]*\).*/\1/p' requirements.txt)

# Finds a Python 3.13+ interpreter: $PYTHON if given, then python3.13+/python3 on PATH, then pyenv's versions.
FIND_PYTHON = for c in "$$PYTHON" python3.14 python3.13 \
	  $$(ls -d "$$(pyenv root 2>/dev/null || echo $${PYENV_ROOT:-$$HOME/.pyenv})"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	  [ -n "$$c" ] || continue; \
	  if PYENV_VERSION=3.13.0 "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then \
	    PYENV_VERSION=3.13.0 "$$c" -c 'import sys; print(sys.executable)'; exit 0; fi; \
	done; exit 1

.PHONY: help venv test lint unit export export-ci demo run samples sandbox-reset bench bench-small clean login logout live-test

help:
	@echo "make demo   - run every action end to end against the built-in TikTok sandbox (no credentials)"
	@echo "make test   - lint, format check, security scan, the whole offline test suite, the small benchmark, and"
	@echo "              the exported folder's tests run as Autohive's CI runs them (newest and oldest aiohttp allowed)"
	@echo "              and as CONTRIBUTING runs folders, beside another integration's tests in both orders"
	@echo "make export - write dist/tiktok (the folder for Autohive's monorepo) and dist/ROOT_ENV_EXAMPLE.txt"
	@echo "make run ACTION=get_user_info [INPUT='{...}' or INPUT=file.json] - run one action, print its JSON (sandbox unless TIKTOK_ACCESS_TOKEN is set)"
	@echo "make run TRIGGER=new_video [LAST_POLL_TS=2026-11-20T00:00:00Z] [INPUT='{...}'] - one poll of a polling trigger, print its records"
	@echo "make samples - write the sample videos and photos to samples/ (for file inputs)"
	@echo "make sandbox-reset - forget what earlier make run calls did in the sandbox (.sandbox/)"
	@echo "make bench  - streaming benchmark (64 MB and 256 MB links, inline base64; figures in docs/benchmarks.md)"
	@echo "make bench-small - the same on small sizes, once each (part of make test)"
	@echo "make login  - sign in to real TikTok in the browser; your tokens go to .env (0600); make run LIVE=1 uses them"
	@echo "make live-test - refresh the token if needed, run every action against real TikTok (posts only with"
	@echo "              TIKTOK_LIVE_POSTS=1), add a dated summary to docs/live-runs.md"
	@echo "make logout - revoke the token at TikTok and clear it from .env"

# make_venv DIR: a virtualenv at DIR with a Python 3.13+ (recreated when it holds an older one).
define make_venv
	@py=$$($(FIND_PYTHON)) || { \
	  echo "error: Python 3.13 or newer is required (the Autohive SDK needs it) and none was found." >&2; \
	  echo "Install it, e.g. 'pyenv install 3.13.0' or your distribution's python3.13 package," >&2; \
	  echo "or point PYTHON=/path/to/python3.13 at one." >&2; exit 1; }; \
	if [ -x $(1)/bin/python ] && ! $(1)/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then \
	  rm -rf $(1); fi; \
	[ -x $(1)/bin/python ] || { echo "creating $(1) with $$py"; "$$py" -m venv $(1); }
endef
PIP = bin/python -m pip install --quiet --disable-pip-version-check

$(STAMP): requirements.txt requirements-test.txt
	$(call make_venv,$(VENV))
	$(VENV)/$(PIP) -r requirements-test.txt
	@touch $@

$(CI_VENV)/.installed: requirements.txt
	$(call make_venv,$(CI_VENV))
	$(CI_VENV)/$(PIP) --upgrade $(CI_PACKAGES)
	$(CI_VENV)/$(PIP) -r requirements.txt
	@touch $@

$(OLDEST_VENV)/.installed: requirements.txt
	$(call make_venv,$(OLDEST_VENV))
	$(OLDEST_VENV)/$(PIP) --upgrade $(CI_PACKAGES)
	$(OLDEST_VENV)/$(PIP) -r requirements.txt "aiohttp==$(AIOHTTP_FLOOR).*"
	@touch $@

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r . -s B101 -x ./.venv,./.venv-ci,./.venv-ci-oldest,./dependencies,./dist
	$(PY) -m tools.check_integration

unit: $(STAMP)
	$(PY) -m pytest -m "unit" -q

export: $(STAMP)
	$(PY) -m tools.export
	$(PY) -m tools.check_integration --exported

export-ci: export $(CI_VENV)/.installed $(OLDEST_VENV)/.installed
	$(PY) -m tools.export_ci --python $(CI_VENV)/bin/python --monorepo-root --beside-other
	$(PY) -m tools.export_ci --python $(OLDEST_VENV)/bin/python

test: lint unit bench-small export-ci

demo: $(STAMP)
	$(PY) -m sandbox.demo

# `make run` prints exactly one JSON document on stdout; everything else goes to stderr. The runner exits 0 for a
# result, 1 for an action error, 2 for bad usage (make then reports "Error N" and exits 2 itself). INPUT reaches
# the runner through the environment, taken verbatim (no make expansion, no shell quoting), so any text works in
# a caption: apostrophes, `$`, newlines.
override INPUT := $(value INPUT)
export INPUT
# TRIGGER=name runs one poll of a polling trigger instead of an action; LAST_POLL_TS is the time of the previous
# poll (none: the first poll).
override LAST_POLL_TS := $(value LAST_POLL_TS)
export TRIGGER LAST_POLL_TS
run:
	@$(MAKE) --no-print-directory -s $(STAMP) >&2
	@$(PY) -m sandbox.run $(ACTION)

samples: $(STAMP)
	@$(PY) -m sandbox.samples

sandbox-reset: $(STAMP)
	@$(PY) -m sandbox.playground

bench: $(STAMP)
	$(PY) -m bench.stream_bench

# The benchmark on small sizes, once each (seconds): part of `make test` so that it cannot break unseen.
bench-small: $(STAMP)
	$(PY) -m bench.stream_bench --small

# A maintainer's own TikTok token (tools/tiktok_login.py; TIKTOK_CLIENT_KEY/SECRET in the environment or .env).
login: $(STAMP)
	@$(PY) -m tools.tiktok_login login

logout: $(STAMP)
	@$(PY) -m tools.tiktok_login logout

live-test: $(STAMP)
	@$(PY) -m tools.live_run

clean:
	rm -rf $(VENV) $(CI_VENV) $(OLDEST_VENV) dist .pytest_cache .ruff_cache
