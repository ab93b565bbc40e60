"""writeahead: posts' pages, listings and feeds written on every core.

Pelican renders and writes every page in one loop on one core: at 1,000 digests that is most
of a cold build. Once every generator's context is final (``all_generators_finalized``, before
the search part starts its indexing thread), workers are forked, one per core but this
process (``DIGEST_WRITE_WORKERS``: processes in all; 1 writes in process). The articles' and
pages' generators then run their ``generate_output`` in every process, and each writes only
its share of the files (``linkdigest.site.writeahead.Share``: by file name, so a file is
only ever written by one process); the writer asks ``mine(name)`` before it renders
anything. When this process has written its share, after the pages' generator, it waits for
the workers and takes in what each did: the page memo's records, the counts, the build
record's pages, Pelican's list of files written (a later generator overwriting one is still
an error), and their log lines. A worker that failed (a template error, a warning under
``--fatal``), died or stalled leaves its share to this process, which writes it: an error
then happens here, as in a build on one core.

Off when the content cache served most posts (a warm build, whose page memo keeps most pages:
a second process would fingerprint them again for nothing), under the devserver (it keeps its
caches in process between builds and writes few pages each time), for sites of fewer than
MIN_CONTENT posts and pages, whenever a receiver that is
not ours listens to a signal sent while pages are written (another plugin then sees every
page, in this process, as it would without us) or to ``get_writer``, and when another plugin
replaced the articles' or pages' generator by a subclass of its own.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator

from linkdigest.site.readahead import can_fork, count_workers, pass_on
from linkdigest.site.writeahead import Share, ShareWorker, collect_share, fork_share, stop_share

from . import record
from .readahead import READS

logger = logging.getLogger(__name__)
MIN_CONTENT = 8
GRACE = 5.0  # seconds a worker is given to stop when the build fails
MAX_WORKERS = 8
# Sent while the articles' and pages' generators write: a receiver of another plugin on any
# of them turns writing ahead off.
WRITING_SIGNALS = (
    signals.get_writer,  # another writer would write every page in every process
    signals.content_written,
    signals.feed_written,
    signals.feed_generated,
    signals.article_generator_write_article,
    signals.article_writer_finalized,
    signals.page_generator_write_page,
    signals.page_writer_finalized,
)
# Pelican's own generators, whose output is their pages and feeds only: a subclass (another
# plugin's) may keep something of every page it writes, and turns writing ahead off.
SHARED_GENERATORS = (ArticlesGenerator, PagesGenerator)
SHARE: list[Share] = []  # while set, the writer writes only this share's files
BEATS: list[Callable[[], None]] = []  # in a worker: called as each file is asked for
PELICAN: list[Any] = []


def mine(name: str) -> bool:
    """Whether this process writes the file ``name`` (always, unless pages are shared out)."""
    for beat in BEATS:
        beat()
    return not SHARE or SHARE[0].holds(name)


@dataclass
class ShareResult:
    """What a worker's writer did, for this process to take in."""

    pages: dict[str, Any]
    rendered: int
    skipped: int
    written: dict[str, str | None]
    files: set[str]
    overridden: set[str]


def note_pelican(pelican: Any) -> None:
    PELICAN[:] = [pelican]


def start_writing_ahead(generators: list[Any]) -> None:
    SHARE.clear()
    if not PELICAN:
        return
    settings = PELICAN[0].settings
    shared = [g for g in generators if type(g) in SHARED_GENERATORS]
    count = min(count_workers(settings.get("DIGEST_WRITE_WORKERS")), MAX_WORKERS)
    content = sum(len(getattr(g, "articles", getattr(g, "pages", []))) for g in shared)
    read, READS[0] = READS[0], 0
    if read * 2 < content:
        logger.debug(
            "linkdigest: %d of %d posts read anew: pages written in process", read, content
        )
        return
    if (
        count < 2
        or not can_fork()
        or not shared
        or settings.get("KEEP_URL_CACHES")
        or content < MIN_CONTENT
        or not only_ours_listen()
        or any(
            isinstance(g, SHARED_GENERATORS) and type(g) not in SHARED_GENERATORS
            for g in generators
        )
    ):
        return
    originals = [g.generate_output for g in shared]
    workers = [
        fork_share(lambda beat, i=index: write_share(shared, Share(i, count), beat), index)
        for index in range(1, count)
    ]
    logger.info("linkdigest: writing pages in %d processes", count)
    for position, generator in enumerate(shared):
        last = position == len(shared) - 1
        generator.generate_output = _sharing(originals, position, count, workers, last)


def _sharing(
    originals: list[Callable[[Any], None]],
    position: int,
    count: int,
    workers: list[ShareWorker],
    last: bool,
) -> Callable[[Any], None]:
    def generate_output(writer: Any) -> None:
        SHARE[:] = [Share(0, count)]
        started = time.perf_counter()
        try:
            originals[position](writer)
            logger.debug(
                "linkdigest: share 0 of generator %d written in %.2f s",
                position,
                time.perf_counter() - started,
            )
        except BaseException:
            stop_shares(workers)
            raise
        finally:
            SHARE.clear()
        if last:
            try:
                take_in_shares(originals, workers, writer)
            except BaseException:  # a lost share written here failed: the others stop too
                stop_shares(workers)
                raise

    return generate_output


def stop_shares(workers: list[ShareWorker]) -> None:
    """The build failed: every worker still writing stops, its half-written file removed."""
    for worker in workers:
        stop_share(worker, grace=GRACE)


def take_in_shares(
    originals: list[Callable[[Any], None]], workers: list[ShareWorker], writer: Any
) -> None:
    started = time.perf_counter()
    for worker in workers:
        outcome = collect_share(worker)
        logger.debug(
            "linkdigest: share %d %s after %.2f s of waiting",
            worker.index,
            "taken in" if outcome else "lost, written in process",
            time.perf_counter() - started,
        )
        if outcome is None:  # written here, where what went wrong in the worker happens for real
            SHARE[:] = [Share(worker.index, len(workers) + 1)]
            try:
                for original in originals:
                    original(writer)
            finally:
                SHARE.clear()
            continue
        result, records = outcome
        writer.kept.pages.update(result.pages)
        writer.rendered += result.rendered
        writer.skipped += result.skipped
        writer._written_files |= result.files
        writer._overridden_files |= result.overridden
        record.WRITTEN.update(result.written)
        for line in records:
            pass_on(line)


def write_share(generators: list[Any], share: Share, beat: Callable[[], None]) -> ShareResult:
    """In a worker: the generators' pages of ``share``, through a writer of its own."""
    SHARE[:] = [share]
    BEATS[:] = [beat]
    record.WRITTEN.clear()
    writer = PELICAN[0]._get_writer()
    for position, generator in enumerate(generators):
        started = time.perf_counter()
        generator.generate_output(writer)
        logger.debug(
            "linkdigest: share %d of generator %d written in %.2f s",
            share.index,
            position,
            time.perf_counter() - started,
        )
    return ShareResult(
        dict(writer.kept.pages),
        writer.rendered,
        writer.skipped,
        dict(record.WRITTEN),
        set(writer._written_files),
        set(writer._overridden_files),
    )


def only_ours_listen() -> bool:
    for sent in WRITING_SIGNALS:
        for receiver in list(sent.receivers.values()):
            function = receiver() if isinstance(receiver, weakref.ref) else receiver
            module = str(getattr(function, "__module__", ""))
            if function is not None and not module.startswith(("pelican.plugins.linkdigest",)):
                return False
    return True


def register() -> None:
    signals.initialized.connect(note_pelican)
    signals.all_generators_finalized.connect(start_writing_ahead)
