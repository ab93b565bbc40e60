"""Feed helpers: make every URL inside feed content absolute, as feed readers need."""

from __future__ import annotations

import re
from urllib.parse import urljoin

URL_ATTRIBUTE = re.compile(
    r"""(?P<lead>\s(?:href|src|poster)\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""",
    re.IGNORECASE | re.DOTALL,
)
SRCSET_ATTRIBUTE = re.compile(
    r"""(?P<lead>\ssrcset\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""", re.IGNORECASE | re.DOTALL
)


def render_absolute_urls(fragment: str, base: str) -> str:
    """``fragment`` with every ``href``/``src``/``poster``/``srcset`` URL resolved against
    ``base`` (the entry's own absolute URL); absolute URLs and ``mailto:`` stay as they are."""
    if not fragment:
        return fragment

    def one(match: re.Match[str]) -> str:
        return f"{match['lead']}{match['q']}{urljoin(base, match['url'].strip())}{match['q']}"

    def srcset(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match["url"].split(","):
            url, _, descriptor = candidate.strip().partition(" ")
            candidates.append(f"{urljoin(base, url)} {descriptor}".strip())
        return f"{match['lead']}{match['q']}{', '.join(candidates)}{match['q']}"

    return SRCSET_ATTRIBUTE.sub(srcset, URL_ATTRIBUTE.sub(one, fragment))
