# Two commands on a fresh machine: `make run` (embedded demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Not searched for strings to translate nor for catalogues to compile.
I18N_IGNORE := --ignore $(VENV) --ignore bench --ignore fakeprovider --ignore node_modules --ignore var

.PHONY: run test browser xmllint messages makemessages venv constraints lint fakeprovider worker beat backup restore bench-fanout bench-followers bench-territory bench-calls bench-stats bench-herd clean

venv: $(VENV)/.installed

# requirements.txt pins what we use; constraints.txt pins what those bring, so a fresh clone installs what was tested.
$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

# After changing requirements.txt: install it, then pin the new dependencies' own (tests/test_dependencies.py checks).
constraints:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) scripts/freeze_constraints.py

# Embedded default: SQLite, tasks in-process, SMS and push to the console and the database. seed_demo writes the
# demo's year once and loads the official figures of ../shared/data/ssmsi (VIGILANTS_SHARED_DATA) when there.
run: venv messages
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py import_communes
	DEBUG=true HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: venv browser messages xmllint
	$(PY) scripts/run_tests.py $(ARGS)

# Debian's headless Chromium for the browser tests (never a browser downloaded by Playwright). Without it
# outside CI, scripts/run_tests.py leaves the browser tests out and says so; with CI=true it fails the run.
browser:
	@command -v chromium >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| [ "$$CI" != "true" ] || { echo "CI=true and chromium could not be installed" >&2; exit 1; }

# Debian's xmllint (libxml2-utils), the third-party validator the CAP tests run on the published documents
# (risks/tests/test_cap_out.py). Without it outside CI that test is skipped and says so; with CI=true it fails the run.
xmllint:
	@command -v xmllint >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils >/dev/null; } \
		|| [ "$$CI" != "true" ] || { echo "CI=true and xmllint could not be installed" >&2; exit 1; }

# The English catalogue compiled for Django (French is the source language): locale/en/LC_MESSAGES/django.mo,
# never committed. It needs GNU gettext's msgfmt: Debian's `gettext` is installed when missing. Without it outside
# CI, the pages and the API stay in French only, and this says so; with CI=true it fails the run.
messages: venv
	@command -v msgfmt >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; } \
		|| [ "$$CI" != "true" ] || { echo "CI=true and gettext could not be installed" >&2; exit 1; }
	@if command -v msgfmt >/dev/null 2>&1; then \
		DEBUG=true $(PY) manage.py compilemessages --verbosity 0 $(I18N_IGNORE); \
	else echo "msgfmt not found: the English catalogue is not compiled (French only)" >&2; fi

# After changing user-facing strings: brings the catalogue up to date, then translate what it added
# (tests/test_translations.py fails on an untranslated, fuzzy or stale entry).
makemessages: venv
	DEBUG=true $(PY) manage.py makemessages --locale en --add-location file $(I18N_IGNORE)

lint: venv
	$(PY) -m ruff check .

worker: venv
	$(VENV)/bin/celery -A vigilants worker -Q default,push,sms,voice --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A vigilants beat --loglevel=INFO

# Backup and restore of the database (DATABASE_URL); see docs/operations.md. The restore line is not echoed:
# TARGET may hold a password.
backup: venv
	$(PY) manage.py backup $(if $(OUTPUT),--output $(OUTPUT))

restore: venv
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/vigilants-YYYYMMDD-HHMMSS.dump [TARGET=postgres://...] [FORCE=1]" >&2; exit 2; }
	@$(PY) manage.py restore "$(FILE)" $(if $(TARGET),--database-url "$(TARGET)") $(if $(FORCE),--force)

# The loopback stand-in for Twilio and FCM (their wire formats), for a closed network.
fakeprovider: venv
	$(PY) -m fakeprovider --port 8765

# Benchmarks (PostgreSQL and Redis on 127.0.0.1): they print their figures.
bench-fanout: venv
	$(PY) bench/fanout/run.py --members $${MEMBERS:-100000}

# A red public warning to followers of several communes, beside bench/fanout's bare transport (bench/followers).
bench-followers: venv
	$(PY) bench/followers/run.py --followers $${FOLLOWERS:-100000} --communes $${COMMUNES:-5}

# One warning to a whole département: 300 communes, 200,000 people (bench/territory).
bench-territory: venv
	$(PY) bench/territory/run.py --communes $${COMMUNES:-300} --people $${PEOPLE:-200000}

# A call wave to people with landlines, the fake answering and pressing 1 (bench/calls).
bench-calls: venv
	$(PY) bench/calls/run.py --people $${PEOPLE:-2000} --calls-per-second $${CALLS_PER_SECOND:-50}

# The herd after a warning (bench/herd): wrk from Debian's packages, installed if missing.
bench-herd: venv
	@command -v wrk >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/herd/run.py

bench-stats: venv
	$(PY) bench/stats/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
