"""Domain errors: the one tree of errors the library raises on purpose.

Only the command-line layer turns them into messages: one line that says what, where (a
file:line, a URL, a target) and what to do, and an exit status of 1::

    DigestError                 every error raised on purpose
    ├── ConfigError             a settings file or setting (linkdigest.toml, pelicanconf.py)
    ├── ContentError            content on disk: a post, a draft, a source file, a record
    ├── UsageError              a command's arguments (exit 1, like the others)
    ├── DeployError             a deploy could not start or finish
    ├── SearchError             the search index could not be built
    └── ToolError               an outside tool is missing or failed (Java, Node, chromium)

A bad link is not an error: link checking returns verdicts (see ``linkdigest.checking``).
"""

from __future__ import annotations


class DigestError(Exception):
    """Base class of every error this library raises on purpose."""


class _Located(DigestError):
    """An error at a place: a file (or another name) and, when known, a line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class ConfigError(_Located):
    """A settings file or setting is wrong: names the file (and line, when known)."""


class ContentError(_Located):
    """Content on disk is malformed: names the file, the line (when known) and what to do."""


class UsageError(DigestError):
    """A command was asked for something it cannot do with these arguments."""


class DeployError(DigestError):
    """A deploy could not start or finish: names the target and what to do."""


class SearchError(DigestError):
    """The index could not be built: the binary is missing, failed or refused a document."""


class ToolError(DigestError):
    """A checker is missing or failed to run: the message says what to install or run."""
