"""Plain text out of HTML fragments: what a summary says once its tags are gone."""

from __future__ import annotations

import html
import re

TAG = re.compile(r"<[^>]+>")


def render_plain_text(fragment: str) -> str:
    """Text of an HTML fragment, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(TAG.sub(" ", fragment)).split())
