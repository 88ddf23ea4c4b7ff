"""Files written so that a crash leaves the old file or the whole new one, never a part of it."""

import os
from pathlib import Path


def write_atomically(path: Path, content: bytes) -> None:
    """Readers see the old file or the whole new one, never a part."""
    temporary = temporary_beside(path)
    try:
        temporary.write_bytes(content)
        replace_durably(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def temporary_beside(path: Path) -> Path:
    """An empty file readable by its owner only (a dump holds phone numbers), in the target's directory
    so that the final rename never crosses file systems."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    return temporary


def replace_durably(temporary: Path, path: Path) -> None:
    """Flush the data, rename over the target, flush the directory: after a crash, the old file or the new."""
    with temporary.open("rb+") as file:
        os.fsync(file.fileno())
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
