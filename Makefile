# `make demo` and `make test` set everything up from nothing on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench system-deps mlflow-venv migrate-fixtures ui

$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build; an unpinned torch pulls gigabytes of CUDA packages
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[all,dev]'
	touch $(STAMP)

setup: $(STAMP)

# PostgreSQL 15 server binaries for the store tests (preinstalled in /usr/local/bin here);
# Debian's Chromium for the web UI's browser tests (Playwright drives it; its own browser
# download is not used)
system-deps:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -q && apt-get install -y -q postgresql)
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)

# the web UI's bundle (src/autolog/server/static, committed): rebuild after changing ui/src;
# a test checks that the committed files equal a fresh build
ui:
	cd ui && npm ci --no-audit --no-fund && node build.mjs

# MLflow 3.17.2 in its own environment: the reference client of the server tests and the
# reference side of the benchmarks (never a dependency of autolog)
MLFLOW_VENV := .venv-mlflow
$(MLFLOW_VENV)/.installed:
	$(PY) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install -q --upgrade pip
	$(MLFLOW_VENV)/bin/pip install -q mlflow==3.17.2 scikit-learn
	touch $@

mlflow-venv: $(MLFLOW_VENV)/.installed

# rewrite the MLflow stores tests/migrate reads (committed); the models need the libraries,
# at the versions autolog's venv has, so the pickles load there. torch: the CPU build, pinned
migrate-fixtures: mlflow-venv setup
	$(MLFLOW_VENV)/bin/pip install -q torch==2.13.0 \
		"xgboost==$$($(BIN)/python -c 'import xgboost; print(xgboost.__version__)')" \
		"scikit-learn==$$($(BIN)/python -c 'import sklearn; print(sklearn.__version__)')"
	$(MLFLOW_VENV)/bin/python tests/migrate/make_fixtures.py

demo: setup
	$(BIN)/python docs/examples/demo.py

test: setup system-deps mlflow-venv
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	# bytecode caching on: some environments set PYTHONDONTWRITEBYTECODE, which skews every figure
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python benchmarks/run.py
