"""Rebuilds for `make devserver`: one Pelican kept loaded, run again in this process per change.

A fresh ``python -m pelican`` per change paid for the process, the imports of Pelican, the
plugin and Markdown, and then waited for the Pagefind index before the browser was told to
reload. Here the Pelican instance is made once, as ``pelican CONTENT -o OUTPUT -s SETTINGS``
makes it, and ``run()`` is called again for each change, as Pelican's own ``--autoreload``
does; the settings are read again only when their file changed. The search index is not
waited for (``SEARCH_WAIT = False``): ``build`` returns once every page is written, and the
index, swapped in by renames when Pagefind is done, follows a moment later.

Code (the plugin, this package) cannot be reloaded into a running process: the devserver
restarts itself for that. A build that raises leaves the pages of the last good build in
place (the writer replaces a page only when its text changed, atomically) and returns what
went wrong as text.

May import what ``linkdigest.site`` may, and Pelican.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blinker import signal

from linkdigest.site.search import SEARCH_INDEXING_SIGNAL, IndexReport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOutcome:
    """One rebuild: whether it finished, how long writing the pages took, and why not; the
    search index it started, still being written (None: search is off)."""

    ok: bool
    seconds: float
    error: str = ""
    search: Future[IndexReport] | None = None


class SiteBuilder:
    """A Pelican instance for one site, run again on each ``build``."""

    def __init__(self, content: Path, output: Path, settings: Path) -> None:
        self.arguments = [str(content), "-o", str(output), "-s", str(settings)]
        self.arguments += ["-e", "SEARCH_WAIT=false"]
        self.settings_path = settings
        self.settings_stamp: int | None = None
        self.pelican: Any = None
        self.indexing: Future[IndexReport] | None = None
        self.lock = threading.Lock()
        signal(SEARCH_INDEXING_SIGNAL).connect(self.note_indexing, weak=False)

    def note_indexing(self, _sender: Any, future: Future[IndexReport], **_: Any) -> None:
        self.indexing = future

    def build(self) -> BuildOutcome:
        """Run the build; returns once the pages are written (the index may still run)."""
        started = time.perf_counter()
        with self.lock:
            forget_logged_messages()
            self.indexing = None
            try:
                self.load_pelican()
                self.pelican.run()
            except Exception as error:  # whatever a plugin, a template or Pelican raises
                self.pelican = None  # read the settings again next time
                message = f"{type(error).__name__}: {error}"
                return BuildOutcome(False, time.perf_counter() - started, message)
        return BuildOutcome(True, time.perf_counter() - started, search=self.indexing)

    def load_pelican(self) -> None:
        """Pelican as its command line makes it, again whenever the settings file changed."""
        from pelican import get_instance, parse_arguments

        stamp = os.stat(self.settings_path).st_mtime_ns
        if self.pelican is None or stamp != self.settings_stamp:
            self.pelican, _ = get_instance(parse_arguments(self.arguments))
            self.settings_stamp = stamp


def forget_logged_messages() -> None:
    """Pelican logs a message once per process (its LimitFilter): each rebuild is a build of
    its own, whose warnings (a broken entry still broken) are shown again."""
    from pelican.log import LimitFilter

    LimitFilter._ignore.clear()
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
