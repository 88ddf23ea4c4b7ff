"""No phone number or token in the logs: not in messages, not in tracebacks, not from a Celery worker's stdout."""

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigilants.logfilters import RedactingFormatter, RedactPersonalData

ROOT = Path(__file__).resolve().parent.parent
PHONE = "+33612345678"
TOKEN = "fcm0123456789abcdefghijklmnopqrstuvwxyzABCDEF"


@pytest.fixture
def configured_output() -> Iterator[io.StringIO]:
    """What the handler of the LOGGING configuration (settings.py) writes, captured."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, RedactingFormatter)]
    assert handlers, "the root logger's handler of settings.LOGGING masks with RedactingFormatter"
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def fail_with_personal_data() -> None:
    raise ValueError(f"Twilio refused {PHONE} for device {TOKEN}")


def test_log_exception_masks_the_number_and_token_in_the_traceback(configured_output: io.StringIO) -> None:
    try:
        fail_with_personal_data()
    except ValueError:
        logging.getLogger("accounts.otp").exception("sending failed for %s", PHONE)
    out = configured_output.getvalue()
    assert "Traceback" in out and "ValueError: Twilio refused <phone> for device <secret>" in out
    assert "fail_with_personal_data" in out  # the traceback is still useful
    assert PHONE not in out and PHONE[1:] not in out and TOKEN not in out


def test_the_formatter_alone_masks_a_traceback_and_a_stack() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.redaction.formatter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            fail_with_personal_data()
        except ValueError:
            logger.exception("failed")
        logger.warning("here", stack_info=True, extra={"number": PHONE})
    finally:
        logger.removeHandler(handler)
    assert PHONE not in stream.getvalue() and TOKEN not in stream.getvalue()
    assert "Stack (most recent call last)" in stream.getvalue()


def test_the_filter_masks_the_traceback_for_handlers_that_do_not_mask() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a plain formatter, as a third-party handler would have
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("tests.redaction.filter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            fail_with_personal_data()
        except ValueError:
            logger.exception("failed for %s", PHONE)
    finally:
        logger.removeHandler(handler)
    assert "<phone>" in stream.getvalue()
    assert PHONE not in stream.getvalue() and TOKEN not in stream.getvalue()


WORKER_LOGGING = f"""
import logging, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
import django
django.setup()
from celery.utils.log import get_task_logger
from vigilants.celery import app
# What `celery -A vigilants worker` does to logging: set it up, then turn stdout and stderr into log records.
app.log.setup(loglevel="INFO", redirect_stdouts=True, redirect_level="WARNING")
print("SMS to {PHONE}: votre code")
try:
    raise ValueError("refused {PHONE} {TOKEN}")
except ValueError:
    logging.getLogger("notifications.sender").exception("send failed")
get_task_logger("notifications.tasks").error("task failed for {PHONE}")
"""


def test_a_celery_worker_logs_through_the_masking_configuration() -> None:
    env = {**os.environ, "DEBUG": "true", "SECRET_KEY": "test-only", "LOG_LEVEL": "INFO"}
    result = subprocess.run([sys.executable, "-c", WORKER_LOGGING], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "votre code" in out and "send failed" in out and "task failed" in out and "Traceback" in out
    assert PHONE not in out and PHONE[1:] not in out and TOKEN not in out
