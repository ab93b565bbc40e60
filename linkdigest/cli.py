"""Pieces every command-line front end shares: progress on stderr and one-line errors.

This is the command-line layer: the only part of the package that prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from linkdigest.errors import DigestError
from linkdigest.net.cache import Cache, read_cache

OK, ERROR, PROBLEMS = 0, 1, 2


class Progress:
    """A progress bar on stderr when it is a terminal; a line every 10% otherwise."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_tenth = -1

    def advance(self, note: str = "") -> None:
        self.done += 1
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {note[:40]:<40}")
            if self.done == self.total:
                self.stream.write("\n")
        elif (tenth := 10 * self.done // max(self.total, 1)) != self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(f"{self.label}: {self.done}/{self.total}\n")
        self.stream.flush()


def report_error(program: str, error: DigestError) -> int:
    """Print ``program: where: what`` (errors carry their file and line) and return 1."""
    print(f"{program}: {error}", file=sys.stderr)
    return ERROR


def read_run_cache(
    program: str, path: str | Path, *, disabled: bool, normalise: bool = True
) -> Cache:
    """The run's cache: empty when ``disabled`` (``--no-cache``); an unreadable file is set
    aside and said so on stderr."""
    if disabled:
        return Cache(Path(path), normalise=normalise)
    cache = read_cache(path, normalise=normalise)
    if cache.recovered:
        print(f"{program}: {cache.recovered}", file=sys.stderr)
    return cache
