"""Where links are written: every link in the Markdown sources, with file and line.

Links are what a reader can follow or load: inline links and images, reference-style
definitions, autolinks and URL attributes in raw HTML. Text inside code fences and code
spans is not a link, and neither is a bare URL in prose (Markdown does not link it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from linkdigest.files import read_content_text
from linkdigest.format.digest import iter_lines_with_code, parse_front_matter

INLINE_START = re.compile(r"\]\(\s*")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?P<url>[^\s>]+)>?")
AUTOLINK = re.compile(r"<(?P<url>(?:https?|mailto|tel):[^\s<>]+)>")
HTML_URL = re.compile(
    r"""\b(?:href|src|poster)\s*=\s*(?P<q>["'])(?P<url>[^"']+)(?P=q)""", re.IGNORECASE
)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


@dataclass(frozen=True)
class LinkRef:
    """One place a link is written: the URL exactly as written, the file, the line."""

    url: str
    path: str
    line: int


def parse_markdown_links(text: str, path: str = "") -> list[LinkRef]:
    """Every link in a Markdown post (front matter skipped), in file order."""
    lines = text.splitlines()
    refs: list[LinkRef] = []
    for index, line, is_code in iter_lines_with_code(lines, parse_front_matter(lines).body_start):
        if not is_code:
            visible = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
            refs.extend(LinkRef(url, path, index + 1) for url in parse_line_links(visible))
    return refs


def parse_line_links(line: str) -> list[str]:
    """The link destinations written on one line of Markdown, left to right."""
    found: list[tuple[int, str]] = []
    for start in INLINE_START.finditer(line):
        url = _inline_destination(line, start.end())
        if url:
            found.append((start.start(), url))
    definition = REFERENCE_DEFINITION.match(line)
    if definition:
        found.append((definition.start("url"), definition["url"]))
    found += [(m.start(), m["url"]) for m in AUTOLINK.finditer(line)]
    found += [(m.start(), m["url"]) for m in HTML_URL.finditer(line)]
    return [url for _, url in sorted(found)]


def _inline_destination(line: str, start: int) -> str:
    if line.startswith("<", start):
        end = line.find(">", start)
        return line[start + 1 : end] if end > start else ""
    depth, index = 0, start
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char.isspace() or (char == ")" and depth == 0):
            break
        depth += {"(": 1, ")": -1}.get(char, 0)
        index += 1
    return line[start:index]


def read_content_links(paths: Iterable[Path]) -> list[LinkRef]:
    """The links of every Markdown file given, each with its file and line."""
    refs: list[LinkRef] = []
    for path in sorted(paths):
        refs += parse_markdown_links(read_content_text(path), str(path))
    return refs
