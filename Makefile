# RA Portal — two commands: `make run` (portal on http://127.0.0.1:8000, SQLite, demo data)
# and `make test` (the whole suite on every core; SQLite, or PostgreSQL when DATABASE_URL is
# set). `make test-fast` leaves out the slow tests.
# Needs Python >= 3.12: found by bin/find-python, or given as `make PYTHON=/path/to/python3.12`.

VENV ?= .venv
PORT ?= 8000
PY := $(VENV)/bin/python
export PYTHON

.PHONY: run test lint format check bench clean

$(VENV)/.created:
	@interp=$$(bin/find-python) || exit 1; \
	echo "Creating $(VENV) with $$interp"; \
	"$$interp" -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip && touch $@

$(VENV)/.installed-run: pyproject.toml $(VENV)/.created
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.created
	$(PY) -m pip install -q -e ".[test]"
	@touch $@ $(VENV)/.installed-run

# Development: DEBUG on, and certificates point their CRL/AIA URLs at this very server.
RUN_ENV = DJANGO_DEBUG=1 RAPORTAL_BASE_URL=$${RAPORTAL_BASE_URL:-http://127.0.0.1:$(PORT)}

run: $(VENV)/.installed-run
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py init_pki --if-absent
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Background work (see README, "Background work"): a Celery worker, and the scheduler (Celery
# beat) that sends the periodic tasks. Both talk to a broker: CELERY_BROKER_URL, Redis on
# this machine unless set. Start `make run` with the same CELERY_BROKER_URL to hand its work
# to them; without a broker the portal runs every task at once, in-process.
WORKER_ENV = $(RUN_ENV) CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}

.PHONY: worker scheduler
worker: $(VENV)/.installed-run
	$(WORKER_ENV) $(VENV)/bin/celery -A raportal worker --loglevel INFO

scheduler: $(VENV)/.installed-run
	$(WORKER_ENV) $(VENV)/bin/celery -A raportal beat --loglevel INFO

# Production (README, "Running in production"): gunicorn with deploy/gunicorn.conf.py, DEBUG
# off, static files collected into STATIC_ROOT and served by WhiteNoise. Needs the production
# environment: DATABASE_URL (PostgreSQL), DJANGO_SECRET_KEY, RAPORTAL_KEK, DJANGO_ALLOWED_HOSTS,
# RAPORTAL_BASE_URL; RAPORTAL_BIND and WEB_CONCURRENCY choose the address and the workers.
# Migrations are not run here (several servers start at once): `manage.py migrate` once per
# release, before the servers.
SERVE_ENV = DJANGO_DEBUG=0

.PHONY: serve
serve: $(VENV)/.installed-run
	$(SERVE_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) exec $(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py

# The browser tests load axe-core (npm, package-lock.json) into every page: node_modules/,
# installed once per lock file like the venv.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: apt-get install npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The whole suite on every core (pytest-xdist: one worker per core, each with its own test
# database); TEST_WORKERS=0 runs it in this one process. `make test-fast` leaves out the tests
# marked slow (a real browser, fuzzing, other programs: certbot, scepclient, gunicorn, a
# Celery worker...), for the edit-and-run loop; `make test` and CI run everything.
TEST_WORKERS ?= auto

.PHONY: test-fast
test: $(VENV)/.installed-test node_modules/.installed
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-test
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

# Screenshots of every page of tests/browser/catalogue.py, for each demo account, at desktop
# (1280x800) and phone (390x844) sizes, into test-artifacts/screenshots/pages/ (not in git).
.PHONY: screenshots
screenshots: $(VENV)/.installed-test node_modules/.installed
	RAPORTAL_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser/test_accessibility.py $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=1 $(VENV)/bin/mypy
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: lint test

# The request API under gunicorn (bench/submit.py), then ACME orders (bench/acme.py).
# BASELINE=<git ref>: the API against that commit in the same run, each scenario's ratio
# (the ACME bench is then skipped); BENCH_ARGS for bench/submit.py (e.g. --quick, --runs 5).
bench: $(VENV)/.installed-test
	$(PY) bench/submit.py $(if $(BASELINE),--baseline $(BASELINE)) $(BENCH_ARGS)
	$(if $(BASELINE),,$(PY) bench/acme.py)

.PHONY: bench-acme
bench-acme: $(VENV)/.installed-test
	$(PY) bench/acme.py $(BENCH_ARGS)

# Server time of every page for each demo account; BENCH_ARGS="--baseline <commit>" compares
# with that commit in the same run (bench/pages.py).
.PHONY: bench-pages
bench-pages: $(VENV)/.installed-test
	$(PY) bench/pages.py $(BENCH_ARGS)

.PHONY: bench-queue
bench-queue: $(VENV)/.installed-test
	$(PY) bench/queue.py $(BENCH_ARGS)

# Server time of the API's hot paths in-process (no HTTP), as multiples of GET /healthz, on a
# throw-away PostgreSQL database (bench/inprocess.py; BENCH_ARGS="--profile submit-completed").
.PHONY: bench-inprocess
bench-inprocess: $(VENV)/.installed-test
	$(PY) bench/inprocess.py $(BENCH_ARGS)

# EverTrust's Ansible collection, its own integration suite, against the portal (README,
# "Works with"): HORIZON_ANSIBLE_SRC, default ../shared/horizon-ansible; skipped without it.
# Needs PostgreSQL; builds .venv-compat (Ansible + the collection's requirements) once.
.PHONY: compat
compat: $(VENV)/.installed-run
	$(PY) compat/ansible_suite.py $(COMPAT_ARGS)

clean:
	rm -rf $(VENV) .venv-compat node_modules db.sqlite3 .pytest_cache .mypy_cache
