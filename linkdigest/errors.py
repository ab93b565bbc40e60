"""Domain errors raised by the library; only the command-line layer turns them into messages."""

from __future__ import annotations


class DigestError(Exception):
    """Base class of every error this library raises on purpose."""


class ContentError(DigestError):
    """Content on disk is malformed: names the file, the line (when known) and what to do."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class FetchError(DigestError):
    """A network fetch failed in a way the caller must handle."""


class ConfigError(DigestError):
    """A settings file or setting is wrong: names the file (and line, when known)."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
