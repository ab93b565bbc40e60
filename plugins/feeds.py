"""feeds: every URL inside feed content absolute, whatever the author wrote.

Hooks ``feed_generated``: the feed object is complete and not yet written, so its items can
be corrected in place. Pelican makes ``{static}``/``{filename}`` links absolute in feeds but
leaves links an author wrote as ``/path`` or ``../path`` relative, which feed readers resolve
against the wrong base or not at all.
"""

from __future__ import annotations

from typing import Any

from pelican import signals

from linkdigest.feeds import render_absolute_urls


def absolutise_items(_context: Any, feed: Any) -> None:
    for item in feed.items:
        for key in ("content", "description"):
            if item.get(key):
                item[key] = render_absolute_urls(item[key], item["link"])


def register() -> None:
    signals.feed_generated.connect(absolutise_items)
