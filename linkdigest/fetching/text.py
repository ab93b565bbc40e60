"""Field text: how an extracted title or description is tidied before anyone sees it.

Pure. The rules are metascraper's (``@metascraper/helpers``: whitespace condensed, straight
quotes made typographic by smartquotes 2.3, a description's leading dateline and trailing
"..." dropped), so our values compare with the best scraper's on the same page; plus one
repair metascraper lacks: entities escaped twice by the page (``&amp;bdquo;``) are decoded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
# An entity left after the parser decoded the markup once: the page escaped it twice.
LEFT_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
DATELINE = re.compile(r"^[A-Z\s]+\s+[-\u2014\u2013]\s+")
TRAILING_DOTS = re.compile(r"\s?\.\.\.?$")
ELLIPSIS = "\u2026"

_A = re.ASCII
_AI = re.ASCII | re.IGNORECASE
# smartquotes 2.3 (lib/replacements.js), in its order; JavaScript's \w, \b and \s are ASCII.
SMART_QUOTES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"'''"), "\u2034"),  # triple prime
    (re.compile(r"(\W|^)\"(\w)", _A), "\\1\u201c\\2"),  # opening "
    (re.compile(r"(\u201c[^\"]*)\"([^\"]*$|[^\u201c\"]*\u201c)", _A), "\\1\u201d\\2"),  # closing "
    (re.compile(r"([^0-9])\"", _A), "\\1\u201d"),  # a " left at the end of a word
    (re.compile(r"''"), "\u2033"),  # double prime
    (re.compile(r"(\W|^)'(\S)", _A), "\\1\u2018\\2"),  # opening '
    (re.compile(r"([a-z0-9])'([a-z])", _AI), "\\1\u2019\\2"),  # it's, rock'n'roll
    (
        re.compile(r"(\u2018)([0-9]{2}[^\u2019]*)(\u2018([^0-9]|$)|$|\u2019[a-z])", _AI),
        "\u2019\\2\\3",
    ),  # abbreviated years: '93
    (re.compile(r"((\u2018[^']*)|[a-z])'([^0-9]|$)", _AI), "\\1\u2019\\3"),  # closing '
    (
        re.compile(
            r"(\B|^)\u2018(?=([^\u2018\u2019]*\u2019\b)*([^\u2018\u2019]*\B\W[\u2018\u2019]\b"
            r"|[^\u2018\u2019]*$))",
            _AI,
        ),
        "\\1\u2019",
    ),  # an apostrophe written backwards
    (re.compile(r"\""), "\u2033"),  # double prime
    (re.compile(r"'"), "\u2032"),  # prime
)


def render_field_text(text: str) -> str:
    """Plain text condensed: invisible characters gone, every white space run one space."""
    return " ".join(INVISIBLE.sub("", text).split())


def render_title_text(text: str) -> str:
    """A title as shown: condensed, quotes typographic."""
    return render_smart_quotes(render_field_text(text))


def render_description_text(text: str) -> str:
    """A description as shown: no leading dateline, condensed, quotes typographic, "…"."""
    tidy = render_title_text(DATELINE.sub("", text, count=1))
    return TRAILING_DOTS.sub(ELLIPSIS, tidy)


def render_smart_quotes(text: str) -> str:
    """Straight quotes made typographic, as smartquotes 2.3 makes them."""
    if "'" not in text and '"' not in text:
        return text
    for pattern, replacement in SMART_QUOTES:
        text = pattern.sub(replacement, text)
    return text


def parse_entities_left(text: str) -> str:
    """``text`` (decoded once by the parser) with entities the page escaped twice decoded."""
    return html.unescape(text) if LEFT_ENTITY.search(text) else text
