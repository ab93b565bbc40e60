"""Disk helpers: atomic writes, so an interrupted run never leaves half a file behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_text_exact(path: str | os.PathLike[str]) -> str:
    """A text file as it is on disk: line endings kept (no newline translation)."""
    with Path(path).open(encoding="utf-8", newline="") as stream:
        return stream.read()


def write_text_with_backup(path: str | os.PathLike[str], text: str) -> Path:
    """Keep a timestamped ``.bak`` copy of ``path`` beside it, then replace it atomically.
    Returns the backup's path."""
    target = Path(path)
    backup = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
    shutil.copy2(target, backup)
    write_text_atomic(target, text)
    return backup


def read_fingerprint(paths: Iterable[Path], extra: str = "") -> str:
    """A short hash of the files' bytes (and ``extra``): it changes when any of them does."""
    digest = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
