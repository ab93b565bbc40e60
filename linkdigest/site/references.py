"""Pelican's intrasite references (``{static}``, ``{filename}``, ``{attach}``) in a post's source.

Pelican warns about a reference it cannot resolve without naming the post it came from;
these checks name the file and line, and tell the author what to fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from linkdigest.format.digest import Problem
from linkdigest.format.markdown import Kind, parse_links

# Only where Pelican resolves them: in a URL the build writes (a Markdown link or image
# destination, a reference definition, an HTML URL attribute); in prose or code it is text.
INTRASITE = re.compile(r"^[{|](?P<kind>static|filename|attach)[|}](?P<path>.+)$")
MARKERS = ("static}", "filename}", "attach}", "static|", "filename|", "attach|")


@dataclass(frozen=True)
class Reference:
    line: int
    kind: str
    path: str


def parse_references(text: str) -> list[Reference]:
    """Every ``{static}``/``{filename}``/``{attach}`` reference, with its 1-based line."""
    if not any(marker in text for marker in MARKERS):
        return []
    return [
        Reference(link.line, match["kind"], match["path"])
        for link in parse_links(text)
        if link.kind is not Kind.REFERENCE and (match := INTRASITE.match(link.url))
    ]


def resolve_reference(reference: Reference, source_path: str, content_root: str) -> str:
    """The file a reference points at: from the content root when it starts with ``/``,
    else from the folder of the post that contains it."""
    path = unquote(urlsplit(reference.path).path)
    if path.startswith("/"):
        return os.path.join(content_root, path.lstrip("/"))
    return os.path.normpath(os.path.join(os.path.dirname(source_path), path))


def find_missing_references(text: str, source_path: str, content_root: str) -> list[Reference]:
    """The references whose file does not exist (reads the disk, never writes)."""
    return [
        ref
        for ref in parse_references(text)
        if not os.path.exists(resolve_reference(ref, source_path, content_root))
    ]


def check_references(text: str, source_path: str, content_root: str) -> list[Problem]:
    """A Problem for each reference whose file does not exist (reads the disk, never writes)."""
    return [
        Problem(
            ref.line,
            f"{{{ref.kind}}}{ref.path} points at a file that does not exist "
            f"({resolve_reference(ref, source_path, content_root)}); fix the path or add "
            "the file",
        )
        for ref in find_missing_references(text, source_path, content_root)
    ]
