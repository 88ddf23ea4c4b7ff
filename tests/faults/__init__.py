"""Fault tests: an accepted alert is shown to every member exactly once within 60 s of a fault ending.

Real processes (gunicorn, a plain Celery worker, beat) on a throwaway PostgreSQL cluster and redis-server of
their own, the SDKs against the in-process fake provider; faults are injected mid-fan-out (harness.py).
They run in `make test` (marker `integration`) or alone:

    .venv/bin/python -m pytest tests/faults -m integration

They need redis-server and PostgreSQL's binaries (PG_BIN, default /usr/lib/postgresql/15/bin; as root,
runuser), never the machine's own PostgreSQL or Redis. Each prints its figures; the provider outage alone
takes about four minutes.
"""
