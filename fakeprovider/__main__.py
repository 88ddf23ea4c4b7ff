"""python -m fakeprovider --port 8765 [--service-account PATH] [--no-record]"""

import argparse
import sys

from .credentials import DEFAULT_PROJECT_ID, write_service_account
from .server import FakeProvider


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fakeprovider", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--account-sid", help="Twilio account SID to accept (default: the fake's)")
    parser.add_argument("--auth-token", help="Twilio auth token to accept and sign callbacks with")
    parser.add_argument("--service-account", help="write a service-account JSON here (token_uri: this server)")
    parser.add_argument("--project-id", default=DEFAULT_PROJECT_ID)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--no-record", action="store_true", help="do not keep requests (benchmarks)")
    parser.add_argument("--no-callbacks", action="store_true", help="send no Twilio status callbacks")
    args = parser.parse_args(argv)
    options = {k: v for k, v in (("account_sid", args.account_sid), ("auth_token", args.auth_token)) if v}
    fake = FakeProvider(args.host, args.port, record=not args.no_record, **options)
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
