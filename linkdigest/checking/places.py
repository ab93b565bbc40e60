"""Where links are written: every link in the Markdown sources, with file and line.

Links are what a reader can follow or load, read by the Markdown lexer as the build reads
them (``linkdigest.format.markdown``): inline links and images, reference-style definitions,
autolinks and URL attributes in raw HTML. Text in code is not a link, and neither is a bare
URL in prose (the build does not link it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from linkdigest.files import read_content_text
from linkdigest.format.digest import parse_front_matter
from linkdigest.format.markdown import Kind, parse_links


@dataclass(frozen=True)
class LinkRef:
    """One place a link is written: the URL the reader's browser requests, the file, the line."""

    url: str
    path: str
    line: int


def parse_markdown_links(text: str, path: str = "") -> list[LinkRef]:
    """Every link in a Markdown post (front matter skipped), in file order; a reference link
    is at its definition, where its URL is written (checked even when no link uses it)."""
    start = parse_front_matter(text.splitlines()).body_start
    return [
        LinkRef(link.url, path, link.line)
        for link in parse_links(text, start)
        if link.kind is not Kind.REFERENCE
    ]


def read_content_links(paths: Iterable[Path]) -> list[LinkRef]:
    """The links of every Markdown file given, each with its file and line."""
    refs: list[LinkRef] = []
    for path in sorted(paths):
        refs += parse_markdown_links(read_content_text(path), str(path))
    return refs
