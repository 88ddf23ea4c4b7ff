"""`make test`: find PostgreSQL and Redis, then run ruff, the apps' layers (import-linter), the types (mypy),
the migrations check and pytest; then, when that ran on PostgreSQL, pytest again on SQLite without Redis (the
embedded default of `make run`).

With the services: the whole suite, against PostgreSQL, with a real Celery worker on Redis.
Without them (and without CI): SQLite and in-process tasks, saying what was left out.
With CI=true: a missing service fails the run. It is never skipped.
"""

import os
import shutil
import subprocess
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vigilants"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")  # Debian's, installed by `make browser`


def postgres_answers(url: str) -> str | None:
    import psycopg

    dsn = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def redis_answers(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def rabbitmq_answers() -> str | None:
    """The machine's RabbitMQ, for the tests of Celery on RabbitMQ (each makes a vhost of its own)."""
    import shutil
    import socket

    if shutil.which("rabbitmqctl") is None:
        return "rabbitmqctl not found"
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=3).close()
    except OSError as exc:
        return str(exc)
    return None


def fault_tools_missing() -> str | None:
    """The fault tests start their own redis-server and PostgreSQL cluster (tests/faults/harness.py)."""
    import shutil

    initdb = os.path.join(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"), "initdb")
    missing = [name for name, found in (("redis-server", shutil.which("redis-server")), (initdb, os.path.exists(initdb)))
               if not found]  # fmt: skip
    return ", ".join(missing) or None


def configure() -> list[str]:
    """Set DATABASE_URL and REDIS_URL for the run; return pytest's extra arguments."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    pg_error = postgres_answers(database_url) if database_url.startswith("postgres") else "not PostgreSQL"
    redis_error = redis_answers(redis_url)
    browser_error = None if os.access(CHROMIUM, os.X_OK) else f"{CHROMIUM} not found"
    gettext_error = None if shutil.which("msgfmt") and shutil.which("xgettext") else "msgfmt or xgettext not found"
    rabbit_error = rabbitmq_answers()
    missing = [f"PostgreSQL ({pg_error})"] * bool(pg_error) + [f"Redis ({redis_error})"] * bool(redis_error)
    missing += [f"RabbitMQ ({rabbit_error})"] * bool(rabbit_error)
    faults_error = fault_tools_missing()
    missing += [f"fault-test servers ({faults_error})"] * bool(faults_error)
    missing += [f"Chromium ({browser_error})"] * bool(browser_error)
    missing += [f"GNU gettext ({gettext_error})"] * bool(gettext_error)
    if missing and in_ci:
        sys.exit("CI=true and a required service does not answer: " + "; ".join(missing))
    left_out: list[str] = []
    if pg_error:
        os.environ.pop("DATABASE_URL", None)
        print(f"PostgreSQL unavailable ({pg_error}): running on SQLite; left out: PostgreSQL-only tests.")
    else:
        os.environ["DATABASE_URL"] = database_url
    if redis_error or pg_error:
        os.environ.pop("REDIS_URL", None)
        print("Left out: integration tests (real Celery worker on Redis and PostgreSQL).")
        left_out += ["integration", "postgres"] if pg_error else ["integration"]
    else:
        os.environ["REDIS_URL"] = redis_url
    if faults_error:
        print(f"Fault-test servers unavailable ({faults_error} not found): left out: fault tests and the tests "
              "that start a redis-server of their own.")
        left_out += ["faults", "redis_server"]
    if rabbit_error:
        print(f"RabbitMQ unavailable ({rabbit_error}): left out: Celery-on-RabbitMQ tests.")
        left_out.append("rabbitmq")
    if browser_error:
        print(f"Chromium unavailable ({browser_error}): left out: browser tests (`make browser` installs it).")
        left_out.append("browser")
    if gettext_error:
        print(f"GNU gettext unavailable ({gettext_error}): left out: translation tests (`make messages` installs it).")
        left_out.append("gettext")
    return ["-m", " and ".join(f"not {marker}" for marker in left_out)] if left_out else []


def main() -> int:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
    extra = configure()
    python = sys.executable
    steps = [
        [python, "-m", "ruff", "check", "."],
        [os.path.join(os.path.dirname(python), "lint-imports"), "--no-cache"],
        [python, "-m", "mypy"],
        [python, "manage.py", "makemigrations", "--check", "--dry-run"],
        [python, "-m", "pytest", *extra, *sys.argv[1:]],
    ]
    for step in steps:
        print("$", " ".join([os.path.basename(step[0]), *step[1:]]), flush=True)
        code = subprocess.call(step)
        if code != 0:
            return code
    if os.environ.get("DATABASE_URL") and not sys.argv[1:]:
        return embedded(python)
    return 0


def embedded(python: str) -> int:
    """The suite once more as `make run` serves: SQLite, no Redis (tasks in-process, the cache in memory), less
    what needs PostgreSQL, Redis or other servers. The first run was on PostgreSQL; this one finds what only
    the embedded default breaks (an ORDER BY SQLite refuses in a UNION, a date it cannot convert)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    markers = ["integration", "postgres", "faults", "rabbitmq", "browser", "redis_server", "gettext"]
    step = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", " and ".join(f"not {m}" for m in markers)]
    print("$ DATABASE_URL= REDIS_URL=", " ".join([os.path.basename(step[0]), *step[1:]]), flush=True)
    return subprocess.call(step, env=env)


if __name__ == "__main__":
    sys.exit(main())
