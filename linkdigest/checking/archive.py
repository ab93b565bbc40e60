"""Archived copies of dead links: the Internet Archive's availability API, and the rewrite.

For a dead link, the snapshot closest to the date of the post that links to it is what the
author meant to link. ``render_fixed_text`` swaps the link destination on the recorded
lines only, so prose that merely mentions a URL is never changed.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

from linkdigest.checking.report import CheckReport, Finding, add_archives, render_fix_plan
from linkdigest.files import read_content_text, read_text_exact, write_text_with_backup
from linkdigest.format.digest import parse_front_matter
from linkdigest.format.markdown import parse_line_destinations
from linkdigest.format.urls import is_http_url
from linkdigest.net import Fetcher, HttpSettings

DEFAULT_ENDPOINT = "https://archive.org/wayback/available"


@dataclass(frozen=True)
class Snapshot:
    url: str
    timestamp: str


def render_availability_url(endpoint: str, url: str, date: str) -> str:
    """The availability query for ``url`` near ``date`` (``YYYY-MM-DD`` or ``YYYYMMDD``)."""
    stamp = re.sub(r"\D", "", date)[:8]
    query = {"url": url, **({"timestamp": stamp} if stamp else {})}
    return f"{endpoint}?{urlencode(query)}"


def parse_availability(body: bytes) -> Snapshot | None:
    """The closest available snapshot in an availability answer, or None."""
    try:
        closest = json.loads(body)["archived_snapshots"]["closest"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(closest, dict) or not closest.get("available") or not closest.get("url"):
        return None
    url = str(closest["url"])
    if url.startswith("http://web.archive.org/"):
        url = "https://" + url.removeprefix("http://")
    return Snapshot(url, str(closest.get("timestamp", "")))


async def fetch_snapshot(fetcher: Fetcher, endpoint: str, url: str, date: str) -> Snapshot | None:
    result = await fetcher.fetch(render_availability_url(endpoint, url, date))
    if result.failure or result.status != 200:
        return None
    return parse_availability(result.body)


async def fetch_snapshots(
    fetcher: Fetcher, endpoint: str, wanted: list[tuple[str, str]]
) -> dict[tuple[str, str], Snapshot]:
    """The closest snapshot for each (url, date) pair that has one."""
    unique = list(dict.fromkeys(wanted))
    found = await asyncio.gather(*(fetch_snapshot(fetcher, endpoint, u, d) for u, d in unique))
    return {pair: snapshot for pair, snapshot in zip(unique, found, strict=True) if snapshot}


def render_fixed_text(text: str, fixes: Mapping[int, Mapping[str, str]]) -> str:
    """``text`` with, on each 1-based line in ``fixes``, every link destination equal to an
    old URL replaced by its new one. Everything else stays byte for byte."""
    lines = text.splitlines(keepends=True)
    for number, swaps in fixes.items():
        if 1 <= number <= len(lines):
            lines[number - 1] = _swap_destinations(lines[number - 1], swaps)
    return "".join(lines)


def _swap_destinations(line: str, swaps: Mapping[str, str]) -> str:
    """Only a link destination changes (as the lexer reads it, which is where the checker
    found it): not the same URL in the link's text, its title or the prose around it."""
    for link in reversed(parse_line_destinations(line.rstrip("\r\n"))):
        new = swaps.get(link.url, swaps.get(link.written))
        if new is not None and link.written:
            line = line[: link.dest_start] + new + line[link.dest_end :]
    return line


@dataclass(frozen=True)
class FileFix:
    """A content file whose dead links were rewritten to archived copies (a backup kept)."""

    path: str
    before: str
    after: str
    backup: str


def read_post_dates(paths: Iterable[str]) -> dict[str, str]:
    """The ``Date`` of each Markdown post, for the archived copy closest to it."""
    dates = {}
    for path in set(paths):
        if path.endswith(".md") and Path(path).is_file():
            front = parse_front_matter(read_content_text(path).splitlines())
            dates[path] = front.metadata.get("date", "")
    return dates


async def fetch_archived_copies(
    report: CheckReport, http: HttpSettings, endpoint: str, fetcher: Fetcher | None = None
) -> CheckReport:
    """``report`` with the archived copy closest to each post's date for every dead link
    (asked through ``fetcher`` when the caller has one, which stays open)."""
    dead = [f for f in report.dead if is_http_url(f.check.url)]
    dates = read_post_dates(p.path for f in dead for p in f.places)
    wanted = [(f.check.url, dates[p.path]) for f in dead for p in f.places if p.path in dates]
    if not wanted:
        return report
    if fetcher is not None:
        found = await fetch_snapshots(fetcher, endpoint, wanted)
    else:
        async with Fetcher(http) as own:
            found = await fetch_snapshots(own, endpoint, wanted)
    snapshots = {pair: snapshot.url for pair, snapshot in found.items()}
    return replace(report, findings=add_archives(list(report.findings), snapshots, dates))


def write_archive_fixes(findings: Iterable[Finding]) -> list[FileFix]:
    """Rewrite dead links to their archived copies in the Markdown, keeping a backup of
    each file changed (written atomically)."""
    fixes = []
    for path, lines in render_fix_plan(list(findings)).items():
        before = read_text_exact(path)
        after = render_fixed_text(before, lines)
        if after != before:
            backup = write_text_with_backup(path, after)
            fixes.append(FileFix(path, before, after, str(backup)))
    return fixes
