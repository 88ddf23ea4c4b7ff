"""CPU per push of each FCM client against the fake provider: python bench/fcm_clients.py [--messages N]

Starts one fake provider (python -m fakeprovider, no recording) and, for each client, one process that sends N
pushes through the service's backend (FCM_TRANSPORT, FCM_HTTP2) in calls of 500 handed over in chunks of 250,
as the push worker did (its calls are now sender.PUSH_CALL, 2,000, in parts of PUSH_CLAIM; 500 keeps the
figures comparable). That process warms up first (access token,
connections), then reports its own CPU seconds and the fake's over the N pushes. The machine is shared and its
speed drifts: the clients run in turn, several rounds, and each line compares a client with the fake in the
same interval (client CPU per push / fake CPU per request).

Clients: fast (urllib3 pool + 32 threads), curl (libcurl multi, HTTP/1.1 over fcm_curl.IN_FLIGHT keep-alive connections),
curl-h2c (libcurl multi, HTTP/2 prior knowledge: streams multiplexed over one connection).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench" / "fanout")]

CLIENTS = {"fast": {"FCM_TRANSPORT": "fast"}, "curl": {"FCM_TRANSPORT": "curl", "FCM_HTTP2": "false"},
           "curl-h2c": {"FCM_TRANSPORT": "curl", "FCM_HTTP2": "true"}}  # fmt: skip
CALL, CHUNK = 500, 250


def child(messages: int, fake_pid: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
    import django

    django.setup()
    import procs

    from providers.base import Outcome, PushMessage, get_push_backend, send_stream

    backend = get_push_backend()
    pushes = [PushMessage(key=f"{i}:1", token=f"bench-{i:07d}", title="Alerte", body="Restez vigilants.",
                          data={"message_id": "1", "kind": "broadcast", "commune": "99999"},
                          collapse_key="broadcast-1", urgent=True) for i in range(messages)]  # fmt: skip
    warm = send_stream(backend, [pushes[:CALL]])
    assert all(r.outcome == Outcome.SENT for r in warm), {r.error_code for r in warm}
    fake_before, cpu, wall = procs.cpu_seconds([fake_pid]), time.process_time(), time.monotonic()
    sent = 0
    for start in range(0, messages, CALL):
        call = pushes[start:start + CALL]
        results = send_stream(backend, (call[i:i + CHUNK] for i in range(0, len(call), CHUNK)))
        sent += sum(r.outcome == Outcome.SENT for r in results)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    fake = procs.cpu_seconds([fake_pid]) - fake_before
    sys.stdout.write(f"{sent} {cpu} {fake} {wall}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated, of: " + ", ".join(CLIENTS))
    parser.add_argument("--port", type=int, default=8796)
    args = parser.parse_args()
    import procs

    account = Path(tempfile.mkdtemp(prefix="bench-fcm-")) / "service-account.json"
    fake = procs.start_fake(args.port, account)
    url = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "bench-only-secret-key", "LOG_LEVEL": "WARNING",
           "PUSH_BACKEND": "fcm", "FCM_API_BASE_URL": url, "FIREBASE_CREDENTIALS": str(account)}  # fmt: skip
    print(f"{args.messages} pushes per client and round; CPU per push (client) and per request (fake), µs")
    try:
        for round_ in range(1, args.rounds + 1):
            for name in args.clients.split(","):
                out = subprocess.run([sys.executable, __file__, "--child", str(args.messages), str(fake.pid)],
                                     env={**env, **CLIENTS[name]}, cwd=ROOT, capture_output=True, text=True)  # fmt: skip
                if out.returncode:
                    print(f"round {round_} {name}: failed\n{out.stderr[-2000:]}")
                    continue
                sent, cpu, fake_cpu, wall = (float(x) for x in out.stdout.split())
                n = args.messages
                print(f"round {round_} {name:9s} sent {sent:.0f}/{n} in {wall:5.1f}s ({n / wall:5.0f}/s)  client "
                      f"{cpu / n * 1e6:5.0f} µs/push  fake {fake_cpu / n * 1e6:5.0f} µs/request  "
                      f"client/fake {cpu / fake_cpu:.2f}")  # fmt: skip
    finally:
        procs.stop(fake)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
