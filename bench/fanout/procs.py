"""Processes for the benchmark: environment, the fake provider, Celery workers, peak memory."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench_env(args: object, fake_url: str, service_account: Path) -> dict[str, str]:
    return {
        **os.environ, "DEBUG": "false", "SECRET_KEY": "bench-only-secret-key", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "SMS_BACKEND": "twilio", "PUSH_BACKEND": "fcm",
        "FCM_TRANSPORT": getattr(args, "fcm_transport", "curl"), "TWILIO_ACCOUNT_SID": "AC" + "fa4e" * 8,
        "TWILIO_AUTH_TOKEN": "fake-twilio-auth-token-0123456789", "TWILIO_FROM": "+33700000001",
        "TWILIO_API_BASE_URL": fake_url, "FCM_API_BASE_URL": fake_url, "FIREBASE_CREDENTIALS": str(service_account),
        "SMS_MAX_PER_SECOND": str(args.sms_rate), "PUBLIC_BASE_URL": "http://127.0.0.1:9",
    }  # fmt: skip


def start_fake(port: int, service_account: Path, callbacks: bool = False) -> subprocess.Popen:
    """The fake provider, recording nothing; without Twilio's callbacks unless `callbacks` (bench/calls)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeprovider", "--port", str(port), "--service-account",
         str(service_account), "--no-record", *([] if callbacks else ["--no-callbacks"])],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            provider_count(port)
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the fake provider did not start")


def provider_count(port: int) -> int:
    """Provider requests the fake has answered (Messages.json and messages:send, not tokens)."""
    import json

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_health", timeout=2) as answer:
        return int(json.load(answer)["count"])


def provider_sms_rate(port: int) -> dict[str, int]:
    """SMS requests the fake received, and the most it received within any one second (its own clock)."""
    import json

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sms_rate", timeout=10) as answer:
        return json.load(answer)


def start_worker(env: dict[str, str], queues: str, concurrency: int, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "vigilants", "worker", "-Q", queues, "-c", str(concurrency),
         "-n", f"{name}@bench", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def family(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in path.read_text().split()] if path.exists() else []
    return [pid, *[p for kid in kids for p in family(kid)]]


def peak_memory_mb(pid: int) -> float:
    """Largest VmHWM (peak resident set) among a process and its children, in MB."""
    peaks = []
    for member in family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except FileNotFoundError:
            continue
    return max(peaks, default=0.0)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time the processes have used so far (threads included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def tree_cpu(pid: int) -> float:
    return cpu_seconds(family(pid))


def steal_seconds() -> float:
    """CPU time the hypervisor gave other guests while this machine wanted it (all CPUs, so far)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")
