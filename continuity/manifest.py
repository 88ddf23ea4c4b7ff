"""The manifest written beside each backup: what a restore must find again.

Row counts are read in the dump's own snapshot (PostgreSQL) or from the copy itself (SQLite), so a
restore that finds the same counts has every row the backup saw, outbox messages and their deliveries
included. The checksum tells a truncated or damaged copy of the dump before anything is restored.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .files import write_atomically

FORMAT = 1
# The tables a reader of the report looks at first; every table is counted and checked all the same.
MAIN_TABLES = {
    "accounts_user": "utilisateurs",
    "communes_membership": "adhésions",
    "alerts_alert": "alertes",
    "notifications_message": "messages (file d'envoi)",
    "notifications_delivery": "envois",
}


@dataclass
class Manifest:
    created_at: str
    vendor: str
    database: str  # describe(): no password
    dump: str  # file name, so that the pair can be moved together
    size: int
    sha256: str
    seconds: float
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    format: int = FORMAT
    main_tables: list[str] = field(default_factory=lambda: list(MAIN_TABLES))

    def write(self, path: Path) -> None:
        write_atomically(path, json.dumps(asdict(self), indent=2, ensure_ascii=False).encode() + b"\n")

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"format de manifeste inconnu : {data.get('format')!r}")
        return cls(**data)


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def count_differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """One line per table whose restored count differs from the manifest's (or that is missing)."""
    lines = []
    for table, count in expected.items():
        if table not in found:
            lines.append(f"{table} : absente (attendu {count})")
        elif found[table] != count:
            lines.append(f"{table} : {found[table]} lignes (attendu {count})")
    return lines
