"""A free port for a server a test starts (gunicorn, redis-server, PostgreSQL, the fake provider).

Never one of the kernel's ephemeral ports: asking the kernel for port 0 gives one of those, and between closing
the probe and the server binding it, any outgoing connection of the suite (a database or Redis client) may be
given the same port ("Address already in use"). A port below that range is only ever taken by a bind: picked at
random there, and checked free.
"""

import random
import socket
from pathlib import Path

_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_start() -> int:
    try:
        return int(_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    high = max(_ephemeral_start() - 1, 10001)
    for _ in range(200):
        port = random.randint(10000, high)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:  # a machine with no room below its ephemeral range
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
