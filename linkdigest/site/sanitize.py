"""Rendered HTML made safe to publish: an allowlist sanitizer, and what it would take out.

Markdown passes raw HTML through, so a post can carry a ``<script>``, an ``onerror`` or a
``javascript:`` link, pasted by hand or copied from a page. Every fragment a post renders
goes through ``render_safe_html`` (ammonia, by way of ``nh3``): the tags and attributes
Markdown and its extensions produce, media and embeds an author writes (images, figures,
video, audio, https iframes), and nothing that runs. ``find_unsafe_html`` names what the
sanitizer removes, so the build can tell the author where, instead of silently changing
the page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import nh3

from linkdigest.format.digest import Problem
from linkdigest.site.html import DigestHtml, map_digest_html

TAGS = nh3.ALLOWED_TAGS | {
    "audio",
    "iframe",
    "picture",
    "section",
    "source",
    "track",
    "video",
}
GENERIC_ATTRIBUTES = {"class", "id", "title", "lang", "dir", "style", "role", "aria-hidden"}
ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "hreflang", "name", "rel", "type"},
    "img": {"src", "alt", "width", "height", "srcset", "sizes", "loading", "decoding"},
    "iframe": {
        "src",
        "width",
        "height",
        "allow",
        "allowfullscreen",
        "loading",
        "referrerpolicy",
        "frameborder",
    },
    "video": {"src", "poster", "controls", "width", "height", "preload", "muted", "loop"},
    "audio": {"src", "controls", "preload", "loop", "muted"},
    "source": {"src", "srcset", "type", "media", "sizes", "width", "height"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "time": {"datetime"},
    "ol": {"start", "reversed", "type"},
    "details": {"open"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Presentation an author may want (tables' alignment, an image's size), never layout that
# can lay one element over the page (position) or load anything (background images).
STYLE_PROPERTIES = {
    "text-align",
    "vertical-align",
    "width",
    "height",
    "max-width",
    "aspect-ratio",
    "float",
    "color",
    "background-color",
    "font-style",
    "font-weight",
    "text-decoration",
}
CONTENT_DROPPED = {"script", "style", "template", "noscript", "textarea", "title", "xmp"}

SOURCE_TAG = re.compile(
    r"<(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
)
ATTRIBUTE = re.compile(r"""(?P<name>[^\s=/>"']+)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\s>]+))?""")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "srcset", "data", "cite"}
IGNORED_SCHEME_CHARACTERS = re.compile(r"[\x00-\x20]+")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# An iframe whose address was removed would be an empty box on the page.
EMPTY_IFRAME = re.compile(r"<iframe(?![^>]*\ssrc=)[^>]*>.*?</iframe>", re.DOTALL)
CODE_BLOCK = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Removal:
    """Something the sanitizer takes out: ``what`` for the author, ``needle`` to find it
    in the source (the tag as written, or the attribute's name and value)."""

    what: str
    needle: str


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=TAGS,
        clean_content_tags=CONTENT_DROPPED,
        attributes=ATTRIBUTES,
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel=None,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
    )


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    # An iframe loads a whole page: only over https, never from a relative address.
    if tag == "iframe" and name == "src" and not value.lower().startswith("https://"):
        return None
    return value


def render_safe_html(fragment: str) -> str:
    """``fragment`` with everything outside the allowlist removed (text is kept, escaped)."""
    if "<" not in fragment:
        return fragment  # plain text: Markdown already escaped any '&' or '>' in it
    return EMPTY_IFRAME.sub("", _cleaner().clean(fragment))


def find_unsafe_html(fragment: str) -> list[Removal]:
    """What ``render_safe_html`` would take out of ``fragment`` that an author may miss:
    tags outside the allowlist, event handlers and other attributes, script URLs. Text in
    code blocks is escaped by Markdown and is never a tag, so it is never reported."""
    removals: list[Removal] = []
    for match in SOURCE_TAG.finditer(CODE_BLOCK.sub("", fragment)):
        name = match["name"].lower()
        if name not in TAGS:
            removals.append(Removal(f"<{name}> (not allowed in posts)", f"<{match['name']}"))
            continue
        removals += _unsafe_attributes(name, match["attrs"])
    return removals


def _unsafe_attributes(tag: str, attrs: str) -> list[Removal]:
    allowed = ATTRIBUTES.get(tag, set()) | GENERIC_ATTRIBUTES
    removals = []
    for match in ATTRIBUTE.finditer(attrs):
        name = match["name"].lower()
        value = html.unescape((match["value"] or "").strip("\"'"))
        if name.startswith("on") or name not in allowed:
            removals.append(Removal(f"{name}= on <{tag}> (not allowed in posts)", match["name"]))
        elif name in URL_ATTRIBUTES and not _is_allowed_url(tag, name, value):
            scheme = SCHEME.match(IGNORED_SCHEME_CHARACTERS.sub("", value))
            what = f"{scheme[1].lower()}: URL" if scheme else "URL"
            removals.append(Removal(f"{what} in {name}= on <{tag}>", _needle(match["value"])))
    return removals


def _needle(value: str | None) -> str:
    return (value or "").strip("\"'")[:40]


def _is_allowed_url(tag: str, name: str, value: str) -> bool:
    scheme = SCHEME.match(IGNORED_SCHEME_CHARACTERS.sub("", value))
    if tag == "iframe" and name == "src":
        return value.lower().startswith("https://")
    return scheme is None or scheme[1].lower() in URL_SCHEMES


def find_source_line(source: str, needle: str, first_line: int = 1) -> int:
    """The 1-based line of ``source`` where ``needle`` first appears (case ignored) at or
    after ``first_line``, else ``first_line``: the place to tell an author about."""
    lines = source.splitlines()
    lowered = needle.lower()
    for number in range(max(first_line, 1), len(lines) + 1):
        if lowered and lowered in lines[number - 1].lower():
            return number
    return first_line


def render_safe_digest(digest: DigestHtml, source: str, body_line: int = 1) -> DigestHtml:
    """``digest`` with every fragment sanitized, and a Problem (at its line in ``source``,
    whose body starts at ``body_line``) for each thing the sanitizer took out."""
    problems: list[Problem] = []
    line = body_line
    for first_line, fragment in _fragments_in_order(digest):
        line = max(line, first_line)
        for removal in find_unsafe_html(fragment):
            line = find_source_line(source, removal.needle, line)
            problems.append(render_removal_problem(line, removal))
    safe = map_digest_html(digest, render_safe_html)
    return replace(safe, problems=(*safe.problems, *problems))


def check_unsafe_html(fragment: str, source: str, first_line: int = 1) -> list[Problem]:
    """A Problem for each thing ``render_safe_html`` takes out of ``fragment``, at its line
    in ``source`` (searched from ``first_line``)."""
    return [
        render_removal_problem(find_source_line(source, removal.needle, first_line), removal)
        for removal in find_unsafe_html(fragment)
    ]


def render_removal_problem(line: int, removal: Removal) -> Problem:
    return Problem(
        line,
        f"raw HTML removed from the page: {removal.what}; scripts, event handlers and "
        "script URLs never reach readers (remove it, or write it as text in `code`)",
    )


def _fragments_in_order(digest: DigestHtml) -> list[tuple[int, str]]:
    fragments = [(1, digest.intro_html)]
    for section in digest.sections:
        fragments.append((1, section.prose_html))
        for entry in section.entries:
            fragments += [(entry.line, entry.title_html), (entry.line, entry.summary_html)]
            fragments.append((entry.line, entry.extra_html))
    return fragments
