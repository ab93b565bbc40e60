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
"""

from __future__ import annotations

import logging
import os
import pickle
from typing import Any

from pelican import signals
from pelican.cache import FileDataCacher

from linkdigest.files import write_pickle_atomic

logger = logging.getLogger(__name__)
PELICAN_SAVE = FileDataCacher.save_cache


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
    try:
        write_pickle_atomic(path, cacher._cache, bool(cacher.settings.get("GZIP_CACHE")))
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
        logger.warning("Could not save cache %s\n ... %s", path, error)


def register() -> None:
    signals.readers_init.connect(save_only_changes)
    signals.article_generator_init.connect(save_only_changes)
    signals.page_generator_init.connect(save_only_changes)
