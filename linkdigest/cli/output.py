"""What the commands print on stderr: progress, and messages that start with the program."""

from __future__ import annotations

import sys
from typing import TextIO

from linkdigest.errors import DigestError


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


def say(program: str, message: str) -> None:
    """One line on stderr: ``program: message``."""
    print(f"{program}: {message}", file=sys.stderr, flush=True)


def report_error(program: str, error: DigestError) -> int:
    """Print ``program: where: what; what to do`` (errors carry their place) and return 1."""
    say(program, str(error))
    return 1
