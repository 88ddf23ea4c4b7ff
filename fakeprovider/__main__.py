"""python -m fakeprovider --port 8765 [--service-account PATH] [--no-record]

A fake Twilio + FCM + Google OAuth2 server for tests, benchmarks and black-box runs on a closed network."""

import argparse
import sys

from .credentials import DEFAULT_PROJECT_ID, write_service_account
from .server import FakeProvider

ENDPOINTS = """\
provider endpoints (the SDKs' wire formats):
  POST /2010-04-01/Accounts/{AccountSid}/Messages.json   send an SMS (Twilio, basic auth)
  GET  /2010-04-01/Accounts/{AccountSid}/Messages.json   Twilio's list of the SMS accepted, newest first:
       filters To, From, DateSent (a day), DateSent< and DateSent> (YYYY-MM-DD or ISO 8601), pages PageSize,
       Page, PageToken; Twilio's page JSON (messages, first/next/previous_page_uri, page, page_size, start, end)
  GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   one of them
  POST /v1/projects/{project}/messages:send              send a push (FCM HTTP v1, bearer token)
  POST /token                                            OAuth2 JWT-bearer grant (the service account's token_uri)
  Every POST over HTTP/1.1, or over HTTP/2 with prior knowledge (h2c: a client that opens with the preface).

test endpoints:
  GET  /_shown      what each phone shows of the accepted requests (kept with --no-record):
                    {"push": {token: {"shown", "received", "first_at", "last_at"}}, "sms": {to: {...}}};
                    pushes carrying the same tag (android.notification.tag, else apns-collapse-id, else
                    webpush Topic) replace each other, untagged ones and SMS add up
  GET  /_requests   every request received (none with --no-record)
  GET  /_sms_rate   the most SMS requests received within any one second
  GET  /_callbacks  the Twilio status callbacks sent
  POST /_inbound_sms {"from": "+336...", "body": "..."}   a person texts the service: Twilio's inbound SMS
                    webhook, signed, posted to --inbound-url (or "url"); answers {"status", "sid", "replies"}
  POST /_reset      forget everything received, clear faults and settings
  POST /_control    {"fail": {"status": 503, "service": "fcm", "count": 5}, "latency": 0.1, ...}

failing recipients: see fakeprovider/faults.py (numbers ending in 99xxx, tokens starting with fail-).
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fakeprovider", description=__doc__, epilog=ENDPOINTS,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--account-sid", help="Twilio account SID to accept (default: the fake's)")
    parser.add_argument("--auth-token", help="Twilio auth token to accept and sign callbacks with")
    parser.add_argument("--service-account", help="write a service-account JSON here (token_uri: this server)")
    parser.add_argument("--project-id", default=DEFAULT_PROJECT_ID)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--no-record", action="store_true",
                        help="do not keep requests (benchmarks); what phones show and Twilio's list are kept")
    parser.add_argument("--no-callbacks", action="store_true", help="send no Twilio status callbacks")
    parser.add_argument("--inbound-url", default="",
                        help="the service's inbound SMS webhook, e.g. http://127.0.0.1:8000/api/v1/webhooks/twilio/inbound")
    args = parser.parse_args(argv)
    options = {k: v for k, v in (("account_sid", args.account_sid), ("auth_token", args.auth_token)) if v}
    fake = FakeProvider(args.host, args.port, record=not args.no_record, inbound_url=args.inbound_url, **options)
    fake.configure(latency=args.latency, callbacks=not args.no_callbacks)
    url = fake.start()
    if args.service_account:
        write_service_account(args.service_account, url, args.project_id)
    sys.stdout.write(f"fake provider on {url} (Twilio account {fake.account_sid})\n")
    sys.stdout.flush()
    try:
        fake.wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
