# Liaison: `make run` brings everything up on embedded defaults; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install messages makemessages system-packages run test test-smoke soak lint format check typecheck

# .ci/pip drops only pip's "Location ... is ignored" lines (a machine's local indexes).
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	.ci/pip $(PY) install --quiet --upgrade pip
	.ci/pip $(PY) install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed messages

# The compiled translation catalogues (locale/*/LC_MESSAGES/django.mo) ship in the repository
# and are rebuilt from the .po sources here, so `make run` serves every language.
messages: $(VENV)/.installed
	$(PY) -m django compilemessages -v 0 --ignore='.venv' --ignore='var' --ignore='node_modules'

# After changing user-facing strings: refresh the catalogues, translate, then `make messages`.
makemessages: install
	$(PY) manage.py makemessages -l fr -l nl -l de -l es --no-obsolete \
	  --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='bench/*'

# The Debian packages the suite needs (chromium for tests/e2e, oathtool, poppler-utils,
# fonts); installs only what is missing, so it is quick when all is there.
system-packages:
	.ci/system-packages

run: install
	$(PY) -m portal.runner

test: install system-packages
	$(PY) -m pytest $(PYTEST_ARGS)

test-smoke: install system-packages
	$(PY) -m pytest -m smoke $(PYTEST_ARGS)

# 200 officer clients against gunicorn for 60 s while PostgreSQL, Redis, a gunicorn worker,
# the Celery worker and the NCMEC test server fail in turn; exits 1 if anything was lost
# (bench/soak.py; about 3 minutes, everything on loopback under var/soak/).
soak: install
	$(PY) bench/soak.py $(SOAK_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# mypy + django-stubs on cases/ and portal/ ([tool.mypy] in pyproject.toml). The plugin loads
# the settings, which only parse DATABASE_URL (no connection); any URL keeps them from
# starting the embedded PostgreSQL.
typecheck: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(VENV)/bin/mypy
