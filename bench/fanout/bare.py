"""The bare transport: the same messages through the same backends, SDK calls and batch sizes, in the
same number of processes, with no database, broker or planning.

python bare.py push INDEX OF START_AT TOKENS_FILE   (one of OF push processes)
python bare.py sms 0 1 START_AT PHONES_FILE         (the SMS process)
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django


def main(channel: str, index: int, of: int, start_at: float, recipients_file: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
    django.setup()
    from notifications.broker import chunks
    from notifications.sender import PUSH_CALL, SMS_CALL
    from providers.base import Outcome, PushMessage, SmsMessage, get_push_backend, get_sms_backend

    with open(recipients_file) as handle:
        recipients = handle.read().split()[index::of]
    if channel == "push":
        backend, size = get_push_backend(), PUSH_CALL
        # Load the SDK and get an access token before the clock starts, as a warm worker has.
        backend.send_batch([PushMessage(key="0:0", token="bench-warmup", title="w", body="w")])  # noqa: S106
        messages = [PushMessage(key=f"{i}:1", token=t, title="Alerte", body="Restez vigilants.",
                                data={"message_id": "1", "kind": "broadcast", "commune": "99999"},
                                collapse_key="broadcast-1", urgent=True) for i, t in enumerate(recipients)]  # fmt: skip
    else:
        backend, size = get_sms_backend(), SMS_CALL
        text = "URGENT Vigilants Bench-sur-Mer : Alerte - Restez vigilants."
        messages = [SmsMessage(key=str(i), to=p, body=text, validity_seconds=14400) for i, p in enumerate(recipients)]
    time.sleep(max(0.0, start_at - time.time()))
    started, sent, cpu = time.time(), 0, time.process_time()
    for group in chunks(messages, size):
        sent += sum(r.outcome == Outcome.SENT for r in backend.send_batch(group))
    sys.stdout.write(f"{started} {time.time()} {sent} {time.process_time() - cpu}\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
