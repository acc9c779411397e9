# Two commands: `make run` (set up, then publish the latest sample year to out/) and
# `make test` (set up, then the whole test suite). Set-up is idempotent.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# The tests start a Redis broker for the Celery executor test: install it with the rest.
export MHAUDIT_WITH_REDIS ?= 1

.PHONY: setup run test bench dev clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock scripts/install-system-deps.sh
	@bash scripts/install-system-deps.sh
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "mhaudit needs $(PYTHON) (Python 3.11); set PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install -q --upgrade pip >/dev/null
	@$(VENV)/bin/python -m pip install -q -r requirements.lock
	@# setuptools warns about every editable install in a boxed block: quiet unless the install fails
	@PYTHONWARNINGS=ignore $(VENV)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	@mkdir -p $(DAGSTER_HOME)
	@touch $(STAMP)

run: setup
	$(VENV)/bin/mhaudit run

# Two pytest workers (one per core); a test file stays on one worker, so its module fixtures are built once.
test: setup
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadfile

bench: setup
	$(VENV)/bin/python -m benchmarks.run

dev: setup
	$(VENV)/bin/dagster dev

clean:
	rm -rf $(VENV) out .mhaudit .dagster_home
