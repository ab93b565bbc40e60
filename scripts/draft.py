#!/usr/bin/env python3
"""Draft the monthly digest from the inbox, feeds, reading lists and bookmarks.

  scripts/draft.py 2026-11               write (or merge into) the month's draft
  scripts/draft.py 2026-11 --dry-run     print the result; write nothing
  scripts/draft.py 2026-11 --offline     no network: titles only from sources and the cache

Sources, sections and the draft's front matter are set in the [draft] table of
linkdigest.toml. An existing draft is never overwritten: new links are inserted at the end
of their sections (a timestamped .bak copy is kept) and every other line stays as it was; a
digest whose Status is not draft is never touched. Every skipped item is named on stderr as
source:line. Exit codes: 0 drafted, 2 something was skipped, 1 usage or settings error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from linkdigest.cli import ERROR, OK, PROBLEMS, Progress, read_run_cache, report_error
from linkdigest.drafting.draft import DraftRun, build_draft, parse_draft_settings
from linkdigest.drafting.sources import parse_month
from linkdigest.errors import DigestError
from linkdigest.fetching.fetch import LinkInfo, parse_fetch_options
from linkdigest.files import write_text_atomic, write_text_with_backup
from linkdigest.net import Fetcher, parse_http_settings
from linkdigest.net.cache import write_cache
from linkdigest.settings import DEFAULT_PATH, read_settings_file

PROGRAM = "draft"
DEFAULT_CACHE = Path(".cache/linkdigest/fetch.json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0])
    parser.add_argument(
        "month", nargs="?", default="", help="the month to draft, YYYY-MM (for example 2026-11)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the result, write nothing")
    parser.add_argument("--offline", action="store_true", help="never use the network")
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="settings file (TOML)")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="fetch cache file")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write cache")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> DraftRun:
    data = read_settings_file(args.settings)
    settings = parse_draft_settings(data, args.settings)
    options = parse_fetch_options(data, args.settings)
    http = parse_http_settings(data, args.settings)
    month = parse_month(args.month, settings.timezone)
    base = Path(args.settings).resolve().parent
    cache = read_run_cache(PROGRAM, args.cache, disabled=args.no_cache)
    if args.offline:
        return await build_draft(settings, base, month, None, cache, options)
    async with Fetcher(http) as fetcher:
        result = await build_draft(settings, base, month, fetcher, cache, options, _progress)
    if not args.no_cache and not args.dry_run:
        write_cache(cache)
    return result


def _progress(total: int) -> Callable[[LinkInfo], None]:
    progress = Progress(f"{PROGRAM}: fetching", total)
    return lambda info: progress.advance(info.url)


def report(result: DraftRun) -> None:
    for item in result.skipped:
        print(f"{item.where}: {item.message}", file=sys.stderr)
    for candidate, where in result.plan.published:
        print(
            f"{candidate.where}: {candidate.url} was already published ({where}); left out",
            file=sys.stderr,
        )
    for candidate, why in result.failures:
        print(
            f"{candidate.where}: {candidate.url}: no title ({why}); drafted with an empty "
            f"title: write one, or run scripts/fetch.py --fill {_shown(result.path)}",
            file=sys.stderr,
        )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write(result: DraftRun, dry_run: bool) -> None:
    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    where = _shown(result.path)
    kept = len(result.plan.in_draft)
    if not result.text:
        print(f"{PROGRAM}: {where}: nothing new ({kept} already in the draft)", file=sys.stderr)
        return
    if dry_run:
        sys.stdout.write(result.text)
        action = "would write" if result.created else "would merge into"
        print(f"{PROGRAM}: {action} {where}: {counts} (dry run)", file=sys.stderr)
        return
    if result.created:
        write_text_atomic(result.path, result.text)
        print(f"{PROGRAM}: wrote {where}: {counts}", file=sys.stderr)
    else:
        backup = write_text_with_backup(result.path, result.text)
        print(
            f"{PROGRAM}: merged into {where}: {counts}; {kept} already there "
            f"(backup: {backup.name})",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as stop:  # argparse: --help is fine, anything else is a usage error
        return ERROR if stop.code else OK
    if not args.month:
        print(
            f"{PROGRAM}: which month? give it as YYYY-MM (make draft MONTH=2026-11)",
            file=sys.stderr,
        )
        return ERROR
    try:
        result = asyncio.run(run(args))
        report(result)
        write(result, args.dry_run)
    except DigestError as error:
        return report_error(PROGRAM, error)
    except OSError as error:
        print(f"{PROGRAM}: {error.filename}: {error.strerror}", file=sys.stderr)
        return ERROR
    return PROBLEMS if result.skipped else OK


if __name__ == "__main__":
    sys.exit(main())
