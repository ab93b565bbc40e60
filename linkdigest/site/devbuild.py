"""Rebuilds for `make devserver`: one Pelican kept loaded, run again in this process per change.

A fresh ``python -m pelican`` per change paid for the process, the imports of Pelican, the
plugin and Markdown, and then waited for the Pagefind index before the browser was told to
reload. Here the Pelican instance is made once, as ``pelican CONTENT -o OUTPUT -s SETTINGS``
makes it, and ``run()`` is called again for each change, as Pelican's own ``--autoreload``
does; the settings are read again only when their file changed. The search index is not
waited for (``SEARCH_WAIT = False``): ``build`` returns once every page is written, and the
index, swapped in by renames when Pagefind is done, follows a moment later.

What one build read is kept for the next, in this process only: Pelican's content cache
(the posts as read, tens of megabytes of pickle at a thousand digests) stays loaded instead of
being read back from disk and written out again on every change (it is written once the
pages are, by ``flush``, so a restart still starts warm), and the URL caches stay filled
(``KEEP_URL_CACHES``). Entries of a file that changed are read again, as Pelican reads them.
Pages themselves are rendered again only when what they show changed (the writer's memo).

Code (the plugin, this package) cannot be reloaded into a running process: the devserver
restarts itself for that. A build that raises leaves the pages of the last good build in
place (the writer replaces a page only when its text changed, atomically) and returns what
went wrong as text.

May import what ``linkdigest.site`` may, and Pelican.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blinker import signal

from linkdigest.files import FileStamp, read_file_stamp, write_pickle_atomic
from linkdigest.site.search import SEARCH_DEFERRED_SIGNAL, IndexReport

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
        self.arguments += ["-e", "SEARCH_WAIT=false", "KEEP_URL_CACHES=true"]
        self.arguments += ["BUILD_SKIP_UNCHANGED=false"]  # it sees the changes itself
        self.settings_path = settings
        self.settings_stamp: int | None = None
        self.pelican: Any = None
        self.start_index: Callable[[], Future[IndexReport] | None] | None = None
        self.lock = threading.Lock()
        self.caches = KeptCaches()

    def note_index(
        self, _sender: Any, start: Callable[[], Future[IndexReport] | None], **_: Any
    ) -> None:
        self.start_index = start

    def build(self) -> BuildOutcome:
        """Run the build; returns once the pages are written (the index may still run)."""
        started = time.perf_counter()
        with self.lock:
            forget_logged_messages()
            forget_memoized_posts()
            self.start_index = None
            try:
                self.load_pelican()
                # Connected for this build only: another Pelican run in the process (a test's)
                # starts its own index.
                deferred = signal(SEARCH_DEFERRED_SIGNAL)
                with self.caches.kept(), deferred.connected_to(self.note_index):
                    self.pelican.run()
            except Exception as error:  # whatever a plugin, a template or Pelican raises
                self.pelican = None  # read the settings again next time
                message = f"{type(error).__name__}: {error}"
                return BuildOutcome(False, time.perf_counter() - started, message)
            seconds = time.perf_counter() - started
            # Only now, with all of the build done: the index would slow what is left of it.
            search = self.start_index() if self.start_index is not None else None
        return BuildOutcome(True, seconds, search=search)

    def flush(self) -> None:
        """Write the content caches the last build changed (call once its pages are shown)."""
        with self.lock:
            self.caches.flush()

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


def forget_memoized_posts() -> None:
    """Pelican memoizes each post's HTML and summary with the post object as the key, in one
    dict per method for the whole process (``pelican.utils.memoized``): each rebuild added
    its thousand posts (and all they hold) to it, for good: 10 MiB more per save at 1,000
    digests. The last build's posts are of no use to the next, which makes its own."""
    from pelican.contents import Content

    for name in ("get_content", "get_summary"):
        cache = getattr(Content.__dict__.get(name), "cache", None)
        if isinstance(cache, dict):
            cache.clear()


class KeptCaches:
    """Pelican's file caches (``pelican.cache.FileDataCacher``), kept loaded between builds.

    While ``kept()`` is on, a cache Pelican opens is the one this process last loaded or
    saved, if its file is still the one it read or wrote (a build in another process, or a
    deleted cache folder, makes it read the file again); a cache Pelican saves is kept, and
    written to disk by ``flush``."""

    def __init__(self) -> None:
        self.loaded: dict[str, tuple[FileStamp | None, dict[Any, Any]]] = {}
        self.unsaved: dict[str, Any] = {}  # cache path -> the cacher to save

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        from pelican.cache import FileDataCacher

        original_init, original_save = FileDataCacher.__init__, FileDataCacher.save_cache
        keeper = self

        def init(cacher: Any, settings: Any, name: str, caching: bool, loading: bool) -> None:
            path = os.path.join(settings["CACHE_PATH"], name)
            known = keeper.loaded.get(path)
            if (
                loading
                and known is not None
                and (path in keeper.unsaved or known[0] == read_file_stamp(path))
            ):
                original_init(cacher, settings, name, caching, False)
                cacher._cache = known[1]
                return
            original_init(cacher, settings, name, caching, loading)
            if loading:
                keeper.loaded[path] = (read_file_stamp(path), cacher._cache)

        def save(cacher: Any) -> None:
            if cacher._cache_data_policy:
                keeper.loaded[cacher._cache_path] = (None, cacher._cache)
                keeper.unsaved[cacher._cache_path] = cacher

        FileDataCacher.__init__, FileDataCacher.save_cache = init, save
        try:
            yield
        finally:
            FileDataCacher.__init__, FileDataCacher.save_cache = original_init, original_save

    def flush(self) -> None:
        """Write each changed cache through a temporary file and a rename (a devserver
        stopped while writing leaves the cache it had). One that cannot be written stays
        unsaved, to be tried again after the next build."""
        for path, cacher in list(self.unsaved.items()):
            try:
                write_pickle_atomic(path, cacher._cache, bool(cacher.settings["GZIP_CACHE"]))
            except (OSError, pickle.PicklingError, TypeError):
                continue
            self.loaded[path] = (read_file_stamp(path), cacher._cache)
            del self.unsaved[path]
