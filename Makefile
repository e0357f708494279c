# Seatkeeper: the commands a newcomer needs. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The suite runs on SQLite; when DATABASE_URL points to PostgreSQL it runs there too.
PYTEST_ARGS ?= -n 2

# make stress: the tests of admins acting at the same moment, STRESS_RUNS times each.
STRESS_RUNS ?= 20
STRESS_TESTS ?= tests/test_concurrency.py tests/test_db_conflicts.py tests/subscriptions/test_unassign_meanwhile.py tests/groups/test_group_concurrency.py

.PHONY: run test test-sqlite test-postgres stress lint format migrate seed bench bench-seed bench-groups clean help install translations messages

help:
	@echo "make run      set up, migrate, load the demo and serve on http://127.0.0.1:$(PORT), with a job worker"
	@echo "make test     set up, lint, and run the whole suite (SQLite; PostgreSQL too if DATABASE_URL is set)"
	@echo "make stress   the concurrency tests $(STRESS_RUNS) times in a row (SQLite; PostgreSQL too if DATABASE_URL is set)"
	@echo "make lint     ruff check and format check, and the direction of the imports (docs/architecture.md)"
	@echo "make format   ruff format and autofix"
	@echo "make bench    the figures of issue 10 into bench/RESULTS.md (SQLite; PostgreSQL too if DATABASE_URL is set)"
	@echo "make bench-seed  time seed_demo --users 50000 on a fresh SQLite file"
	@echo "make bench-groups  issue 20: a group of 10,000 members given a product and taken it (bench/groups.py)"
	@echo "make messages extract the translatable strings into locale/nl/LC_MESSAGES/django.po"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The compiled catalogues (.mo) are built from locale/*/LC_MESSAGES/*.po, never kept in git.
translations: install
	$(BIN)/python manage.py compiletranslations

# After changing user-visible strings: extract them into locale/nl (then translate the new entries).
messages: install
	$(BIN)/python manage.py makemessages -l nl --add-location file -i ".venv/*" -i "tests/*" -i "bench/*" -i "test-artifacts/*"

run: translations
	env -u DATABASE_URL $(BIN)/python manage.py migrate --no-input
	env -u DATABASE_URL $(BIN)/python manage.py seed_demo
	@# The server and a job worker beside it (mails, large exports and imports), stopped together.
	env -u DATABASE_URL $(BIN)/python bin/run-with-worker 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# The direction of the imports (docs/architecture.md): a circle fails here.
	env -u DATABASE_URL $(BIN)/pytest -q -p no:xdist tests/test_architecture.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint test-sqlite test-postgres

test-sqlite: translations
	env -u DATABASE_URL $(BIN)/python manage.py makemigrations --check --dry-run
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: translations
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== the suite on PostgreSQL ($$DATABASE_URL)"; \
		$(BIN)/pytest -m "not browser" $(PYTEST_ARGS); \
	else \
		echo "== DATABASE_URL is not set: skipping the PostgreSQL run"; \
	fi

stress: translations
	@echo "== the concurrency tests, $(STRESS_RUNS) runs each, on SQLite"
	env -u DATABASE_URL $(BIN)/pytest -q -p no:xdist --repeat $(STRESS_RUNS) $(STRESS_TESTS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== the concurrency tests, $(STRESS_RUNS) runs each, on PostgreSQL ($$DATABASE_URL)"; \
		$(BIN)/pytest -q -p no:xdist --repeat $(STRESS_RUNS) $(STRESS_TESTS); \
	else \
		echo "== DATABASE_URL is not set: skipping the PostgreSQL runs"; \
	fi

# make bench: queries and times of the pages, the licence check under load, an import, the seat-usage
# export, on a seeded customer of 50,000 members cached in /tmp/seatkeeper-bench (bench/run.py).
# BENCH_ARGS="--days 90" seeds fewer days of usage; "--skip-export" leaves item 5 out.
BENCH_ARGS ?=
bench: translations
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-seed: install
	env -u DATABASE_URL $(BIN)/python bench/seed_demo.py

# make bench-groups: issue 20's figures, a group of 10,000 members given a product and taken it, on the
# same seeded customer (bench/groups.py; SQLite, and PostgreSQL too when DATABASE_URL is set).
bench-groups: translations
	$(BIN)/python bench/groups.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-artifacts *.sqlite3 *.sqlite3-*
