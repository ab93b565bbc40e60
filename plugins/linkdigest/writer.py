"""writer: Pelican's writer, which leaves alone every file whose new text is what it holds.

Hooks ``get_writer``, Pelican's own way to hand it a writer class. A rebuild (``make html``
again, or each change under ``make devserver``) renders every page again, and most come out
the same; opening each for writing truncates and rewrites it, which on a busy disk cost a
warm build of 1,000 digests more time than rendering its articles, and hands the browser
and rsync new files that are not new. Only text that differs is written, atomically, so a
page is never seen half written. What Pelican checks on each write (the same file written
twice, ``override``) is done as Pelican does it, in the one method overridden.
"""

from __future__ import annotations

import io
import logging
import os
from typing import Any

from pelican import signals
from pelican.writers import FileOverwriteFailedError, Writer

from linkdigest.files import write_text_atomic

logger = logging.getLogger("pelican.writers")  # Pelican's messages, under Pelican's name


class ChangedFile(io.StringIO):
    """Text for ``path``, kept until closed, then written only if the file differs."""

    def __init__(self, path: str, encoding: str) -> None:
        super().__init__()
        self.path = path
        self.text_encoding = encoding

    def close(self) -> None:
        if not self.closed:
            write_if_changed(self.path, self.getvalue(), self.text_encoding)
        super().close()


def write_if_changed(path: str, text: str, encoding: str) -> None:
    if path == os.devnull:
        return
    data = text.encode(encoding)
    try:
        with open(path, "rb") as existing:
            if existing.read(len(data) + 1) == data:
                return
    except OSError:
        pass  # no such file yet, or one that cannot be read: write it
    write_text_atomic(path, text)


class UnchangedFilesWriter(Writer):  # type: ignore[misc]
    """Pelican's Writer, whose ``_open_w`` (every page and feed is written through it)
    returns a ChangedFile instead of the truncated file."""

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> ChangedFile:
        # Pelican's own checks (pelican/writers.py, 4.10 to 4.12), word for word.
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)'
                )
            logger.info('Skipping "%s", not overwriting', filename)
            filename = os.devnull
        elif filename in self._written_files:
            if override:
                logger.info('Overwriting "%s"', filename)
            else:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" as Pelican has already '
                    "written to it previously (set `override=True` if intended)"
                )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return ChangedFile(filename, encoding)


def get_writer(_pelican: Any) -> type[Writer]:
    return UnchangedFilesWriter


def register() -> None:
    signals.get_writer.connect(get_writer)
