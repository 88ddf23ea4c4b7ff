"""send_each vs send_each_async against the fake provider (in its own process), in messages per second.

    .venv/bin/python bench/fcm_send_each.py [--messages 5000] [--latency 0]

The fake runs in a separate process so that its handler threads do not share the client's GIL.
"""

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from firebase_admin import messaging  # noqa: E402

from fakeprovider import write_service_account  # noqa: E402
from providers import fcm_push  # noqa: E402
from providers.base import PushMessage  # noqa: E402


def start_fake(latency: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeprovider", "--port", "0", "--no-record", "--no-callbacks",
         "--latency", str(latency)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    url = process.stdout.readline().split()[3]  # "fake provider on http://127.0.0.1:PORT (...)"
    return process, url


def batches(count: int) -> list[list[messaging.Message]]:
    pushes = [PushMessage(f"d-{i}", f"tok-{i}", "Cambriolage", "Rue des Remparts", {"alert": "1"}, "alert-1")
              for i in range(count)]
    built = [fcm_push.build_message(p) for p in pushes]
    return [built[i:i + fcm_push.BATCH_SIZE] for i in range(0, count, fcm_push.BATCH_SIZE)]


def timed(label: str, count: int, run: object) -> float:
    started = time.perf_counter()
    ok = run()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"{label:<34} {count:>7} messages {elapsed:7.2f} s {rate:9.0f} msg/s  ({ok} accepted)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake waits before each answer")
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    process, url = start_fake(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            credentials = str(write_service_account(Path(tmp) / "sa.json", url))
            service = fcm_push.messaging_service(credentials, url)
            work = batches(args.messages)
            service.send_each(work[0][:1])  # token and connections first
            timed("send_each (thread pool, requests)", args.messages,
                  lambda: sum(service.send_each(b).success_count for b in work))
            # asyncio.run per batch (what a sync Celery task would do) fails from the second batch on:
            # the SDK's httpx client stays bound to the first, closed, event loop. Only one loop works.
            async def all_batches() -> int:
                return sum([(await service.send_each_async(b, dry_run=False)).success_count for b in work])

            timed("send_each_async (one event loop)", args.messages, lambda: asyncio.run(all_batches()))
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
