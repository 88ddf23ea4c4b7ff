"""The service as production runs it, on throwaway PostgreSQL and Redis, ready to be hurt.

Everything here is started on free ports and ended by the id of what was started (never by name): the
machine's own PostgreSQL and Redis, and whatever other tests run, are never touched. The service gets its
configuration only from the environment variables of the contract and the README, with its own defaults
for everything else (sweep every 10 s, claims leased 30 s): the tests prove those defaults, not tuned ones.
"""

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, write_service_account
from scripts.blackbox import Client
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "vigilants"
SECRET_KEY = "fault-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# What the service's processes inherit from the test run: nothing that configures the service itself.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
SMS_RATE = "50"


# --- processes ----------------------------------------------------------------------------------

def tool(name: str) -> str:
    """A command's full path (processes are started without a shell)."""
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found on PATH")
    return found


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise RuntimeError(f"{what}: not within {timeout:.0f} s")


def spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def _started_at(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat: with the pid, it names one process, even if the pid is reused later."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in map(int, (task / "children").read_text().split()):
                found += [child, *_descendants(child)]
    return found


def _tree(process: subprocess.Popen) -> dict[int, str | None]:
    return {pid: _started_at(pid) for pid in [process.pid, *_descendants(process.pid)]}


def _kill_tree(tree: dict[int, str | None]) -> None:
    for pid, started in tree.items():
        if started is not None and _started_at(pid) == started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def sigkill(process: subprocess.Popen) -> None:
    """The process and all its children at once, as the OOM killer or a lost machine would."""
    _kill_tree(_tree(process))
    process.wait()


def terminate(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL to the process and any child left behind (by pid and start time)."""
    if process.poll() is not None:
        return
    tree = _tree(process)
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    _kill_tree(tree)
    process.wait()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- Redis ----------------------------------------------------------------------------------------
class RedisServer:
    """A redis-server that keeps nothing on disk: a restart loses every queue, like a real non-persistent one."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.process: subprocess.Popen | None = None
        home.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [tool("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.home), "--daemonize", "no"]  # fmt: skip
        self.process = spawn(args, {"PATH": os.environ.get("PATH", "")}, self.home / "redis.log", cwd=self.home)
        wait_until(self.answers, 20, "redis-server answering")

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False


# --- PostgreSQL -------------------------------------------------------------------------------------
def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: its commands run as the postgres user then."""
    return [tool("runuser"), "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(path, account.pw_uid, account.pw_gid)


class Postgres:
    """A cluster of our own in `home` (data/ and postgres.log), on a free port."""

    def __init__(self, home: Path) -> None:
        self.home, self.data, self.log, self.port = home, home / "data", home / "postgres.log", free_port()

    @classmethod
    def copy_of(cls, template: Path, home: Path) -> "Postgres":
        home.mkdir(parents=True)
        _own(home)
        subprocess.run([tool("cp"), "-a", str(template), str(home / "data")], check=True)  # keeps the owner
        return cls(home)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _ctl(self, *args: str) -> None:
        command = _as_postgres([str(PG_BIN / "pg_ctl"), *args, "-D", str(self.data)])
        result = subprocess.run(command, cwd=self.home, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[0]}: {result.stdout}{result.stderr}\n{tail(self.log)}")

    def _options(self) -> str:
        # TCP only (a socket path under a deep temporary directory exceeds the 107 bytes allowed). fsync off:
        # a throwaway cluster; a crash of the server alone (-m immediate) still recovers, the kernel keeps the writes.
        return f"-p {self.port} -c unix_socket_directories='' -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self) -> None:
        self._ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", self._options())

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-w", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-w", "-t", "60", "-m", mode, "-l", str(self.log), "-o", self._options())

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with psycopg.connect(self.url.replace("postgres://", "postgresql://"), connect_timeout=3) as conn:
            return conn.execute(sql, params or []).fetchall()


def build_template(home: Path) -> Path:
    """initdb, the database, `manage.py migrate`, stopped cleanly: each test's cluster is a copy of it."""
    home.mkdir(parents=True)
    _own(home)
    cluster = Postgres(home)
    initdb = [str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--no-locale", "--no-sync"]  # fmt: skip
    subprocess.run(_as_postgres(initdb), cwd=home, check=True, capture_output=True)
    cluster.start()
    try:
        admin = cluster.url.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        # Only the schema: no Redis or provider yet, which the configuration checks of migrate would refuse.
        env = {**_inherited(), "DEBUG": "false", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": cluster.url, "ALLOW_EMBEDDED": "true"}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    finally:
        cluster.stop()
    return cluster.data


# --- the service --------------------------------------------------------------------------------------
def _inherited() -> dict[str, str]:
    return {name: os.environ[name] for name in INHERITED if name in os.environ} | {"PYTHONUNBUFFERED": "1"}


def service_env(*, database_url: str, redis_url: str, public_url: str, fake_url: str, account: Path) -> dict[str, str]:
    """The contract's variables (../shared/API.md) and the README's, and nothing else."""
    return {
        **_inherited(), "DEBUG": "false", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PUBLIC_BASE_URL": public_url,
        "SMS_BACKEND": "twilio", "PUSH_BACKEND": "fcm", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": "Vigilants", "TWILIO_API_BASE_URL": fake_url,
        "FIREBASE_CREDENTIALS": str(account), "FCM_API_BASE_URL": fake_url, "SMS_MAX_PER_SECOND": SMS_RATE,
    }  # fmt: skip


@dataclass(frozen=True)
class Member:
    user_id: int
    token: str  # FCM registration token of the member's phone
    phone: str | None  # set when the member also chose SMS

    def channels(self) -> list[tuple[str, str]]:
        """(channel, address) pairs on which the member must be shown the broadcast."""
        return [("push", self.token)] + ([("sms", self.phone)] if self.phone else [])


@dataclass(frozen=True)
class Town:
    insee: str
    mayor_token: str  # API token (Authorization: Token ...) of the mayor, member 0
    members: list[Member]


def seed(env: dict[str, str], members: int) -> Town:
    """tests/faults/seed.py against the throwaway database, in a process with the service's environment."""
    result = subprocess.run([sys.executable, "-m", "tests.faults.seed", str(members)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed: {result.stderr[-2000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return Town(data["insee"], data["mayor_token"], [Member(**m) for m in data["members"]])


@dataclass
class Stack:
    """PostgreSQL, Redis, the fake provider, gunicorn, beat and plain Celery workers, for one test."""

    home: Path
    postgres: Postgres
    redis: RedisServer
    fake: FakeProvider
    web_port: int
    env: dict[str, str] = field(default_factory=dict)
    town: Town | None = None
    web: subprocess.Popen | None = None
    beat: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    started_workers: int = 0

    @classmethod
    def boot(cls, home: Path, template: Path, members: int) -> "Stack":
        home.mkdir(parents=True)
        postgres = Postgres.copy_of(template, home / "pg")
        fake = FakeProvider(port=0)
        fake.start()
        stack = cls(home, postgres, RedisServer(home / "redis"), fake, free_port())
        try:
            postgres.start()
            stack.redis.start()
            stack.env = service_env(database_url=postgres.url, redis_url=stack.redis.url, public_url=stack.url,
                                    fake_url=fake.url, account=write_service_account(home / "sa.json", fake.url))  # fmt: skip
            stack.town = seed(stack.env, members)
            stack.start_web()
            stack.start_beat()
            stack.start_worker()
        except BaseException:
            stack.close()
            raise
        return stack

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    # --- processes ---------------------------------------------------------------------------------
    def start_web(self) -> None:
        args = [sys.executable, "-m", "gunicorn", "vigilants.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{self.web_port}"]
        self.web = spawn(args, self.env, self.home / "web.log")
        wait_until(lambda: self.get("/healthz")[0] == 200, 60, "gunicorn answering /healthz with 200", 0.25)

    def start_beat(self) -> None:
        args = [sys.executable, "-m", "celery", "-A", "vigilants", "beat", "-s", str(self.home / "celerybeat-schedule"),
                "--pidfile", str(self.home / "beat.pid"), "-l", "INFO"]  # fmt: skip
        self.beat = spawn(args, self.env, self.home / "beat.log")

    def start_worker(self, *options: str) -> subprocess.Popen:
        """`celery -A vigilants worker` as production runs it (no -Q: a plain worker serves every queue)."""
        self.started_workers += 1
        log = self.home / f"worker-{self.started_workers}.log"
        args = [sys.executable, "-m", "celery", "-A", "vigilants", "worker", "-n", f"faults{self.started_workers}@%h",
                "-l", "INFO", *options]  # fmt: skip
        worker = spawn(args, self.env, log)
        self.workers.append(worker)
        wait_until(lambda: b" ready." in log.read_bytes() or worker.poll() is not None, 60, "worker ready", 0.1)
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited ({worker.returncode}):\n{tail(log)}")
        return worker

    def kill_worker(self, worker: subprocess.Popen) -> None:
        sigkill(worker)
        self.workers.remove(worker)

    def stop_workers(self) -> None:
        """A warm shutdown (SIGTERM), as a deployment would stop them."""
        for worker in list(self.workers):
            terminate(worker)
            self.workers.remove(worker)

    def close(self) -> None:
        for process in [*self.workers, self.beat, self.web]:
            if process is not None:
                terminate(process)
        self.workers.clear()
        self.redis.stop()
        with contextlib.suppress(RuntimeError):
            self.postgres.stop("immediate")  # throwaway: nothing to keep
        self.fake.stop()
        shutil.rmtree(self.postgres.data, ignore_errors=True)

    # --- HTTP --------------------------------------------------------------------------------------
    def mayor(self) -> Client:
        assert self.town is not None
        return Client(self.url, self.town.mayor_token)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:  # noqa: S310 - loopback
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            return 0, b""

    def post_broadcast(self, title: str) -> tuple[int, Any]:
        assert self.town is not None
        body = {"title": title, "body": "Cambriolages en cours rue des Lilas : fermez portes et volets.", "urgent": True}
        return self.mayor().call("POST", f"/api/v1/communes/{self.town.insee}/broadcasts", body)

    def broadcast(self, title: str) -> int:
        """The mayor's urgent broadcast over HTTP; returns the alert's id (it must be accepted)."""
        status, alert = self.post_broadcast(title)
        if status != 201:
            raise AssertionError(f"broadcast refused: {status} {str(alert)[:300]}")
        return int(alert["id"])

    # --- what the database says ----------------------------------------------------------------------
    def deliveries(self, alert_id: int) -> tuple[str | None, list[tuple[int, str, str, int, str]]]:
        """The broadcast's outbox status and its Delivery rows (user, channel, status, attempts, error)."""
        found = self.postgres.rows(
            "SELECT id, status FROM notifications_message WHERE source_type = 'alert' AND source_id = %s "
            "AND kind <> 'followup' ORDER BY id DESC LIMIT 1", [alert_id])  # fmt: skip
        if not found:
            return None, []
        rows = self.postgres.rows("SELECT user_id, channel, status, attempts, error_code FROM notifications_delivery "
                                  "WHERE message_id = %s", [found[0][0]])  # fmt: skip
        return found[0][1], [tuple(r) for r in rows]

    def quiet(self, alert_id: int, active: set[str]) -> bool:
        """Planned, and no row left to send or in flight: nothing more can reach a phone."""
        try:
            status, rows = self.deliveries(alert_id)
        except psycopg.Error:
            return False
        return status == "planned" and not any(r[2] in active for r in rows)

    def row_summary(self, alert_id: int) -> str:
        try:
            status, rows = self.deliveries(alert_id)
        except psycopg.Error as error:
            return f"database unreadable ({type(error).__name__})"
        counts = Counter(f"{r[1]} {r[2]}" + (f" ({r[4]})" if r[4] else "") for r in rows)
        return f"outbox {status}; rows: " + ", ".join(f"{k} x{n}" for k, n in sorted(counts.items()))

    def processes(self) -> str:
        """Which of the service's processes are still alive (a dead beat means no sweeper)."""
        named = {"web": self.web, "beat": self.beat} | {f"worker {w.pid}": w for w in self.workers}
        return ", ".join(f"{n} {'up' if p is not None and p.poll() is None else 'DOWN'}" for n, p in named.items())
