"""pelican.plugins.linkdigest: the link-digest toolkit as one Pelican namespace plugin.

Installed with the ``linkdigest`` package, it is found by Pelican without PLUGIN_PATHS:
``PLUGINS = ["linkdigest"]``, or no PLUGINS setting at all (Pelican then loads every
installed namespace plugin). One module per concern, each thin glue over the library whose
docstring names the signals it hooks and why:

- ``digest``: ``article.digest``, the links page and ``links.json``; post checks;
- ``feeds``: absolute URLs and plain text in feeds;
- ``sitemap``: ``sitemap.xml`` and ``robots.txt`` when SITEMAP_ENABLED;
- ``search``: the Pagefind index and the search page, for themes that have one;
- ``cache``: Pelican's content caches saved only when changed, and atomically;
- ``readahead``: posts read on every core;
- ``writeahead``: pages written on every core;
- ``writer``: pages and feeds written only when their text changed;
- ``urls``: each post's address worked out once per build;
- ``dates``: Pelican's date formatting remembered per date and format;
- ``unchanged``: a build with nothing changed since the last one stops before it starts;
- ``logs``: log lines never wrapped off a terminal;
- ``record``: which pages the build wrote, from which source (for the checks of a built site).
"""

from __future__ import annotations

from . import (
    cache,
    dates,
    digest,
    feeds,
    logs,
    readahead,
    record,
    search,
    sitemap,
    unchanged,
    urls,
    writeahead,
    writer,
)

# The order the four plugins were listed in before they became one: receivers of a signal run
# in the order they connected, so the links page is generated before the search index (and
# pages are shared out to write on every core before the index's thread starts; posts'
# addresses are pinned before either).
PARTS = (
    logs,
    cache,
    readahead,
    digest,
    feeds,
    sitemap,
    urls,
    dates,
    writeahead,
    search,
    writer,
    record,
    unchanged,
)


def register() -> None:
    for part in PARTS:
        part.register()
