"""Feeds: every URL inside feed content absolute, feed text a reader cannot run, and the
JSON Feed beside Atom and RSS, with the same items."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

URL_ATTRIBUTE = re.compile(
    r"""(?P<lead>\s(?:href|src|poster)\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""",
    re.IGNORECASE | re.DOTALL,
)
ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
# An attribute URL_ATTRIBUTE would change (one whose URL, spaces stripped, is not absolute),
# or a srcset: found by one search, where a pass of URL_ATTRIBUTE calls back for every link.
NEEDS_RESOLVING = re.compile(
    r"""\s(?:href|src|poster)\s*=\s*["']\s*(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)|\ssrcset\s*=""",
    re.IGNORECASE,
)
SRCSET_ATTRIBUTE = re.compile(
    r"""(?P<lead>\ssrcset\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""", re.IGNORECASE | re.DOTALL
)


@lru_cache(maxsize=4096)
def render_absolute_urls(fragment: str, base: str) -> str:
    """``fragment`` with every ``href``/``src``/``poster``/``srcset`` URL resolved against
    ``base`` (the entry's own absolute URL); absolute URLs and ``mailto:`` stay as they are.

    Cached: one post's content appears in several feeds (all, its category, each tag)."""
    if not fragment or not NEEDS_RESOLVING.search(fragment):
        return fragment  # every URL in it absolute already (a digest's links, mostly)
    return render_each_url_absolute(fragment, base)


def render_each_url_absolute(fragment: str, base: str) -> str:
    """``render_absolute_urls`` by a pass over every URL attribute (uncached)."""

    def one(match: re.Match[str]) -> str:
        url = match["url"].strip()
        if ABSOLUTE.match(url):
            return match.group(0)
        return f"{match['lead']}{match['q']}{urljoin(base, url)}{match['q']}"

    def srcset(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match["url"].split(","):
            url, _, descriptor = candidate.strip().partition(" ")
            candidates.append(f"{urljoin(base, url)} {descriptor}".strip())
        return f"{match['lead']}{match['q']}{', '.join(candidates)}{match['q']}"

    return SRCSET_ATTRIBUTE.sub(srcset, URL_ATTRIBUTE.sub(one, fragment))


TAG_LIKE = re.compile(r"<[^<>]*>")


def render_feed_text(text: str) -> str:
    """A feed's plain-text value (a title, an author's name, a category) with no tags in it.

    Atom's and RSS's text elements are text, but many readers render an RSS title or
    category as HTML: text that reads as a tag once its entities are decoded is taken out,
    as Pelican already does for titles, so that what such a reader renders cannot run."""
    text = html.unescape(text)
    while TAG_LIKE.search(text):
        text = TAG_LIKE.sub("", text)
    return " ".join(text.split())


JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True)
class FeedItem:
    """One post as every feed carries it: the same id, URL and content in Atom, RSS and JSON."""

    id: str
    url: str
    title: str
    content_html: str
    summary: str
    published: str  # ISO 8601 with offset
    modified: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    image: str = ""


@dataclass(frozen=True)
class FeedInfo:
    title: str
    home_page_url: str
    feed_url: str
    description: str = ""
    language: str = ""
    authors: tuple[str, ...] = ()
    icon: str = ""


def render_json_feed(info: FeedInfo, items: list[FeedItem]) -> str:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1), as embeddable JSON."""
    document: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "home_page_url": info.home_page_url,
        "feed_url": info.feed_url,
    }
    optional = {"description": info.description, "language": info.language, "icon": info.icon}
    document.update({key: value for key, value in optional.items() if value})
    if info.authors:
        document["authors"] = [{"name": name} for name in info.authors]
    document["items"] = [_json_item(item) for item in items]
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return render_embeddable_json(text)


def _json_item(item: FeedItem) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": render_absolute_urls(item.content_html, item.url),
        "date_published": item.published,
    }
    extra: dict[str, object] = {
        "summary": item.summary,
        "date_modified": item.modified,
        "image": item.image,
        "tags": list(item.tags),
        "authors": [{"name": name} for name in item.authors],
    }
    entry.update({key: value for key, value in extra.items() if value})
    return entry


def render_embeddable_json(text: str) -> str:
    """JSON whose text can go into any HTML page as it is: ``<``, ``>``, ``&`` and ``'`` as
    ``\\u`` escapes (the same data for a parser)."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        + "\n"
    )
