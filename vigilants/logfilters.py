"""Personal data never reaches the logs: phone numbers and long tokens are masked in every record.

Two layers, both in the LOGGING configuration: the filter masks a record's message for every handler it
passes through; the formatter masks the whole formatted text, which also holds what the filter never sees —
the traceback of `log.exception` (an exception's message often quotes the number or token at fault) and the
stack of `stack_info`. Celery's worker keeps this configuration (vigilants/celery.py), and the handlers it
adds of its own get a masking formatter too (`redact_handlers`).
"""

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
        # Formatters reuse a traceback already rendered on the record: render it masked, for every handler.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output — message, traceback, stack — is masked. Wraps another formatter
    (`inner`, e.g. Celery's coloured one) or formats like logging.Formatter."""

    def __init__(self, *args: object, inner: logging.Formatter | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record) if self.inner is not None else super().format(record)
        return redact(text)


def redact_handlers(logger: logging.Logger) -> None:
    """Give every handler of `logger` a masking formatter, keeping its own format inside."""
    for handler in logger.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(inner=handler.formatter or logging.Formatter()))
