"""Every configured source read by its kind: the one place kinds are dispatched.

Files are read here (an unreadable file or one that is not UTF-8 is a Skipped); the inbox,
reading lists, feeds and bookmarks go to ``sources``, exports to ``exports``, a pasted page
to ``pasted``, services over their APIs to ``services``. Network sources run concurrently
through the one Fetcher; results come back in settings order.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from linkdigest.drafting import exports, services
from linkdigest.drafting.pasted import parse_pasted
from linkdigest.drafting.sources import (
    API_KINDS,
    MAX_SUMMARY,
    Month,
    Skipped,
    SourceKind,
    SourceResult,
    SourceSettings,
    apply_source_section,
    fetch_feed_source,
    read_source,
    render_source_path,
)
from linkdigest.net import Fetcher

CLASSIC_KINDS = frozenset(
    {SourceKind.INBOX, SourceKind.FEED, SourceKind.READING_LIST, SourceKind.BOOKMARKS}
)


async def read_sources(
    specs: Sequence[SourceSettings],
    base: Path,
    month: Month,
    fetcher: Fetcher | None,
    max_summary: int = MAX_SUMMARY,
    environ: Mapping[str, str] | None = None,
) -> SourceResult:
    """Every source, results in settings order; tokens for services come from ``environ``
    (the process environment when None), never from the settings file."""
    env = os.environ if environ is None else environ
    results = await asyncio.gather(
        *(_read_one(spec, base, month, fetcher, max_summary, env) for spec in specs)
    )
    total = SourceResult()
    for result in results:
        total += result
    return total


async def _read_one(
    spec: SourceSettings,
    base: Path,
    month: Month,
    fetcher: Fetcher | None,
    max_summary: int,
    env: Mapping[str, str],
) -> SourceResult:
    if spec.kind in API_KINDS:
        result = await services.fetch_service_source(spec, fetcher, month, max_summary, env)
    elif spec.kind is SourceKind.FEED and spec.url:
        result = await fetch_feed_source(spec, fetcher, month, max_summary)
    elif spec.kind in CLASSIC_KINDS:
        return read_source(spec, base, month, max_summary)
    else:
        result = await _read_file_source(spec, base, month, fetcher, max_summary)
    return apply_source_section(result, spec)


async def _read_file_source(
    spec: SourceSettings, base: Path, month: Month, fetcher: Fetcher | None, max_summary: int
) -> SourceResult:
    name = render_source_path(spec.path, month)
    read = read_source_file(base / name, name)
    if isinstance(read, SourceResult):
        return read
    raw, text = read
    if spec.kind is SourceKind.OPML:
        listed = exports.parse_opml(text, name, spec.folders)
        return await exports.fetch_opml_feeds(
            listed, name, spec.folders, fetcher, month, max_summary
        )
    return parse_export(spec, raw, text, name, month)


def parse_export(
    spec: SourceSettings, raw: bytes, text: str, name: str, month: Month
) -> SourceResult:
    """A file export or a pasted page, by its kind."""
    folders = spec.folders
    if spec.kind is SourceKind.POCKET:
        return exports.parse_pocket(text, name, month, folders)
    if spec.kind is SourceKind.PINBOARD:
        return exports.parse_pinboard(text, name, month)
    if spec.kind is SourceKind.RAINDROP:
        return exports.parse_raindrop(text, name, month, folders)
    if spec.kind is SourceKind.INSTAPAPER:
        return exports.parse_instapaper(text, name, month, folders)
    if spec.kind is SourceKind.FIREFOX:
        return exports.parse_firefox(raw, text, name, month, folders)
    if spec.kind is SourceKind.CHROME:
        return exports.parse_chrome(text, name, month, folders)
    return parse_pasted(text, name, month)


def read_source_file(path: Path, name: str) -> tuple[bytes, str] | SourceResult:
    """The file's bytes and UTF-8 text, or a SourceResult saying why it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        why = f"cannot read ({error.strerror or error}); fix the path in [[draft.sources]]"
        return SourceResult((), (Skipped(name, 0, why),))
    if raw.startswith(exports.FIREFOX_LZ4):
        return raw, ""  # compressed: the Firefox parser says what to do instead
    try:
        return raw, raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return SourceResult((), (Skipped(name, line, "not UTF-8 text; save it as UTF-8"),))
