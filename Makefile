# Thin entry points; the steps live in scripts/*.sh.
PY := .venv/bin/python

.PHONY: run test setup venv migrate seed lint format bench replica clean

run:  ## set up, migrate, seed the demo county, start web + worker + beat
	scripts/run.sh

test:  ## set up, then ruff, mypy, makemigrations --check and pytest
	scripts/test.sh

setup:  ## system packages, .venv, PostgreSQL, Redis, database
	scripts/setup.sh

venv:
	scripts/venv.sh

migrate: setup
	$(PY) manage.py migrate

seed: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_certifications
	$(PY) manage.py seed_demo_payouts
	$(PY) manage.py seed_demo_benefits

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

format: venv
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:
	scripts/bench.sh

replica:  ## a real local streaming replica on port 5433 (docs/deployment.md); scripts/replica.sh stop|remove
	scripts/replica.sh start

# Removes the environment and caches; the database and var/media (uploaded files) are left alone.
clean:
	rm -rf .venv var/staticfiles var/test-media var/celerybeat-schedule* \
		.mypy_cache .ruff_cache .pytest_cache
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
