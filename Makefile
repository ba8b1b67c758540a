# Two commands do all the set-up on a fresh machine:
#   make run    virtualenv + install + migrate SQLite + demo data + serve on :8000
#   make test   virtualenv + dev install + the whole suite (SQLite; DATABASE_URL=postgres://… for PostgreSQL)
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint bench-ledger bench-vouchers bench-settlement bench-statements bench-ab worker lock clean

$(VENV)/.base: requirements/base.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements/base.lock
	touch $@

$(VENV)/.dev: requirements/dev.lock $(VENV)/.base
	$(PY) -m pip install --quiet -r requirements/dev.lock
	touch $@

run: $(VENV)/.base
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py load_demo_data --base-url http://$(HOST):$(PORT)
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

worker: $(VENV)/.base
	$(VENV)/bin/celery -A config worker --beat --loglevel INFO

# Regenerate the lock files from pyproject.toml (then commit them).
lock:
	rm -rf /tmp/kjcxq-lock && $(PYTHON) -m venv /tmp/kjcxq-lock
	$(PYTHON) -c "import tomllib;d=tomllib.load(open('pyproject.toml','rb'))['project'];print('\n'.join(d['dependencies']))" > /tmp/kjcxq-lock/base.in
	$(PYTHON) -c "import tomllib;d=tomllib.load(open('pyproject.toml','rb'))['project'];print('\n'.join(d['optional-dependencies']['dev']))" > /tmp/kjcxq-lock/dev.in
	/tmp/kjcxq-lock/bin/pip install --quiet -r /tmp/kjcxq-lock/base.in
	/tmp/kjcxq-lock/bin/pip freeze > requirements/base.lock
	/tmp/kjcxq-lock/bin/pip install --quiet -r /tmp/kjcxq-lock/dev.in
	/tmp/kjcxq-lock/bin/pip freeze > requirements/dev.lock

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles

# Benchmarks (PostgreSQL; they print tables and ratios). BENCH_DATABASE_URL overrides the target.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kjcxq_bench
$(VENV)/.bench: requirements/bench.lock $(VENV)/.dev
	$(PY) -m pip install --quiet -r requirements/bench.lock
	touch $@

bench-ledger: $(VENV)/.bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/ledger_bench.py

bench-vouchers: $(VENV)/.dev
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/vouchers_bench.py

bench-settlement: $(VENV)/.dev
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/settlement_bench.py

# A/B of two versions at saturation over HTTP: A = $(BASE) (a commit), B = this working tree.
BASE ?= HEAD
bench-ab: $(VENV)/.dev
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/ab_http.py --base $(BASE)

# The 2,000-line payout batch statement (seconds, peak memory; SQLite file unless
# STATEMENTS_BENCH_DATABASE_URL is set). BENCH_ARGS=--straightforward adds the baseline.
BENCH_ARGS ?=
bench-statements: $(VENV)/.dev
	$(PY) bench/statements_bench.py $(BENCH_ARGS)
