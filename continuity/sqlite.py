"""SQLite (the embedded default): the online backup API, a consistent copy even while the service writes."""

import sqlite3
from contextlib import closing
from pathlib import Path

from .databases import DatabaseSettings, applied_migrations, connected, table_counts


def dump(db: DatabaseSettings, output: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Copy the database to `output`; return the row counts and migrations of the copy itself."""
    with connected(db) as connection:
        connection.ensure_connection()
        with closing(sqlite3.connect(output)) as copy:
            connection.connection.backup(copy)
    with connected({**db, "NAME": str(output)}) as copy_connection:
        return table_counts(copy_connection), applied_migrations(copy_connection)


def ensure_database(db: DatabaseSettings) -> bool:
    """True when the target file does not exist yet (load() creates it)."""
    return not Path(db["NAME"]).exists()


def object_count(db: DatabaseSettings) -> int:
    """Tables, views, indexes and triggers in the target file: 0 when it is missing or empty."""
    path = Path(db["NAME"])
    if not path.exists():
        return 0
    with closing(sqlite3.connect(_read_only(path), uri=True)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]


def load(dump_path: Path, db: DatabaseSettings, clean: bool = False) -> None:
    """Copy the backup over the target page by page: the whole content is replaced (so `clean` changes
    nothing), and a process that has the target open sees the new content."""
    target = Path(db["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(_read_only(dump_path), uri=True)) as source,
        closing(sqlite3.connect(target)) as destination,
    ):
        source.backup(destination)


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"
