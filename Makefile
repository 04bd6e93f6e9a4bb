# One entry point for people and CI. `make test` builds .venv by itself (Python 3.13+ is required by the SDK).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Finds a Python 3.13+ interpreter: $PYTHON if given, then python3.13+/python3 on PATH, then pyenv's versions.
FIND_PYTHON = for c in "$$PYTHON" python3.14 python3.13 \
	  $$(ls -d "$$(pyenv root 2>/dev/null || echo $${PYENV_ROOT:-$$HOME/.pyenv})"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	  [ -n "$$c" ] || continue; \
	  if PYENV_VERSION=3.13.0 "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then \
	    PYENV_VERSION=3.13.0 "$$c" -c 'import sys; print(sys.executable)'; exit 0; fi; \
	done; exit 1

.PHONY: help venv test lint unit demo run samples sandbox-reset bench clean

help:
	@echo "make demo   - run every action end to end against the built-in TikTok sandbox (no credentials)"
	@echo "make test   - lint, format check, security scan and the whole offline test suite"
	@echo "make run ACTION=get_user_info [INPUT='{...}' or INPUT=file.json] - run one action, print its JSON (sandbox unless TIKTOK_ACCESS_TOKEN is set)"
	@echo "make samples - write the sample videos and photos to samples/ (for file inputs)"
	@echo "make sandbox-reset - forget what earlier make run calls did in the sandbox (.sandbox/)"
	@echo "make bench  - streaming benchmark (64 MB and 256 MB links, inline base64); not part of make test"

$(STAMP): requirements.txt requirements-test.txt
	@py=$$($(FIND_PYTHON)) || { \
	  echo "error: Python 3.13 or newer is required (the Autohive SDK needs it) and none was found." >&2; \
	  echo "Install it, e.g. 'pyenv install 3.13.0' or your distribution's python3.13 package," >&2; \
	  echo "or point PYTHON=/path/to/python3.13 at one." >&2; exit 1; }; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || { echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r . -s B101 -x ./.venv,./dependencies
	$(PY) -m tools.check_integration

unit: $(STAMP)
	$(PY) -m pytest -m "unit" -q

test: lint unit

demo: $(STAMP)
	$(PY) -m sandbox.demo

# `make run` prints exactly one JSON document on stdout; everything else goes to stderr. The runner exits 0 for a
# result, 1 for an action error, 2 for bad usage (make then reports "Error N" and exits 2 itself). INPUT reaches the runner through the environment, taken verbatim (no make expansion, no
# shell quoting), so any text works in a caption: apostrophes, `$`, newlines.
override INPUT := $(value INPUT)
export INPUT
run:
	@$(MAKE) --no-print-directory -s $(STAMP) >&2
	@$(PY) -m sandbox.run $(ACTION)

samples: $(STAMP)
	@$(PY) -m sandbox.samples

sandbox-reset: $(STAMP)
	@$(PY) -m sandbox.playground

bench: $(STAMP)
	$(PY) -m bench.stream_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
