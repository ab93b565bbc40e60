"""feeds: every URL inside feed content absolute, no tag in any feed text, and a JSON Feed.

Hooks ``feed_generated``: the feed object is complete and not yet written, so its items can
be corrected in place. Pelican makes ``{static}``/``{filename}`` links absolute in feeds but
leaves links an author wrote as ``/path`` or ``../path`` relative, which feed readers resolve
against the wrong base or not at all. Pelican strips tags from item titles, but not from
authors' names, categories or the feed's own title, which lenient readers render as HTML.

``get_generators``: the JSON Feed 1.1 (``FEED_ALL_JSON``, default ``feeds/all.json``) is
written by a generator of its own, handed the final context, so it carries the same posts
as the Atom and RSS feeds (the newest ``FEED_MAX_ITEMS``), with the same ids and URLs.
"""

from __future__ import annotations

import os
from typing import Any

from feedgenerator import get_tag_uri
from pelican import signals
from pelican.generators import Generator

from linkdigest.files import write_text_atomic
from linkdigest.format.text import render_plain_text
from linkdigest.site.feeds import (
    FeedInfo,
    FeedItem,
    render_absolute_urls,
    render_feed_text,
    render_json_feed,
)

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


class JsonFeedGenerator(Generator):  # type: ignore[misc]
    """Writes the JSON Feed of the whole site."""

    def generate_output(self, _writer: Any) -> None:
        path = self.settings.get("FEED_ALL_JSON", "feeds/all.json")
        if not path:
            return
        site = (self.settings.get("FEED_DOMAIN") or self.settings.get("SITEURL", "")).rstrip("/")
        articles = list(self.context.get("articles", []))
        articles += [t for a in articles for t in getattr(a, "translations", [])]
        articles.sort(key=lambda a: a.date, reverse=True)
        items = [json_item(a, site) for a in articles[: self.settings.get("FEED_MAX_ITEMS")]]
        document = render_json_feed(feed_info(self.settings, site, path), items)
        write_text_atomic(os.path.join(self.output_path, path), document)


def feed_info(settings: dict[str, Any], site: str, path: str) -> FeedInfo:
    return FeedInfo(
        title=render_feed_text(str(settings.get("SITENAME", ""))),
        home_page_url=f"{site}/",
        feed_url=f"{site}/{path}",
        description=render_feed_text(str(settings.get("SITE_DESCRIPTION", ""))),
        language=str(settings.get("DEFAULT_LANG", "")),
        authors=(str(settings["AUTHOR"]),) if settings.get("AUTHOR") else (),
    )


def json_item(article: Any, site: str) -> FeedItem:
    link = f"{site}/{article.url}"
    cover = getattr(article, "header_cover", "")
    return FeedItem(
        # The id Pelican's Atom feed gives the same post, so readers see one item, not two.
        id=get_tag_uri(link, article.date),
        url=link,
        title=render_feed_text(str(article.title)),
        content_html=article.get_content(site),
        summary=render_plain_text(str(getattr(article, "summary", "") or "")),
        published=article.date.isoformat(),
        modified=article.modified.isoformat() if getattr(article, "modified", None) else "",
        tags=tuple(str(tag) for tag in getattr(article, "tags", []) or []),
        authors=tuple(str(a) for a in getattr(article, "authors", []) or []),
        image=(cover if "://" in cover else f"{site}{cover}") if cover else "",
    )


def get_generators(_pelican: Any) -> type[Generator]:
    return JsonFeedGenerator


def forget_feed_contents(*_args: Any, **_kwargs: Any) -> None:
    """The absolute-URL copies of posts' HTML are kept while the feeds are written (a post
    is in several feeds), then let go: ~16 MB at 1,000 digests, and a process that builds
    again (the devserver) would otherwise keep up to 4,096 of them from build to build."""
    render_absolute_urls.cache_clear()


def add_defaults(pelican: Any) -> None:
    # Before any template renders, so the head links the JSON Feed whenever it is written.
    pelican.settings.setdefault("FEED_ALL_JSON", "feeds/all.json")


def register() -> None:
    signals.initialized.connect(add_defaults)
    signals.feed_generated.connect(correct_items)
    signals.get_generators.connect(get_generators)
    signals.article_writer_finalized.connect(forget_feed_contents)
    signals.finalized.connect(forget_feed_contents)
