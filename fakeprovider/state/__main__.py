"""python -m fakeprovider.state --port 8766

A fake Vigicrues and MeteoAlarm (France) on loopback, for tests and black-box runs on a closed network."""

import argparse
import sys

from .server import FakeState

ENDPOINTS = """\
sources (their wire formats, today's dates):
  GET  /vigicrues/services/1/InfoVigiCru.jsonld/?TypEntVigiCru=2&mode=detail   national synthesis, every section
  GET  /vigicrues/services/1/TronEntVigiCru.jsonld/[?CdEntVigiCru=AP1&TypEntVigiCru=8]   sections, one section
  GET  /vigicrues/services/1/StaEntVigiCru.jsonld/?CdEntVigiCru=D019223001&TypEntVigiCru=7   one station
  GET  /meteoalarm/feeds/meteoalarm-legacy-atom-france                      Atom feed of the warnings in force
  GET  /meteoalarm/api/v1/warnings/feeds-france/{id}                        one warning's CAP 1.2 message
  Point the service at them: VIGICRUES_URL=http://127.0.0.1:8766/vigicrues/services/1
  METEOALARM_FEED_URL=http://127.0.0.1:8766/meteoalarm/feeds/meteoalarm-legacy-atom-france

control:
  POST /_vigicrues  {"section": "AP1", "level": 3}          a section's level: 1 green, 2 yellow, 3 orange, 4 red
  POST /_meteoalarm {"emma_id": "FR029", "level": 3, "type": "3; Thunderstorm", "area": "Alpes Maritimes"}
  POST /_fault      {"service": "vigicrues"|"meteoalarm"|"all", "mode": "http500"|"timeout"|"malformed"|"stale",
                     "count": 2}                             the next answers fail (no count: until /_reset)
  POST /_reset      back to the samples
  GET  /_state      levels, warnings, faults
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fakeprovider.state", description=__doc__, epilog=ENDPOINTS,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    fake = FakeState(args.host, args.port)
    url = fake.start()
    sys.stdout.write(f"fake State sources on {url}: VIGICRUES_URL={fake.vigicrues_url} "
                     f"METEOALARM_FEED_URL={fake.meteoalarm_url}\n")  # fmt: skip
    sys.stdout.flush()
    try:
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
