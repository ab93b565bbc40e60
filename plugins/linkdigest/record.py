"""record: the build's record of the pages it wrote and the source of each, in the output.

Signals, and why:

- ``content_written`` / ``feed_written``: sent by Pelican's writer for every page and feed it
  writes (our writer writes only what changed, but the signal comes for every page, changed
  or not), with the page's context: an article's or page's own page names its source.
- ``static_generator_finalized``: the generator of the content's static files (images, and
  any HTML among them); their paths are read only at ``finalized``: asking a static file
  for its ``save_as`` earlier fixes its place, and an ``{attach}`` link could no longer
  move it next to the post that attaches it;
- ``finalized``: every page is written by then; the record goes into the output folder for
  ``linkdigest links --output`` and the publish gates (``linkdigest.site.buildrecord``), and
  the pages are forgotten, so ``pelican -r`` records each rebuild afresh.
- ``all_generators_finalized``: sent before any page is written; pages noted by a build that
  failed half way (under `make devserver`, which runs Pelican again in the same process) are
  forgotten there, so they never reach the next build's record.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pelican import signals

from linkdigest.site.buildrecord import BuildRecord, write_build_record

WRITTEN: dict[str, str | None] = {}  # absolute output path: absolute source path
STATIC: list[Any] = []  # this build's static generator; its files are read once pages are written


def note_page(path: str, context: dict[str, Any], **_: Any) -> None:
    content = context.get("article") or context.get("page")
    source = getattr(content, "source_path", None)
    WRITTEN[os.path.abspath(path)] = os.path.abspath(source) if source else None


def note_feed(path: str, **_: Any) -> None:
    WRITTEN.setdefault(os.path.abspath(path), None)


def forget_pages(_generators: Any) -> None:
    WRITTEN.clear()


def note_static(generator: Any) -> None:
    STATIC[:] = [generator]  # one per build: a build that failed half way left its own


def note_static_files() -> None:
    for generator in STATIC:
        for static in generator.staticfiles:
            if static.save_as:
                path = os.path.join(generator.output_path, static.save_as)
                WRITTEN[os.path.abspath(path)] = os.path.abspath(static.source_path)
    STATIC.clear()


def write_record(pelican: Any) -> None:
    note_static_files()
    output = os.path.abspath(pelican.output_path)
    prefix = output + os.sep  # every path noted is absolute and normalised: cut, not relpath
    pages = {
        path[len(prefix) :].replace(os.sep, "/"): source
        for path, source in WRITTEN.items()
        if path.startswith(prefix)
    }
    WRITTEN.clear()
    theme = str(pelican.settings.get("THEME_STATIC_DIR", "theme"))
    write_build_record(Path(output), BuildRecord(os.path.abspath(pelican.path), pages, theme))


def register() -> None:
    signals.content_written.connect(note_page)
    signals.feed_written.connect(note_feed)
    signals.all_generators_finalized.connect(forget_pages)
    signals.static_generator_finalized.connect(note_static)
    signals.finalized.connect(write_record)
