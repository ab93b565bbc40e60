"""Check the links of the blog: dead, moved, unverifiable, with every file:line using them.

  linkdigest links                       every post and page under content/
  linkdigest links content/posts/x.md    only these files
  linkdigest links --drafts              only draft posts
  linkdigest links --since main          only links on lines added since a git revision
  linkdigest links --output output       also internal links and #fragments of a built site:
                                         the pages its last build wrote (with FILES, only
                                         the pages built from them), not what earlier
                                         builds left in the folder
  linkdigest links --format json|markdown
  linkdigest links --fix                 rewrite dead links to their archived copies
                                         (a .bak copy is kept; the diff goes to stderr)

Only dead links fail: exit 2 when something is dead, 0 when nothing is, 1 on a usage or
settings error. Each URL is requested once; failures are looked at twice before they count.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from linkdigest.cli.exits import OK, PROBLEMS
from linkdigest.cli.setup import LINK_CACHE, Session
from linkdigest.settings import DEFAULT_PATH

if TYPE_CHECKING:
    from linkdigest.checking.archive import FileFix
    from linkdigest.checking.report import CheckReport
    from linkdigest.checking.run import BuiltSite

FORMATS = ("json", "markdown", "text")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, help="Markdown files (default: all)")
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--drafts", action="store_true", help="only posts with Status: draft")
    parser.add_argument("--since", metavar="REV", help="only links added since this revision")
    parser.add_argument("--output", type=Path, help="a built site to check internal links in")
    parser.add_argument("--site-url", default="", help="the built site's absolute URL")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="settings file (TOML)")
    parser.add_argument("--cache", default=str(LINK_CACHE), help="the link checker's cache")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write cache")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="rewrite dead links in the Markdown to their archived copies",
    )


def run(args: argparse.Namespace, session: Session) -> int:
    import asyncio

    from linkdigest.checking.archive import write_archive_fixes

    report = asyncio.run(check(args, session))
    if args.fix:
        show_fixes(write_archive_fixes(report.findings), session)
    sys.stdout.write(render(report, args.format))
    return PROBLEMS if report.dead else OK


async def check(args: argparse.Namespace, session: Session) -> CheckReport:
    from linkdigest.checking.archive import fetch_archived_copies
    from linkdigest.checking.run import check_places, read_check_places
    from linkdigest.checking.verdicts import parse_check_options
    from linkdigest.cli.output import Progress

    options = parse_check_options(session.data, session.source)
    files = args.files or None  # none named: every Markdown file under --content
    places = read_check_places(args.content, files, drafts_only=args.drafts, since=args.since)
    cache = session.link_cache(args.cache, disabled=args.no_cache)
    site = read_built_site(args, session) if args.output else None
    progress = Progress(session.program, len({ref.url for ref in places}))
    async with session.fetcher(cache) as fetcher:
        report = await check_places(
            places, session.http, cache, options, content=args.content, site=site,
            progress=lambda check: progress.advance(check.url), fetcher=fetcher,
        )  # fmt: skip
        if not args.no_cache:
            session.write_link_cache(cache)
        return await fetch_archived_copies(report, session.http, options.archive_api, fetcher)


def read_built_site(args: argparse.Namespace, session: Session) -> BuiltSite:
    """The built site to check: the pages of its build record (of FILES, when named)."""
    from linkdigest.checking.internal import read_built_pages
    from linkdigest.checking.run import BuiltSite
    from linkdigest.site.buildrecord import RECORD_NAME

    pages = read_built_pages(args.output, args.files or None)
    if pages is None:
        session.say(
            f"{args.output}: no {RECORD_NAME} (not built with the linkdigest plugin?): "
            "checking every page in it, pages left by earlier builds too"
        )
    return BuiltSite(args.output, args.site_url, pages)


def show_fixes(fixes: list[FileFix], session: Session) -> None:
    import difflib

    for fix in fixes:
        before, after = fix.before.splitlines(keepends=True), fix.after.splitlines(keepends=True)
        sys.stderr.writelines(difflib.unified_diff(before, after, fix.path, fix.path))
        session.wrote(fix.path)
    session.say(f"rewrote dead links to archived copies in {len(fixes)} files")


def render(report: CheckReport, format: str) -> str:
    from linkdigest.checking import report as reports

    render = {
        "text": reports.render_report_text,
        "markdown": reports.render_report_markdown,
        "json": reports.render_report_json,
    }
    return render[format](report)
