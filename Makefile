# RA Portal — two commands: `make run` (portal on http://127.0.0.1:8000, SQLite, demo data)
# and `make test` (the whole suite; SQLite, or PostgreSQL when DATABASE_URL is set).
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

test: $(VENV)/.installed-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: lint test

bench: $(VENV)/.installed-test
	$(PY) bench/submit.py

.PHONY: bench-queue
bench-queue: $(VENV)/.installed-test
	$(PY) bench/queue.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
