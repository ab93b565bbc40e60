"""readahead: the posts a build has to read are read on every core, not one after another.

Hooks ``article_generator_init``: the generator knows its files and its readers' caches, and
has read nothing yet. The Markdown posts it will read (not those its content cache serves)
are handed to worker processes (``linkdigest.site.readahead``) forked from this one, as many
as there are cores (``DIGEST_READ_WORKERS``; 1 reads in process), and our reader's ``read``
takes each post's result from them when Pelican asks for it, in Pelican's order, with its
log lines. Anything the workers did not read, or read before the file changed, is read in
process as before. ``article_generator_finalized`` stops the workers.

Only when there are at least MIN_FILES posts to read (the devserver's builds after its first
read the one file saved, in process).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pelican import signals

from linkdigest.site.readahead import ReadAhead, can_fork, count_workers

logger = logging.getLogger(__name__)
MIN_FILES = 8  # fewer: forking costs more than it saves
CURRENT: list[ReadAhead] = []
# Posts our reader was asked for (those the content cache did not serve) since writeahead
# last looked: a warm build reads few.
READS = [0]


def start_reading_ahead(generator: Any) -> None:
    stop_reading_ahead()
    settings = generator.settings
    workers = count_workers(settings.get("DIGEST_READ_WORKERS"))
    if workers < 2 or not can_fork():
        return
    readers = generator.readers
    paths = []
    ours = None  # every extension's reader reads the same way (one per extension, same settings)
    for name in generator.get_files(
        settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"]
    ):
        path = os.path.abspath(os.path.join(generator.path, name))
        reader = readers.readers.get(os.path.splitext(name)[1][1:])
        if not getattr(reader, "reads_ahead", False):
            continue
        ours = ours or reader
        if generator.get_cached_data(name, None) is not None:
            continue
        if readers.get_cached_data(path, (None, None))[0] is not None:
            continue
        paths.append(path)
    if ours is None or len(paths) < MIN_FILES:
        return
    workers = min(workers, len(paths))
    CURRENT.append(ReadAhead(ours.read_here, paths, workers, {"settings": settings}))
    logger.info("linkdigest: reading %d posts in %d processes", len(paths), workers)


def take_read_ahead(path: str) -> Any | None:
    """What a worker read of ``path`` (a post's HTML and metadata), or None."""
    return CURRENT[0].take(path) if CURRENT else None


def stop_reading_ahead(*_args: Any, **_kwargs: Any) -> None:
    for each in CURRENT:
        each.close()
    CURRENT.clear()


def register() -> None:
    signals.article_generator_init.connect(start_reading_ahead)
    signals.article_generator_finalized.connect(stop_reading_ahead)
    signals.finalized.connect(stop_reading_ahead)
