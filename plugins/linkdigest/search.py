"""search: builds the Pagefind index of the site and writes the search page.

Thin glue over ``linkdigest.site.search``. Signals, and why:

- ``initialized``: the ``SEARCH_*`` defaults go into the settings before any template is
  rendered, so ``partials/_search.html`` can test ``SEARCH_ENABLED`` on every page.
- ``all_generators_finalized``: every post and page is known, so indexing starts here, in a
  thread, and runs while Pelican writes the pages; the generator waits for it at the end.
- ``get_generators``: indexing runs as a generator rather than on ``finalized`` because a
  generator is handed the final context (published posts and pages, the digests' links)
  and its pages are written with Pelican's writer and the theme, as every other page is.
  A failure to index is logged as an error: the preview still builds, and `make publish`
  (``--fatal warnings``) fails, so a site without working search is never published.

With SEARCH_WAIT = False (`make devserver` sets it) the build does not wait for the index:
``generate_output`` sends the blinker signal ``SEARCH_DEFERRED_SIGNAL`` with a callable that
starts it, which the devserver calls once Pelican's run has returned (the build is done, and
the browser reloads before the index is swapped in). Started earlier, the indexing thread
(which makes the documents in Python, under the GIL) and Pagefind would slow the very work
the browser waits for, on a machine with two cores: started in ``generate_output``, it slowed
the static files' copy and the page memo's save after it by 0.1 to 0.4 s a rebuild. (Not at
``finalized``: other plugins' receivers of it, connected after ours, run after it.) With
nobody receiving the signal, the index starts in ``generate_output``.

Settings (defaults below): SEARCH_ENABLED, SEARCH_WAIT, SEARCH_URL, SEARCH_SAVE_AS. A theme
without a ``search`` template (Pelican's own themes) gets neither the search page nor the index.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import Any

from blinker import signal
from pelican import signals
from pelican.generators import Generator, PelicanTemplateNotFound

from linkdigest.site.search import (
    SEARCH_DEFERRED_SIGNAL,
    ContentRef,
    IndexReport,
    SearchDocument,
    SearchError,
    count_search_documents,
    iter_search_documents,
    write_search_index,
)

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # False skips the index and the search page (and the partial renders nothing).
    "SEARCH_ENABLED": True,
    # False: the build ends without waiting for the index (see SEARCH_DEFERRED_SIGNAL).
    "SEARCH_WAIT": True,
    "SEARCH_URL": "search/",
    "SEARCH_SAVE_AS": "search/index.html",
}


def add_defaults(pelican: Any) -> None:
    for name, value in DEFAULTS.items():
        pelican.settings.setdefault(name, value)


def content_ref(item: Any) -> ContentRef:
    """A post as the index sees it: its HTML with links resolved against SITEURL, not
    ``item.content``, which resolves them against whichever page the writer is writing (the
    index is made in a thread while pages are written: its text changed from run to run)."""
    return ContentRef(item.url, item.title, item.status, item.get_content(item.settings["SITEURL"]))


class SearchGenerator(Generator):
    """Writes the search page and the Pagefind bundle (``pagefind/``)."""

    indexing: Future[IndexReport] | None = None

    @cached_property
    def wanted(self) -> bool:
        """SEARCH_ENABLED, and a theme with a ``search`` template: the page and the index
        are of no use without the theme's search script, which Pelican's own themes lack,
        so for them (and any other) the build goes on without search and says so once."""
        if not self.settings["SEARCH_ENABLED"]:
            return False
        try:
            self.get_template("search")
        except PelicanTemplateNotFound:
            logger.info("search: the theme has no search template; no search page or index")
            return False
        return True

    def start_indexing(self) -> None:
        """Index in a thread while Pelican writes the pages: Pagefind is a process of its
        own, so on a machine with two cores most of its time is hidden behind the build."""
        settings = self.settings
        if not self.wanted:
            return
        items = [*self.context.get("articles", []), *self.context.get("pages", [])]
        language = settings.get("DEFAULT_LANG", "en")
        sources = self.context.get("digest_sources", [])

        def documents() -> Iterator[SearchDocument]:
            return iter_search_documents(map(content_ref, items), sources, language)

        # Kept beside Pelican's content cache and trusted when that cache is.
        cache = (
            os.path.join(settings["CACHE_PATH"], "search") if settings["CACHE_CONTENT"] else None
        )
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search")
        count = count_search_documents((item.status for item in items), sources)
        self.indexing = pool.submit(
            write_search_index, self.output_path, documents, language, cache, None, count
        )
        pool.shutdown(wait=False)  # the thread ends with its one task

    def generate_output(self, writer: Any) -> None:
        settings = self.settings
        if not self.wanted:
            return
        writer.write_file(
            settings["SEARCH_SAVE_AS"],
            self.get_template("search"),
            self.context,
            relative_urls=settings["RELATIVE_URLS"],
            url=settings["SEARCH_URL"],
            page_name="search",
        )
        if not settings["SEARCH_WAIT"]:
            deferred = signal(SEARCH_DEFERRED_SIGNAL)
            if deferred.receivers:
                deferred.send(self, start=self.start_deferred_indexing)
                return
            self.start_deferred_indexing()
            return
        if self.indexing is None:  # all_generators_finalized not sent
            self.start_indexing()
        if self.indexing is not None:
            log_index(self.indexing)

    def start_deferred_indexing(self) -> Future[IndexReport] | None:
        """The index of a build that does not wait for it, logged when it is done."""
        if self.indexing is None:
            self.start_indexing()
        if self.indexing is not None:
            self.indexing.add_done_callback(log_index)
        return self.indexing


def log_index(indexing: Future[IndexReport]) -> None:
    try:
        report = indexing.result()
    except SearchError as error:
        logger.error("search: %s", error)
        return
    how = "copied the unchanged index of" if report.reused else "indexed"
    logger.info("search: %s %d documents in %.2f s", how, report.documents, report.seconds)


def start_indexing(generators: list[Any]) -> None:
    for generator in generators:
        if isinstance(generator, SearchGenerator) and generator.settings["SEARCH_WAIT"]:
            generator.start_indexing()


def get_generators(_pelican: Any) -> type[Generator]:
    return SearchGenerator


def register() -> None:
    signals.initialized.connect(add_defaults)
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(start_indexing)
