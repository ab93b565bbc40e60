"""Pelican's content caches saved only when they changed, and never left half written.

Pelican pickles its whole content cache again at the end of every build (37 MB at 1,000
digests, 0.4 s) even when it read no file anew, and writes it in place: a build stopped
while saving leaves an empty or truncated file, and an empty one stops every later build
with a traceback (``EOFError`` from ``pickle.load``). Each cache (``readers_init``: the
readers' cache; ``article_generator_init``/``page_generator_init``: the generators' own,
used when ``CONTENT_CACHING_LAYER`` is ``"generator"``) here notes whether anything was
cached since it was loaded; an unchanged cache whose file is there is not saved again, and a
save goes through a temporary file and a rename. A save someone else took over (the
devserver keeps its caches in memory between builds) is left to them.

A save is made by a process forked for it (``CACHE_SAVE_FORKED``, on by default where
processes can fork): pickling the cache took the build half a second and, for the pickler's
memo of every object, 28 MiB at its peak (1,000 digests). ``finalized`` waits for it, and a
save that failed is the same warning as one made here.

With CHECK_MODIFIED_METHOD = "mtime" (Pelican's default), a file's stamp in the cache is
``read_change_stamp``'s (inode, size, modification and change times) instead of its
modification time alone: a post whose bytes changed with its size and time kept (``touch
-r``, a sync tool) was served from the cache as it was, for good.
"""

from __future__ import annotations

import logging
import os
import pickle
from typing import Any

from pelican import signals
from pelican.cache import FileDataCacher, FileStampDataCacher

from linkdigest.files import read_change_stamp, write_pickle_atomic
from linkdigest.site.readahead import BackgroundWrite, can_fork, fork_pickle_write

logger = logging.getLogger(__name__)
PELICAN_SAVE = FileDataCacher.save_cache
PELICAN_FILE_STAMP = FileStampDataCacher._get_file_stamp
SAVING: list[BackgroundWrite] = []  # caches being saved by forked processes


def save_only_changes(cacher: Any) -> None:
    """Instance methods over Pelican's ``cache_data``/``save_cache`` for one cache."""
    if not isinstance(cacher, FileDataCacher):
        return
    cache_data = cacher.cache_data
    changed = [False]

    def note_and_cache(filename: Any, data: Any) -> None:
        changed[0] = True
        cache_data(filename, data)

    def save_cache() -> None:
        path = getattr(cacher, "_cache_path", None)
        if path is None or not getattr(cacher, "_cache_data_policy", False):
            return
        if not changed[0] and os.path.isfile(path):
            return  # what the file holds already
        save = type(cacher).save_cache
        if save is not PELICAN_SAVE:  # taken over (the devserver's keeper)
            save(cacher)
        else:
            write_cache(cacher, path)
        changed[0] = False

    cacher.cache_data = note_and_cache
    cacher.save_cache = save_cache


def write_cache(cacher: Any, path: str) -> None:
    compressed = bool(cacher.settings.get("GZIP_CACHE"))
    if can_fork() and cacher.settings.get("CACHE_SAVE_FORKED", True):
        SAVING.append(fork_pickle_write(path, cacher._cache, compressed))
        return
    try:
        write_pickle_atomic(path, cacher._cache, compressed)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
        warn_unsaved(path, str(error))


def wait_for_saves(*_args: Any) -> None:
    """Once the pages are written (``finalized``): every cache saved, or a warning why not.
    The build's end waits for them, so its cache is on disk when it returns."""
    while SAVING:
        saving = SAVING.pop(0)
        failure = saving.wait()
        if failure is not None:
            warn_unsaved(saving.path, failure)


def warn_unsaved(path: str, why: str) -> None:
    logger.warning("Could not save cache %s\n ... %s", path, why)


def get_file_stamp(cacher: Any, filename: str) -> Any:
    """Pelican's ``_get_file_stamp``, with ``read_change_stamp`` for its modification time
    (the cachers set the method only once ``readers_init`` has been sent: hence here)."""
    if getattr(cacher, "_filestamp_func", None) is os.path.getmtime:
        try:
            return read_change_stamp(filename)
        except OSError:
            pass  # Pelican's own warning, below
    return PELICAN_FILE_STAMP(cacher, filename)


def register() -> None:
    FileStampDataCacher._get_file_stamp = get_file_stamp  # type: ignore[method-assign]
    signals.readers_init.connect(save_only_changes)
    signals.article_generator_init.connect(save_only_changes)
    signals.page_generator_init.connect(save_only_changes)
    signals.finalized.connect(wait_for_saves)
