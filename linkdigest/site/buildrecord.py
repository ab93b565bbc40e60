"""The build's record of its pages: which output files the last build wrote (or copied from
the content), and from which source file each content page came.

An output folder keeps what earlier builds wrote (``make html`` never empties it: a warm
rebuild writes only what changed), so a deleted post's page stays there. Checks of a built
site (``linkdigest links --output``, the publish gates) read this record instead of walking
the folder: they look at the pages the current content produces, and ``links FILE`` at the
pages built from FILE. The record sits in the output folder, under a name every deploy leaves
out; a folder without one (built by other means) is walked whole, as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from linkdigest.errors import ContentError
from linkdigest.files import write_text_atomic

RECORD_NAME = ".linkdigest-pages.json"
RECORD_VERSION = 1


@dataclass(frozen=True)
class BuildRecord:
    """Every page and feed the build wrote, and every static file it copied from the content,
    a POSIX path below the output folder, with the source file it was made from (an absolute
    path), or None for a page of many sources (index, archives, tags, feeds, the links page)."""

    content: str
    pages: Mapping[str, str | None]
    theme_static: str = "theme"  # THEME_STATIC_DIR: the theme's files, copied, not written

    def pages_from(self, files: Iterable[Path]) -> frozenset[str]:
        """The pages built from any of ``files``."""
        wanted = {os.path.realpath(path) for path in files}
        return frozenset(
            page
            for page, source in self.pages.items()
            if source is not None and os.path.realpath(source) in wanted
        )

    def html_pages(self) -> frozenset[str]:
        return frozenset(page for page in self.pages if page.endswith(".html"))

    def is_left_over(self, path: str) -> bool:
        """An HTML file (a path below the output) this build neither wrote nor copied: a
        page an earlier build left behind, which a deploy of this build would not have."""
        theme = self.theme_static.strip("/") + "/"
        return path.endswith(".html") and path not in self.pages and not path.startswith(theme)


def render_build_record(record: BuildRecord) -> str:
    """The record as JSON, pages sorted, so an unchanged site gives the same bytes."""
    data = {
        "version": RECORD_VERSION,
        "content": record.content,
        "theme_static": record.theme_static,
        "pages": dict(sorted(record.pages.items())),
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def parse_build_record(text: str, where: str) -> BuildRecord:
    """A BuildRecord from its JSON; a ContentError naming ``where`` when it is not one."""
    try:
        data = json.loads(text)
        pages = data["pages"]
        valid = data.get("version") == RECORD_VERSION and isinstance(data["content"], str)
        valid = valid and all(isinstance(s, str | None) for s in pages.values())
        valid = valid and isinstance(data.get("theme_static", ""), str)
    except (ValueError, KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise ContentError(where, None, "not a build record of this version: build the site again")
    pages = {str(page): source for page, source in pages.items()}
    return BuildRecord(data["content"], pages, data.get("theme_static", "theme"))


def read_build_record(output: Path) -> BuildRecord | None:
    """The record of the last build into ``output``; None when there is none."""
    path = output / RECORD_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return parse_build_record(text, str(path))


def write_build_record(output: Path, record: BuildRecord) -> None:
    """Write the record, unless the file already holds these very bytes (a rebuild that
    changes nothing writes nothing)."""
    path = output / RECORD_NAME
    text = render_build_record(record)
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass  # none yet, or unreadable: write it
    write_text_atomic(path, text)
