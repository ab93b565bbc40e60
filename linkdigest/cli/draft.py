"""Draft the monthly digest from the inbox, feeds, reading lists and bookmarks.

  linkdigest draft 2026-11               write (or merge into) the month's draft
  linkdigest draft 2026-11 --dry-run     print the result; write nothing
  linkdigest draft 2026-11 --offline     no network: titles only from sources and the cache
  linkdigest draft 2026-11 --strict      exit 2 when something was skipped

Sources, sections and the draft's front matter are set in the [draft] table of
linkdigest.toml (its paths are relative to that file's folder). An existing draft is never
overwritten: new links are inserted at the end of their sections (a timestamped .bak copy
is kept) and every other line stays as it was; a digest whose Status is not draft is never
touched. A link you delete from the draft stays out of later runs: the draft's record
beside it (2026-11-links.drafted.txt) marks it removed; delete that line to bring it back.
Every skipped item is a warning on stderr, named as source:line. Exit codes: 0
drafted (even with warnings), 2 something was skipped and --strict was given, 1 usage or
settings error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from linkdigest.cli.exits import ERROR, OK, PROBLEMS
from linkdigest.cli.setup import FETCH_CACHE, Session
from linkdigest.settings import DEFAULT_PATH

if TYPE_CHECKING:
    from linkdigest.drafting.draft import DraftRun
    from linkdigest.fetching.fetch import LinkInfo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "month", nargs="?", default="", help="the month to draft, YYYY-MM (for example 2026-11)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the result, write nothing")
    parser.add_argument("--offline", action="store_true", help="never use the network")
    parser.add_argument(
        "--strict", action="store_true", help="exit 2 when an item was skipped (default 0)"
    )
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="settings file (TOML)")
    parser.add_argument("--cache", default=str(FETCH_CACHE), help="fetch cache file")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write cache")


def run(args: argparse.Namespace, session: Session) -> int:
    if not args.month:
        session.say("which month? give it as YYYY-MM (make draft MONTH=2026-11)")
        return ERROR
    import asyncio

    result = asyncio.run(build(args, session))
    report(result, args.dry_run)
    write(result, args.dry_run, session)
    return PROBLEMS if result.skipped and args.strict else OK


async def build(args: argparse.Namespace, session: Session) -> DraftRun:
    from linkdigest.drafting.draft import build_draft, parse_draft_settings
    from linkdigest.drafting.sources import parse_month
    from linkdigest.fetching.fetch import parse_fetch_options

    settings = parse_draft_settings(session.data, session.source)
    options = parse_fetch_options(session.data, session.source)
    month = parse_month(args.month, settings.timezone)
    cache = session.fetch_cache(args.cache, disabled=args.no_cache)
    if args.offline:
        return await build_draft(settings, session.base, month, None, cache, options)
    async with session.fetcher() as fetcher:
        result = await build_draft(
            settings, session.base, month, fetcher, cache, options, _progress
        )
    if not args.no_cache and not args.dry_run:
        session.write_fetch_cache(cache)
    return result


def _progress(total: int) -> Callable[[LinkInfo], None]:
    from linkdigest.cli.output import Progress

    progress = Progress("draft: fetching", total)
    return lambda info: progress.advance(info.url)


def report(result: DraftRun, dry_run: bool = False) -> None:
    for item in result.skipped:
        print(f"{item.where}: {item.message}", file=sys.stderr)
    for candidate, where in result.plan.published:
        print(
            f"{candidate.where}: {candidate.url} was already published ({where}); left out",
            file=sys.stderr,
        )
    report_removed(result, dry_run)
    for candidate, why in result.failures:
        print(
            f"{candidate.where}: {candidate.url}: no title ({why}); drafted with an empty "
            f"title: write one, or run linkdigest fetch --fill {_shown(result.path)}",
            file=sys.stderr,
        )


def report_removed(result: DraftRun, dry_run: bool) -> None:
    """The links the editor removed: each one a source still holds, and those noticed now
    (a dry run says where they would be recorded: it writes nothing)."""
    from linkdigest.format.urls import normalise_for_dedup

    record, draft = _shown(result.record.path), _shown(result.path)
    noticed = {line.key for line in result.record.newly_removed}
    for candidate in result.plan.removed:
        key = normalise_for_dedup(candidate.url)
        line = result.record.lines.get(key, 0)
        recorded = "would be recorded" if dry_run and key in noticed else "recorded"
        print(
            f"{candidate.where}: {candidate.url} left out, removed by you from {draft} "
            f"({recorded} at {record}:{line}); to bring it back, delete that line",
            file=sys.stderr,
        )
    if result.record.newly_removed:
        count = len(result.record.newly_removed)
        links = "link" if count == 1 else "links"
        print(
            f"{record}: {count} {links} you deleted from {draft} "
            f"{'would be ' if dry_run else ''}marked removed; later runs leave them out",
            file=sys.stderr,
        )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write(result: DraftRun, dry_run: bool, session: Session) -> None:
    from linkdigest.drafting.draft import write_draft

    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    where = _shown(result.path)
    kept = len(result.plan.in_draft)
    removed = f", {len(result.plan.removed)} removed by you" if result.plan.removed else ""
    if dry_run:
        if result.text:
            sys.stdout.write(result.text)
        action = "would write" if result.created else "would merge into"
        what = f"{action} {where}: {counts}" if result.text else f"{where}: nothing new"
        session.say(f"{what} (dry run)")
        return
    backup = write_draft(result, lambda path: session.wrote(_shown(path)))
    if not result.text:
        session.say(f"{where}: nothing new ({kept} already in the draft{removed})")
        return
    if result.created:
        session.say(f"wrote {where}: {counts}")
    else:
        backup_name = backup.name if backup else ""
        session.say(
            f"merged into {where}: {counts}; {kept} already there{removed} (backup: {backup_name})"
        )
