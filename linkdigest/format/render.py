"""Write digests back to Markdown, escaping any text that came from the web.

``parse_digest(render_digest(d))`` gives back the structure of ``d`` (the round trip).
Text from the web is untrusted: it is escaped so that it reads as the same plain text and
can neither break the digest's structure nor inject HTML.
"""

from __future__ import annotations

import re

from linkdigest.format.digest import Digest, Entry, Section, parse_title

MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]{}!])")
# An "&#" too: Python-Markdown completes a numeric reference that lacks its ";".
ENTITY_LIKE = re.compile(r"&(?=#|[A-Za-z0-9]+;)")
LINE_START_MARKERS = re.compile(r"^(\s*)([#>+\-]|\d+[.)])")
# A quote would start a link title and end the destination where Python-Markdown reads it.
DESTINATION_UNSAFE = re.compile(r"[\s<>\"']")


def escape_markdown_text(text: str) -> str:
    """Escape plain text for inline Markdown: one line, no markup, no HTML, no block markers."""
    text = " ".join(text.split())
    text = ENTITY_LIKE.sub("&amp;", text)
    text = MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return escape_line_start(text)


def escape_line_start(text: str) -> str:
    """A backslash before a heading, quote or list marker at the start of ``text``, so that
    Markdown reads it as a character of the text."""
    return LINE_START_MARKERS.sub(
        lambda m: f"{m[1]}\\{m[2]}" if len(m[2]) == 1 else f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text
    )


def render_destination(url: str) -> str:
    """A link destination that Markdown reads back as exactly ``url`` (see
    ``linkdigest.format.markdown``): backslashes and backticks escaped, what reads as an
    entity reference kept as text, and in angle brackets when it holds a space, a quote,
    ``<``, ``>`` or unbalanced parentheses."""
    url = ENTITY_LIKE.sub("&amp;", url.strip()).replace("\\", "\\\\").replace("`", "\\`")
    if DESTINATION_UNSAFE.search(url) or not _nested(url):
        return "<" + url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _nested(url: str) -> bool:
    """Each ")" closes an earlier "(" and none is left open (``)(`` would end the link)."""
    depth = 0
    for char in url:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def entry_from_text(title: str, url: str, summary: str = "", extra: str = "") -> Entry:
    """An Entry built from untrusted plain text (a fetched title and description)."""
    title_markdown = escape_markdown_text(title) or escape_markdown_text(url)
    return Entry(
        title=parse_title(title_markdown),
        url=url.strip(),
        summary=escape_markdown_text(summary),
        extra=extra,
        title_markdown=title_markdown,
    )


def render_entry(entry: Entry) -> str:
    """``### [title](url)``, the summary as a blockquote, then the entry's other Markdown."""
    title = entry.title_markdown or escape_markdown_text(entry.title)
    parts = [f"### [{title}]({render_destination(entry.url)})"]
    if entry.summary:
        parts.append("\n".join(f"> {line}".rstrip() for line in entry.summary.splitlines()))
    if entry.extra:
        parts.append(entry.extra)
    return "\n\n".join(parts) + "\n"


def render_section(section: Section) -> str:
    """A ``##`` section with its prose and entries."""
    parts = [f"## {section.title}\n"] if section.title else []
    if section.prose:
        parts.append(section.prose + "\n")
    parts.extend(render_entry(entry) for entry in section.entries)
    return "\n".join(parts)


def render_front_matter(metadata: dict[str, str] | object) -> str:
    """``Key: value`` lines, keys written as Pelican users write them (``Header_Cover``)."""
    items = metadata.items() if hasattr(metadata, "items") else []
    lines = [f"{_render_key(key)}: {' '.join(str(value).split())}" for key, value in items]
    return "\n".join(lines) + "\n" if lines else ""


def _render_key(key: str) -> str:
    return "_".join(part[:1].upper() + part[1:] for part in key.split("_"))


def render_digest(digest: Digest) -> str:
    """The whole digest file: front matter, optional ``#`` heading, intro and sections."""
    parts = []
    front = render_front_matter(digest.metadata)
    if front:
        parts.append(front)
    if digest.heading:
        parts.append(f"# {digest.heading}\n")
    if digest.intro:
        parts.append(digest.intro + "\n")
    parts.extend(render_section(section) for section in digest.sections)
    return "\n".join(parts)
