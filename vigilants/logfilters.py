"""Personal data never reaches the logs: phone numbers and long tokens are masked in every record."""

import logging
import re

# E.164 or French national numbers, with or without separators.
_PHONE = re.compile(r"(?<![\w])(?:\+\d[\d .-]{7,16}\d|0[1-9](?:[ .-]?\d{2}){4})(?![\w])")
# Bearer-like secrets: auth tokens, FCM registration tokens, signatures.
_TOKEN = re.compile(r"\b[A-Za-z0-9_:\-]{32,}\b")


def redact(text: str) -> str:
    text = _PHONE.sub("<phone>", text)
    return _TOKEN.sub("<secret>", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True
