"""A fake of the State's vigilance sources on loopback: Vigicrues' services and MeteoAlarm's France feed, in their
wire formats (documents.py), with control endpoints to raise a section or a département and to inject faults.

In tests: `fake = FakeState(); base = fake.start()`, then VIGICRUES_URL = base + "/vigicrues/services/1" and
METEOALARM_FEED_URL = base + "/meteoalarm/feeds/meteoalarm-legacy-atom-france"; `fake.set_section("AP1", 3)`.
From outside (`python -m fakeprovider.state --port 8766`): `POST /_vigicrues {"section": "AP1", "level": 3}`,
`POST /_meteoalarm {"emma_id": "FR029", "level": 3, "type": "3; Thunderstorm", "area": "Alpes Maritimes"}`,
`POST /_fault {"service": "vigicrues", "mode": "http500"|"timeout"|"malformed"|"stale", "count": 2}`,
`POST /_reset`, `GET /_state`.
"""

import contextlib
import json
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import documents
from .documents import REFERENTIAL, Warning

VIGICRUES = "/vigicrues/services/1/"
METEOALARM_FEED = "/meteoalarm/feeds/meteoalarm-legacy-atom-france"
METEOALARM_CAP = "/meteoalarm/api/v1/warnings/feeds-france/"
FAULT_MODES = ("http500", "timeout", "malformed", "stale")
Reply = tuple[int, str, bytes]


class FakeState:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.slow_seconds = 3.0  # a "timeout" fault answers after this: longer than the reader's timeout in tests
        self._server: ThreadingHTTPServer | None = None
        self.reset()

    def start(self) -> str:
        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-state", daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def vigicrues_url(self) -> str:
        return self.url + VIGICRUES.rstrip("/")

    @property
    def meteoalarm_url(self) -> str:
        return self.url + METEOALARM_FEED

    # --- state and control -----------------------------------------------------------------
    def reset(self) -> None:
        """Back to the samples' levels, no faults; requests forgotten."""
        with self.lock:
            synthesis = documents.sample_json("vigicrues/InfoVigiCru-TypEntVigiCru2-detail.json")
            self.sections = {section["vic:porteSurLEntite"]["vic:CdEntVigiCru"]: int(section["vic:NivInfoVigiCru"])
                             for territory in synthesis["vic:InfoVigiCru"]["vic:estLaSyntheseDe"]
                             for section in territory["vic:estLaSyntheseDe"]}  # fmt: skip
            self.warnings: list[Warning] = documents.initial_warnings()
            self.faults: dict[str, tuple[str, int | None]] = {}
            self.requests: list[str] = []

    def set_section(self, section: str, level: int) -> None:
        if level not in (1, 2, 3, 4):
            raise ValueError("level: 1 green, 2 yellow, 3 orange, 4 red")
        with self.lock:
            REFERENTIAL.setdefault(section, (section, []))
            self.sections[section] = level

    def set_warning(self, emma_id: str, level: int, awareness_type: str = "3; Thunderstorm", area: str = "",
                    event_fr: str = "orages") -> None:  # fmt: skip
        """The warning of this type over this area at `level` (1 removes it), as MeteoAlarm would list it."""
        if level not in (1, 2, 3, 4):
            raise ValueError("level: 1 green, 2 yellow, 3 orange, 4 red")
        with self.lock:
            self.warnings = [w for w in self.warnings if (w.emma_id, w.awareness_type) != (emma_id, awareness_type)]
            if level > 1:
                self.warnings.append(Warning(emma_id=emma_id, area=area or emma_id, awareness_type=awareness_type,
                                             level=level, event_fr=event_fr))  # fmt: skip

    def fail(self, service: str, mode: str, count: int | None = None) -> None:
        """The next `count` answers of `service` (vigicrues, meteoalarm, all) fail this way (None: until reset)."""
        if mode not in FAULT_MODES or service not in ("vigicrues", "meteoalarm", "all"):
            raise ValueError(f"service: vigicrues, meteoalarm or all; mode: one of {FAULT_MODES}")
        with self.lock:
            self.faults[service] = (mode, count)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"sections": dict(self.sections), "faults": {k: list(v) for k, v in self.faults.items()},
                    "warnings": [vars(w) for w in self.warnings], "requests": len(self.requests)}  # fmt: skip

    def _take_fault(self, service: str) -> str | None:
        with self.lock:
            for key in (service, "all"):
                if key in self.faults:
                    mode, count = self.faults[key]
                    if count is not None:
                        if count <= 1:
                            del self.faults[key]
                        else:
                            self.faults[key] = (mode, count - 1)
                    return mode
        return None

    # --- answers ----------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str]) -> Reply:
        self.requests.append(path)
        if path.startswith(VIGICRUES):
            return self._faulty("vigicrues", lambda now: self._vigicrues(path[len(VIGICRUES):].rstrip("/"), query, now))
        if path == METEOALARM_FEED:
            return self._faulty("meteoalarm", self._meteoalarm_feed)
        if path.startswith(METEOALARM_CAP):
            return self._meteoalarm_cap(path[len(METEOALARM_CAP):])
        return 404, "text/plain", b"not found"

    def _faulty(self, service: str, render: Any) -> Reply:
        mode = self._take_fault(service)
        now = datetime.now(UTC)
        if mode == "http500":
            return 500, "text/html", b"<html><body>Erreur interne</body></html>"
        if mode == "timeout":
            time.sleep(self.slow_seconds)
        if mode == "malformed":
            status, kind, body = render(now)
            return status, kind, body[: len(body) // 2]  # cut in the middle, as a dropped connection would
        if mode == "stale":
            return render(now - timedelta(days=3))
        return render(now)

    def _vigicrues(self, name: str, query: dict[str, str], now: datetime) -> Reply:
        with self.lock:
            if name == "InfoVigiCru.jsonld" and query.get("TypEntVigiCru") == "2":
                return 200, "application/ld+json", documents.vigicrues_synthesis(self.sections, now)
            if name == "TronEntVigiCru.jsonld" and "CdEntVigiCru" not in query:
                return 200, "application/ld+json", documents.vigicrues_sections()
            if name == "TronEntVigiCru.jsonld":
                body = documents.vigicrues_section(query["CdEntVigiCru"])
            elif name == "StaEntVigiCru.jsonld" and "CdEntVigiCru" in query:
                body = documents.vigicrues_station(query["CdEntVigiCru"])
            else:
                body = None
        return (200, "application/ld+json", body) if body is not None else (404, "text/plain", b"not found")

    def _meteoalarm_feed(self, now: datetime) -> Reply:
        with self.lock:
            return 200, "application/atom+xml", documents.meteoalarm_feed(self.warnings, self.url, now)

    def _meteoalarm_cap(self, warning_id: str) -> Reply:
        with self.lock:
            found = [w for w in self.warnings if w.id == warning_id]
        if not found:
            return 404, "application/json", b'{"detail": "Not found."}'
        return 200, "application/cap+xml", documents.meteoalarm_cap(found[0], datetime.now(UTC))

    def control(self, path: str, body: dict[str, Any]) -> None:
        if path == "/_reset":
            self.reset()
        elif path == "/_vigicrues":
            self.set_section(str(body["section"]), int(body["level"]))
        elif path == "/_meteoalarm":
            self.set_warning(str(body["emma_id"]), int(body["level"]), str(body.get("type", "3; Thunderstorm")),
                             str(body.get("area", "")), str(body.get("event_fr", "orages")))  # fmt: skip
        elif path == "/_fault":
            count = body.get("count")
            self.fail(str(body.get("service", "all")), str(body["mode"]), int(count) if count is not None else None)
        else:
            raise LookupError(path)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""

    @property
    def fake(self) -> FakeState:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/_state":
            self._reply(200, "application/json", json.dumps(self.fake.state()).encode())
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
            self._reply(*self.fake.answer(path, dict(urllib.parse.parse_qsl(query))))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            self.fake.control(self.path, body if isinstance(body, dict) else {})
        except KeyError as error:
            self._reply(400, "application/json", json.dumps({"error": f"missing {error}"}).encode())
            return
        except LookupError:
            self._reply(404, "application/json", b'{"error": "not found"}')
            return
        except (ValueError, TypeError) as error:
            self._reply(400, "application/json", json.dumps({"error": str(error)}).encode())
            return
        self._reply(200, "application/json", b'{"ok": true}')

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
