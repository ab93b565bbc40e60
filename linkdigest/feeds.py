"""Feed helpers: make every URL inside feed content absolute, as feed readers need."""

from __future__ import annotations

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
