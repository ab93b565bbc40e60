"""feeds: every URL inside feed content absolute, and no tag in any feed text.

Hooks ``feed_generated``: the feed object is complete and not yet written, so its items can
be corrected in place. Pelican makes ``{static}``/``{filename}`` links absolute in feeds but
leaves links an author wrote as ``/path`` or ``../path`` relative, which feed readers resolve
against the wrong base or not at all. Pelican strips tags from item titles, but not from
authors' names, categories or the feed's own title, which lenient readers render as HTML.
"""

from __future__ import annotations

from typing import Any

from pelican import signals

from linkdigest.site.feeds import render_absolute_urls, render_feed_text

TEXT_KEYS = ("title", "author_name")


def correct_items(_context: Any, feed: Any) -> None:
    for key in ("title", "subtitle", "description", "author_name"):
        if isinstance(feed.feed.get(key), str):
            feed.feed[key] = render_feed_text(feed.feed[key])
    for item in feed.items:
        for key in ("content", "description"):
            if item.get(key):
                item[key] = render_absolute_urls(item[key], item["link"])
        for key in TEXT_KEYS:
            if item.get(key):
                item[key] = render_feed_text(item[key])
        if item.get("categories"):
            item["categories"] = [render_feed_text(c) for c in item["categories"]]


def register() -> None:
    signals.feed_generated.connect(correct_items)
