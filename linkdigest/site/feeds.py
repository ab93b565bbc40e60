"""Feed helpers: every URL inside feed content absolute, and feed text a reader cannot run."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urljoin

URL_ATTRIBUTE = re.compile(
    r"""(?P<lead>\s(?:href|src|poster)\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""",
    re.IGNORECASE | re.DOTALL,
)
ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
SRCSET_ATTRIBUTE = re.compile(
    r"""(?P<lead>\ssrcset\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""", re.IGNORECASE | re.DOTALL
)


@lru_cache(maxsize=4096)
def render_absolute_urls(fragment: str, base: str) -> str:
    """``fragment`` with every ``href``/``src``/``poster``/``srcset`` URL resolved against
    ``base`` (the entry's own absolute URL); absolute URLs and ``mailto:`` stay as they are.

    Cached: one post's content appears in several feeds (all, its category, each tag)."""
    if not fragment:
        return fragment

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
