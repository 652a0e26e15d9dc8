# The two commands a new machine needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# `make rehearse` runs with the bank's date this far ahead, so a date that will expire fails CI today.
REHEARSAL_TODAY ?= $(shell date -u -d '+3 years' +%F)

.PHONY: help install install-run run stop test rehearse lint unit e2e bench drop status list dlq reference replay \
	smoke report emulator clean

# Passed to the commands through the environment, so any file name (spaces, quotes) arrives intact.
export FILE SENDER ID

help:
	@echo "make run            start Azurite, the Service Bus emulator and the devhost; process the samples; watch incoming/"
	@echo "make run ONCE=1     process the samples, then exit 0 only if each reached its expected state"
	@echo "make run TODAY=2029-02-08   pin the bank's date (PIPELINE_TODAY) to rehearse a day"
	@echo "make stop           stop the running stack from any terminal"
	@echo "make test           lint, type-check, run every test layer, then rehearse (what CI runs)"
	@echo "make rehearse       the samples and an e2e happy path with the bank's date 3 years ahead"
	@echo "make drop FILE='path/to/my file.csv' SENDER=acme-payroll   upload a file to incoming/ and follow it"
	@echo "make status ID=<file id>    the file's timeline, its errors or failure reason, its warnings"
	@echo "make list           every file the stack has seen, with its state"
	@echo "make dlq            what sits in each dead-letter queue, and what the handlers archived"
	@echo "make reference [FILE=table.json]   check and upload a reference table to the running stack"
	@echo "make replay ID=<file id>    re-send an archived dead-lettered payload (once, unless ARGS=--force)"
	@echo "make smoke          drop a generated file into the running local stack and wait for its delivery"
	@echo "make smoke AZD=1 [ENV=name]   the same against the azd environment (Entra ID sign-in)"
	@echo "make report ID=<file id>    re-make the file's pain.002 status report from its stored ending"
	@echo "make bench          print the benchmarks' figures"

# uv installs the pinned requirements in parallel, about three times faster than pip on a fresh machine;
# pip only bootstraps uv itself (requirements-bootstrap.txt pins it).
UV := $(VENV)/bin/uv
UV_INSTALL := $(UV) pip install --quiet --python $(PY)

$(UV): requirements-bootstrap.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-bootstrap.txt
	@touch $@

# Running needs less than testing: requirements-local.txt and Azurite alone. `make test` adds the rest.
$(VENV)/.run-installed: requirements.txt requirements-local.txt tools/*/pyproject.toml $(UV)
	@echo "[install 1/2] Python packages to run the stack (requirements-local.txt; python-qpid-proton compiles, ~20 s)…"
	@$(UV_INSTALL) -r requirements-local.txt
	@touch $@

$(VENV)/.installed: requirements.txt requirements-local.txt requirements-dev.txt tools/*/pyproject.toml $(UV)
	@echo "[install] Python packages to test (requirements-dev.txt)…"
	@$(UV_INSTALL) -r requirements-dev.txt
	@touch $@ $(VENV)/.run-installed

node_modules/.run-installed: package.json package-lock.json
	@if [ node_modules/.installed -nt package-lock.json ]; then touch $@; else \
		echo "[install 2/2] Azurite from npm (dependencies only)…"; \
		npm ci --omit=dev --no-audit --no-fund --loglevel=error && touch $@; fi

node_modules/.installed: package.json package-lock.json
	@echo "[install] npm packages to test (Azurite and the JavaScript Service Bus SDK)…"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@ node_modules/.run-installed

install: $(VENV)/.installed node_modules/.installed

install-run: $(VENV)/.run-installed node_modules/.run-installed

# pip and npm at the same time: on a fresh machine the first journey shows in about half the time.
run:
	@$(MAKE) --no-print-directory -j2 install-run
	$(PY) -m localdev.run $(if $(ONCE),--once,) $(if $(TODAY),--today '$(TODAY)',) \
		$(if $(WORKERS),--workers $(WORKERS),) $(if $(DEBUG),--debug,) $(ARGS)

stop: install-run
	$(PY) -m localdev.stop $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The devhost's own tests skip when they find no Azurite; naming the repository's here makes a missing one fail.
test: install lint
	AZURITE_BIN=$(CURDIR)/node_modules/.bin/azurite $(PY) -m pytest $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory rehearse

rehearse: install
	@echo "Rehearsal: the bank's date is $(REHEARSAL_TODAY) (PIPELINE_TODAY); the samples, then an e2e happy path"
	$(PY) -m localdev.run --once --today $(REHEARSAL_TODAY) --data-dir .localdev/rehearsal --poll-interval 0.2
	PIPELINE_TODAY=$(REHEARSAL_TODAY) $(PY) -m pytest -m e2e -k "happy_path or run_once_processes" -p no:cacheprovider

unit: $(VENV)/.installed
	$(PY) -m pytest -m "unit or contract or functions" $(PYTEST_ARGS)

e2e: install
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

bench: install
	$(PY) -m bench.core
	$(PY) -m bench.emulator
	$(PY) -m bench.e2e
	$(PY) -m bench.bigfile

drop: install-run
	@test -n "$$FILE" || { echo "make drop: give the file, e.g. make drop FILE='my file.csv' SENDER=acme-payroll"; exit 2; }
	$(PY) -m ops drop "$$FILE" $${SENDER:+--sender "$$SENDER"} $(ARGS)

status: install-run
	@test -n "$$ID" || { echo "make status: give ID=<file id>; make list shows them"; exit 2; }
	$(PY) -m ops status "$$ID" $(ARGS)

list: install-run
	$(PY) -m ops list --all $(ARGS)

dlq: install-run
	$(PY) -m ops deadletters $(ARGS)

reference: install-run
	$(PY) -m ops reference $${FILE:+"$$FILE"} $(ARGS)

replay: install-run
	@test -n "$$ID" || { echo "make replay: give ID=<file id>; make dlq shows the archived ones"; exit 2; }
	$(PY) -m ops replay "$$ID" $(ARGS)

smoke: install-run
	$(PY) -m ops $(if $(AZD),--target azd,) $(if $(ENV),--env $(ENV),) smoke

report: install-run
	@test -n "$$ID" || { echo "make report: give ID=<file id>; make list shows them"; exit 2; }
	$(PY) -m ops report "$$ID" $(ARGS)

emulator: install-run
	$(PY) -m servicebus_emulator --config shared/topology/servicebus-config.json

clean:
	rm -rf .localdev .pytest_cache .mypy_cache .ruff_cache .hypothesis
