# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of
# those two, exposed for daily work. Only Python >= 3.11 and make are assumed.

.DEFAULT_GOAL := help
.PHONY: help run migrate collectstatic compilemessages seed test lint format check audit messages clean bench-sla bench-monitoring bench-ui bench-load

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
SECRET_FILE := var/secret_key
PYTEST_ARGS ?=

# The interpreter that builds the virtualenv: PYTHON=... on the command line wins; otherwise the
# first of python3, python3.13, python3.12, python3.11 that is at least 3.11.
PYTHON_CANDIDATES := python3 python3.13 python3.12 python3.11
find_python = $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(p))))
PYTHON ?= $(call find_python)

# `make run` uses SECRET_KEY from the environment when it is set; otherwise a key generated once
# for this installation into var/secret_key (mode 600, never committed: var/ is ignored).
RUN_ENV := export SECRET_KEY="$${SECRET_KEY:-$$(cat $(SECRET_FILE) 2>/dev/null)}"; \
	export MONITORING_ALLOWED_NETWORKS="$${MONITORING_ALLOWED_NETWORKS-127.0.0.0/8,::1/128}";
SECRET_DEP := $(if $(SECRET_KEY),,$(SECRET_FILE))
# Tests never need a real secret.
TEST_ENV := export SECRET_KEY="$${SECRET_KEY:-test-only-not-secret}";

help:
	@echo "make run       set up (venv, migrate, static, demo data) and serve on http://127.0.0.1:8000"
	@echo "make test      install dev tools, then lint, Django checks and the whole pytest suite"
	@echo "make lint      ruff check and ruff format --check"
	@echo "make format    apply ruff's fixes and formatting"
	@echo "make check     manage.py check and makemigrations --check"
	@echo "make audit     known vulnerabilities in the locked dependencies (pip-audit; needs PyPI)"
	@echo "make migrate   apply database migrations"
	@echo "make messages  extract French strings into locale/ and compile them"
	@echo "make clean     remove regenerable runtime files under var/ (keeps database, media, secret)"

# --- the virtualenv ---------------------------------------------------------------------------

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python >= 3.11 is required, but none of $(PYTHON_CANDIDATES) is." >&2; \
		echo "       Install Python 3.11 or newer, or run: make PYTHON=/path/to/python3.11 ..." >&2; \
		exit 1; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); 3.11 or newer is required." >&2; \
		exit 1; }
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a lock file changed; the stamps live in the venv, so a new venv reinstalls.
$(VENV)/.requirements.stamp: requirements.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

$(SECRET_FILE): | $(PY)
	@mkdir -p $(dir $@)
	@umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@chmod 600 $@
	@echo "Generated a secret key for this installation in $@"

# --- running ----------------------------------------------------------------------------------

run: migrate collectstatic compilemessages seed
	@$(RUN_ENV) exec $(MANAGE) serve

migrate: $(VENV)/.requirements.stamp $(SECRET_DEP)
	@$(RUN_ENV) $(MANAGE) migrate --noinput

collectstatic: $(VENV)/.requirements.stamp $(SECRET_DEP)
	@$(RUN_ENV) $(MANAGE) collectstatic --noinput --verbosity 0

# The compiled .mo files are committed, so a machine without gettext still runs in French.
compilemessages: $(VENV)/.requirements.stamp $(SECRET_DEP)
	@if ! command -v msgfmt >/dev/null 2>&1; then \
		echo "msgfmt not found (GNU gettext): using the committed .mo files."; \
	elif [ ! -d locale ]; then \
		echo "No locale/ directory: nothing to compile."; \
	else \
		$(RUN_ENV) $(MANAGE) compilemessages --ignore=.venv --ignore=var --verbosity 0; \
	fi

seed: migrate
	@$(RUN_ENV) $(MANAGE) seed_demo --if-empty

# --- quality ----------------------------------------------------------------------------------

test: lint check
	@$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.requirements-dev.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.requirements-dev.stamp
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(VENV)/.requirements-dev.stamp
	@$(TEST_ENV) $(MANAGE) check
	@$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run

# Known vulnerabilities in the locked dependencies (pip-audit, PyPI's advisory data). Strict: a
# locked package the service cannot answer for fails the audit, like a vulnerable one.
audit: $(VENV)/.requirements-dev.stamp
	$(VENV)/bin/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
		-r requirements-dev.lock

messages: $(VENV)/.requirements-dev.stamp
	@$(TEST_ENV) $(MANAGE) makemessages --locale fr --domain django \
		--ignore=.venv --ignore=var --ignore=tests --ignore=bench
	@$(TEST_ENV) $(MANAGE) compilemessages --locale fr --ignore=.venv --ignore=var

# Runtime files that are rebuilt on the next start. The database (var/db.sqlite3), uploaded
# files (var/media/) and this installation's secret key are data: delete var/ yourself to start
# from scratch.
clean:
	rm -rf var/broker var/static var/celerybeat-schedule* var/test_db.sqlite3* var/*.tmp
	rm -rf .pytest_cache

# --- benchmarks (PostgreSQL; BENCH_DATABASE_URL, default a local msp_portal_bench database) -----

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/msp_portal_bench
BENCH_ARGS ?=

bench-sla: $(VENV)/.requirements.stamp
	@$(TEST_ENV) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/sla_bench.py $(BENCH_ARGS)

# The real engine (beat + prefork worker + PostgreSQL + Redis) against a local nginx for a fixed
# time; BENCH_MONITORING_DATABASE_URL (recreated) and BENCH_BROKER_URL (flushed) may be set.
bench-monitoring: $(VENV)/.requirements-dev.stamp
	@$(TEST_ENV) $(PY) bench/monitoring_bench.py $(BENCH_ARGS)

# The million generated tickets (manage.py generate_load) live in their own database, which
# bench-sla (it recreates BENCH_DATABASE_URL) never touches.
BENCH_LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/msp_bench

# The staff pages over generated load in DATABASE_URL, or else BENCH_LOAD_DATABASE_URL;
# in-process requests, p50/p95 server time and queries per page.
bench-ui: $(VENV)/.requirements.stamp
	@$(TEST_ENV) DATABASE_URL="$${DATABASE_URL:-$(BENCH_LOAD_DATABASE_URL)}" $(PY) bench/ui_bench.py $(BENCH_ARGS)

# 100 staff and portal users for 5 minutes against gunicorn on loopback, over the same data.
bench-load: $(VENV)/.requirements.stamp
	@$(TEST_ENV) BENCH_DATABASE_URL="$${DATABASE_URL:-$(BENCH_LOAD_DATABASE_URL)}" $(PY) bench/load_bench.py $(BENCH_ARGS)
