"""A redis-server of the test's own, on a free port, that the test may stop, freeze and restart; and a
server that accepts connections and never answers.

Never the machine's shared Redis: tests that take Redis away take away this one, ended by its process id.
"""

import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import redis

from tests.ports import free_port

REDIS_SERVER = shutil.which("redis-server")
# Tests that start their own redis-server: without one, `make test` leaves them out and says so, and fails in CI
# (scripts/run_tests.py); never skipped in silence.
needs_redis_server = pytest.mark.redis_server



class ThrowawayRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)

    def start(self) -> None:
        if REDIS_SERVER is None:
            pytest.fail("redis-server is not installed: these tests start their own")
        assert REDIS_SERVER is not None
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no"]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.client().ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("the throwaway redis-server did not start")

    def stop(self) -> None:
        """Killed, by its own process id: the port refuses connections until start()."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server must not outlive the test
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        """Still accepting TCP connections, never answering: a hung server or a half-open connection."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never answers on them; yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in [*held, listener]:
            connection.close()


def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Grows by one for each command or pipeline redis-py sends from now on: the round trips to Redis."""
    from redis.connection import Connection

    sent: list[int] = []
    real = Connection.send_packed_command

    def counted(self: Connection, *args: object, **kwargs: object) -> object:
        sent.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", counted)
    return sent


def commands_sent(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Grows by one list for each round trip redis-py writes from now on: the names of its commands."""
    from redis.connection import Connection

    sent: list[list[str]] = []
    one, many = Connection.send_command, Connection.pack_commands

    def send_command(self: Connection, *args: Any, **kwargs: Any) -> Any:
        sent.append([str(args[0]).upper()])
        return one(self, *args, **kwargs)

    def pack_commands(self: Connection, commands: Any) -> Any:
        commands = list(commands)
        sent.append([str(command[0]).upper() for command in commands])
        return many(self, commands)

    monkeypatch.setattr(Connection, "send_command", send_command)
    monkeypatch.setattr(Connection, "pack_commands", pack_commands)
    return sent
