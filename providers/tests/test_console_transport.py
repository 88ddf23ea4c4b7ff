"""The console backends: stdout and ConsoleMessage rows, every message SENT."""

import pytest

from providers.base import Outcome, PushMessage, SmsMessage, get_push_backend, get_sms_backend, reset_backends
from providers.models import ConsoleMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(settings):
    settings.SMS_BACKEND = settings.SMS_BACKENDS["console"]
    settings.PUSH_BACKEND = settings.PUSH_BACKENDS["console"]
    reset_backends()
    yield
    reset_backends()


def test_it_writes_sms_to_stdout_and_the_database(console, capsys, settings):
    settings.DEBUG = True  # the demo: the developer reads the code in the console
    results = get_sms_backend().send_batch(
        [SmsMessage("d-1", "+33612345678", "Votre code : 123456"), SmsMessage("d-2", "+33612345679", "a" * 161)]
    )

    out = capsys.readouterr().out
    assert "+33612345678" not in out  # stdout is a log too: only the last two digits
    assert "**********78" in out
    assert "Votre code : 123456" in out
    rows = ConsoleMessage.objects.order_by("pk")
    assert [(r.channel, r.recipient, r.body, r.key) for r in rows] == [
        ("sms", "+33612345678", "Votre code : 123456", "d-1"),
        ("sms", "+33612345679", "a" * 161, "d-2"),
    ]
    assert [(r.key, r.outcome, r.segments) for r in results] == [("d-1", Outcome.SENT, 1), ("d-2", Outcome.SENT, 2)]
    assert [r.provider_id for r in results] == [f"console-{row.pk}" for row in rows]


def test_with_debug_off_it_prints_neither_the_number_nor_the_text(console, capsys, settings):
    settings.DEBUG = False
    get_sms_backend().send_batch([SmsMessage("d-1", "+33612345678", "Votre code : 123456")])
    get_push_backend().send_batch([PushMessage("d-2", "tok-123456789012345", "Cambriolage", "Rue des Remparts")])

    out = capsys.readouterr().out
    assert "SMS to **********78 [d-1" in out
    for secret in ("+33612345678", "612345678", "123456", "Cambriolage", "Remparts", "tok-123456789012345"):
        assert secret not in out
    # The database rows keep everything, for the demo's admin.
    assert ConsoleMessage.objects.filter(recipient="+33612345678", body="Votre code : 123456").exists()


def test_it_writes_pushes_to_stdout_and_the_database(console, capsys, settings):
    settings.DEBUG = True
    message = PushMessage("d-9", "tok-123456789012345", "Cambriolage", "Rue des Remparts", {"alert": "42"},
                          collapse_key="alert-42", urgent=True)

    (result,) = get_push_backend().send_batch([message])

    out = capsys.readouterr().out
    assert "Cambriolage" in out
    assert "urgent" in out
    row = ConsoleMessage.objects.get()
    assert (row.channel, row.recipient, row.title, row.body, row.key) == (
        "push", "tok-123456789012345", "Cambriolage", "Rue des Remparts", "d-9")
    assert (result.key, result.outcome, result.provider_id) == ("d-9", Outcome.SENT, f"console-{row.pk}")


def test_it_does_not_log(console, caplog):
    get_sms_backend().send_batch([SmsMessage("d-1", "+33612345678", "x")])

    assert caplog.records == []


def test_it_sends_an_empty_batch(console):
    assert get_sms_backend().send_batch([]) == []
    assert get_push_backend().send_batch([]) == []
