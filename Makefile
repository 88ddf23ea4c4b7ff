# Two commands on a fresh machine: `make run` (embedded demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv lint fakeproviders worker beat clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Embedded default: SQLite, tasks in-process, SMS and push to the console and the database.
run: venv
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py import_communes
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) scripts/run_tests.py $(ARGS)

lint: venv
	$(PY) -m ruff check .

worker: venv
	$(VENV)/bin/celery -A vigilants worker -Q default,push,sms --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A vigilants beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
