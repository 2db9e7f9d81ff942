# Pollcrew. `make demo` runs a seeded demo on 127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo municipality (the seed's data) and where the demo is served; both can be
# overridden from the environment.
demo serve: export MUNICIPALITY_NAME ?= Sønderå Kommune
demo serve: export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: demo test lint check lock messages sysdeps-demo sysdeps-test serve clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Pollcrew needs Python 3.11 or newer."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.runtime

sysdeps-demo:
	@scripts/sysdeps.sh demo

sysdeps-test:
	@scripts/sysdeps.sh test

demo: sysdeps-demo $(VENV)/.runtime
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST):$(PORT)

serve: $(VENV)/.runtime
	$(MANAGE) runserver $(HOST):$(PORT)

# TEST_WORKERS=2 (CI's) runs the suite in two parts: every test but the browser,
# Celery-worker and multi-process ones in two pytest-xdist processes, a test file
# each at a time (each with its own test database and Redis broker:
# tests/xdist_env.py); then those in one process, since they measure recovery
# times that two processes sharing 2 cores would stretch. 0: all in one process.
TEST_WORKERS ?= 0
SERIAL_MARKS = e2e or worker or server
test: sysdeps-test $(VENV)/.dev
	$(MANAGE) collectstatic --noinput -v0
ifeq ($(TEST_WORKERS),0)
	$(PY) -m pytest $(PYTEST_ARGS)
else
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not ($(SERIAL_MARKS))" $(PYTEST_ARGS)
	$(PY) -m pytest -m "$(SERIAL_MARKS)" $(PYTEST_ARGS)
endif

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

# Regenerate the lock files after changing pyproject.toml.
lock: $(VENV)/.dev
	$(VENV)/bin/pip-compile -q --strip-extras --generate-hashes --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile -q --strip-extras --generate-hashes --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

# Extract new strings and compile the catalogues (needs gettext).
messages: $(VENV)/.dev
	$(MANAGE) makemessages -l da --no-location --ignore=.venv --ignore=staticfiles --ignore=var
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache
