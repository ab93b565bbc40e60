#!/usr/bin/env python3
"""Check the links of the blog: dead, moved, unverifiable, with every file:line using them.

  scripts/links.py                       every post and page under content/
  scripts/links.py content/posts/x.md    only these files
  scripts/links.py --drafts              only draft posts
  scripts/links.py --since main          only links on lines added since a git revision
  scripts/links.py --output output       also internal links and #fragments of a built site
  scripts/links.py --format json|markdown
  scripts/links.py --fix                 rewrite dead links to their archived copies
                                         (a .bak copy is kept; the diff goes to stderr)

Only dead links fail: exit 2 when something is dead, 0 when nothing is, 1 on a usage or
settings error. Each URL is requested once; failures are looked at twice before they count.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys
from pathlib import Path

from linkdigest.checking.archive import fetch_archived_copies, write_archive_fixes
from linkdigest.checking.cache import LinkCache, read_link_cache, write_link_cache
from linkdigest.checking.report import (
    CheckReport,
    render_report_json,
    render_report_markdown,
    render_report_text,
)
from linkdigest.checking.run import BuiltSite, check_places, read_check_places
from linkdigest.checking.verdicts import parse_check_options
from linkdigest.cli import ERROR, OK, PROBLEMS, Progress, report_error
from linkdigest.errors import DigestError
from linkdigest.net import parse_http_settings
from linkdigest.settings import DEFAULT_PATH, read_settings_file

PROGRAM = "links"
DEFAULT_CACHE = Path(".cache/linkdigest/links.json")
RENDER = {
    "text": render_report_text,
    "markdown": render_report_markdown,
    "json": render_report_json,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="Markdown files (default: all)")
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--drafts", action="store_true", help="only posts with Status: draft")
    parser.add_argument("--since", metavar="REV", help="only links added since this revision")
    parser.add_argument("--output", type=Path, help="a built site to check internal links in")
    parser.add_argument("--site-url", default="", help="the built site's absolute URL")
    parser.add_argument("--format", choices=sorted(RENDER), default="text")
    parser.add_argument("--settings", default=str(DEFAULT_PATH))
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="rewrite dead links in the Markdown to their archived copies",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> CheckReport:
    data = read_settings_file(args.settings)
    http = parse_http_settings(data, args.settings)
    options = parse_check_options(data, args.settings)
    files = args.files or None  # none named: every Markdown file under --content
    places = read_check_places(args.content, files, drafts_only=args.drafts, since=args.since)
    cache = LinkCache(Path(args.cache)) if args.no_cache else read_link_cache(args.cache)
    if cache.recovered:
        print(f"{PROGRAM}: {cache.recovered}", file=sys.stderr)
    site = BuiltSite(args.output, args.site_url) if args.output else None
    progress = Progress(PROGRAM, len({ref.url for ref in places}))
    report = await check_places(
        places, http, cache, options, content=args.content, site=site,
        progress=lambda check: progress.advance(check.url),
    )  # fmt: skip
    if not args.no_cache:
        write_link_cache(cache)
    return await fetch_archived_copies(report, http, options.archive_api)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = asyncio.run(run(args))
        fixes = write_archive_fixes(report.findings) if args.fix else []
    except DigestError as error:
        return report_error(PROGRAM, error)
    except OSError as error:
        print(f"{PROGRAM}: {error.filename}: {error.strerror}", file=sys.stderr)
        return ERROR
    for fix in fixes:
        before, after = fix.before.splitlines(keepends=True), fix.after.splitlines(keepends=True)
        sys.stderr.writelines(difflib.unified_diff(before, after, fix.path, fix.path))
    if args.fix:
        print(
            f"{PROGRAM}: rewrote dead links to archived copies in {len(fixes)} files",
            file=sys.stderr,
        )
    sys.stdout.write(RENDER[args.format](report))
    return PROBLEMS if report.dead else OK


if __name__ == "__main__":
    sys.exit(main())
