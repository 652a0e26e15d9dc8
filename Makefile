# The two commands a new machine needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# `make rehearse` runs with the bank's date this far ahead, so a date that will expire fails CI today.
REHEARSAL_TODAY ?= $(shell date -u -d '+3 years' +%F)

.PHONY: help install run test rehearse lint unit e2e bench drop status replay smoke emulator clean

help:
	@echo "make run            start Azurite, the Service Bus emulator and the devhost; process the samples; watch incoming/"
	@echo "make run ONCE=1     process the samples, then exit 0 only if each reached its expected state"
	@echo "make run TODAY=2029-02-08   pin the bank's date (PIPELINE_TODAY) to rehearse a day"
	@echo "make test           lint, type-check, run every test layer, then rehearse (what CI runs)"
	@echo "make rehearse       the samples and an e2e happy path with the bank's date 3 years ahead"
	@echo "make drop FILE=path/to/file.csv SENDER=acme-payroll   upload a file to incoming/ of the running stack"
	@echo "make status ID=<file id>    the file's timeline"
	@echo "make replay ID=<file id>    re-send an archived dead-lettered payload"
	@echo "make smoke          drop a generated file into the running local stack and wait for its delivery"
	@echo "make smoke AZD=1 [ENV=name]   the same against the azd environment (Entra ID sign-in)"
	@echo "make bench          print the benchmarks' figures"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(PY) -m localdev.run $(if $(ONCE),--once,) $(if $(TODAY),--today '$(TODAY)',) \
		$(if $(WORKERS),--workers $(WORKERS),) $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install lint
	$(PY) -m pytest $(PYTEST_ARGS)
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

drop: $(VENV)/.installed
	$(PY) -m localdev.drop $(FILE) $(if $(SENDER),--sender $(SENDER),)

status: $(VENV)/.installed
	$(PY) -m localdev.status $(ID)

replay: $(VENV)/.installed
	$(PY) -m localdev.replay $(ID)

smoke: $(VENV)/.installed
	$(PY) -m ops $(if $(AZD),--target azd,) $(if $(ENV),--env $(ENV),) smoke

emulator: $(VENV)/.installed
	$(PY) -m localdev.servicebus_emulator --config shared/topology/servicebus-config.json

clean:
	rm -rf .localdev .pytest_cache .mypy_cache .ruff_cache .hypothesis
