# Two commands: `make demo` and `make test`. Both set up everything first and are safe to run twice.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev gcc systemd faketime chromium fonts-nanum prometheus espeak-ng alsa-utils
STATE_DIR ?= $(CURDIR)/.state
PYTEST_ARGS ?=
# Two pytest-xdist workers, one vpcd card reader each (tests/conftest.py); PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2

.PHONY: demo demo-reset demo-patron test campaigns bench screenshots setup system-packages venv pcscd clean

# The demo machine lives across runs (world, library and journal under .state/).
demo: setup
	$(PY) scripts/demo.py $(DEMO_ARGS)

# Forget the demo machine and start a new one, stocked afresh.
demo-reset: setup
	$(PY) scripts/demo.py --reset $(DEMO_ARGS)

# Against a running `make demo` (another terminal): borrow two books, return one.
demo-patron:
	$(PY) scripts/scripted_patron.py

# Each module stays on one worker (loadfile, tests/conftest.py), the longest start first.
test: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Every campaign case (`make test` runs the fast ones), then docs/RELIABILITY.md from their record.
CAMPAIGN_RECORD := $(CURDIR)/.campaigns.jsonl
campaigns: setup
	@rm -f $(CAMPAIGN_RECORD); start=$$(date +%s); \
	KIOSK_CAMPAIGN_REPORT=$(CAMPAIGN_RECORD) $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile \
	  --no-loadscope-reorder -m campaign $(PYTEST_ARGS) tests/; status=$$?; \
	$(PY) scripts/reliability.py $(CAMPAIGN_RECORD) --wall $$(( $$(date +%s) - start )) || status=1; \
	exit $$status

# Every benchmark, each writing its section and budget rows of docs/PERFORMANCE.md.
bench: setup
	$(PY) -m bench

# Every touchscreen screen in Korean and English to docs/screenshots/ (simulator, controller, Chromium).
screenshots: setup
	$(PY) scripts/screenshots.py

setup: system-packages venv pcscd

# Installs only what is missing; `apt-get update` first because a fresh machine has no lists.
system-packages:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if ! $(PYTHON) -c 'import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' >/dev/null 2>&1; then missing="$$missing python3-dev"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# pcscd carries the virtual card reader (vsmartcard-vpcd); started when it is not running.
pcscd:
	@if ! pgrep -x pcscd >/dev/null; then \
	  echo "Starting pcscd"; \
	  $(SUDO) /usr/sbin/pcscd; \
	  for i in $$(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done; \
	fi

clean:
	rm -rf $(VENV) $(STATE_DIR) .pytest_cache .hypothesis build *.egg-info
