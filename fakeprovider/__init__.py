"""A fake Twilio + FCM + Google OAuth2 server on loopback, for tests, the bench and black-box runs.

Test tooling, not part of the service: it speaks the providers' wire formats and imports nothing of the
service it checks. `python -m fakeprovider --port 8765` (`--help` lists its endpoints). Besides sending, it
serves Twilio's Messages list back from the SMS it accepted (twilio_list.py) and tells what each phone shows
(`FakeProvider.shown()`, `GET /_shown`, records.py).
"""

from .credentials import write_service_account
from .faults import CALL_CODES, SMS_CODES, TOKEN_PREFIXES, call_behaviour, sms_behaviour, token_behaviour
from .server import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, RecordedRequest

__all__ = [
    "CALL_CODES",
    "FAKE_ACCOUNT_SID",
    "FAKE_AUTH_TOKEN",
    "SMS_CODES",
    "TOKEN_PREFIXES",
    "FakeProvider",
    "RecordedRequest",
    "call_behaviour",
    "sms_behaviour",
    "token_behaviour",
    "write_service_account",
]
