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
settings error. Each URL is requested once; failures are re-checked after a cool-down.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys
from collections.abc import Iterable
from pathlib import Path

from linkdigest.checking.archive import fetch_snapshots, render_fixed_text
from linkdigest.checking.gitdiff import read_added_lines
from linkdigest.checking.internal import check_internal_links, read_external_links
from linkdigest.checking.places import LinkRef, read_content_links
from linkdigest.checking.report import (
    Finding,
    add_archives,
    check_syntax_only,
    collect_findings,
    count_verdicts,
    render_fix_plan,
    render_report_json,
    render_report_markdown,
    render_report_text,
)
from linkdigest.checking.verdicts import (
    CheckOptions,
    LinkCheck,
    Verdict,
    fetch_verdicts,
    parse_check_options,
)
from linkdigest.cli import ERROR, OK, PROBLEMS, Progress, read_run_cache, report_error
from linkdigest.errors import DigestError
from linkdigest.files import read_content_text, read_text_exact, write_text_with_backup
from linkdigest.format.digest import parse_front_matter
from linkdigest.format.urls import is_http_url
from linkdigest.net.cache import write_cache
from linkdigest.net.http import Fetcher, HttpSettings, parse_http_settings
from linkdigest.settings import DEFAULT_PATH, read_settings_file
from linkdigest.site.references import find_missing_references

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


def select_files(args: argparse.Namespace) -> list[Path]:
    files = list(args.files) or sorted(args.content.rglob("*.md"))
    if args.drafts:
        files = [f for f in files if is_draft(f)]
    return files


def keep_added(refs: list[LinkRef], added: dict[str, set[int] | None]) -> list[LinkRef]:
    """The links on lines added since the revision (every line of an untracked file)."""
    kept = []
    for ref in refs:
        key = str(Path(ref.path).resolve())
        if key in added and (added[key] is None or ref.line in added[key]):
            kept.append(ref)
    return kept


def is_draft(path: Path) -> bool:
    front = parse_front_matter(read_content_text(path).splitlines())
    return front.metadata.get("status", "").lower() == "draft"


def local_checks(
    files: list[Path], content: Path, refs: list[LinkRef], args: argparse.Namespace
) -> tuple[dict[str, LinkCheck], list[LinkRef]]:
    """Verdicts that need no network: intrasite references, mailto/tel, the built site."""
    checks: dict[str, LinkCheck] = {}
    extra: list[LinkRef] = []
    for path in files:
        text = read_content_text(path)
        for ref in find_missing_references(text, str(path), str(content)):
            url = f"{{{ref.kind}}}{ref.path}"
            checks[url] = LinkCheck(url, Verdict.DEAD, "file does not exist")
            extra.append(LinkRef(url, str(path), ref.line))
    for ref in refs:
        if ref.url.lower().startswith(("mailto:", "tel:")):
            checks[ref.url] = check_syntax_only(ref.url)
    if args.output:
        for broken in check_internal_links(args.output, args.site_url):
            checks[broken.url] = LinkCheck(broken.url, Verdict.DEAD, broken.reason)
            extra.append(LinkRef(broken.url, str(args.output / broken.page), 0))
        written = {ref.url for ref in refs}
        # Links only the theme or the build adds (its own links, embeds) are checked too;
        # a link written in Markdown is reported at its file:line, not at every page.
        extra += [
            LinkRef(url, str(args.output / page), 0)
            for page, url in read_external_links(args.output, args.site_url)
            if url not in written
        ]
    return checks, extra


def read_post_dates(paths: Iterable[str]) -> dict[str, str]:
    """The ``Date`` of each Markdown post, for the archived copy closest to it."""
    dates = {}
    for path in set(paths):
        if path.endswith(".md") and Path(path).is_file():
            front = parse_front_matter(read_content_text(path).splitlines())
            dates[path] = front.metadata.get("date", "")
    return dates


async def find_archives(
    findings: list[Finding], http: HttpSettings, options: CheckOptions
) -> list[Finding]:
    dead = [f for f in findings if f.check.verdict is Verdict.DEAD and is_http_url(f.check.url)]
    dates = read_post_dates(p.path for f in dead for p in f.places)
    wanted = [(f.check.url, dates[p.path]) for f in dead for p in f.places if p.path in dates]
    if not wanted:
        return findings
    async with Fetcher(http) as fetcher:
        found = await fetch_snapshots(fetcher, options.archive_api, wanted)
    return add_archives(findings, {pair: snap.url for pair, snap in found.items()}, dates)


def apply_fixes(findings: list[Finding]) -> int:
    """Rewrite dead links to archived copies, keeping a backup; print the diff on stderr."""
    changed = 0
    for path, lines in render_fix_plan(findings).items():
        before = read_text_exact(path)
        after = render_fixed_text(before, lines)
        if after == before:
            continue
        write_text_with_backup(path, after)
        sys.stderr.writelines(
            difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True), path, path
            )
        )
        changed += 1
    return changed


async def external_checks(
    urls: list[str], http: HttpSettings, options: CheckOptions, args: argparse.Namespace
) -> dict[str, LinkCheck]:
    cache = read_run_cache(PROGRAM, args.cache, disabled=args.no_cache, normalise=False)
    progress = Progress(PROGRAM, len(set(urls)))
    checks = await fetch_verdicts(
        http, urls, cache, options, lambda check: progress.advance(check.url)
    )
    if not args.no_cache:
        write_cache(cache)
    return checks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = read_settings_file(args.settings)
        http = parse_http_settings(data, args.settings)
        options = parse_check_options(data, args.settings)
        files = select_files(args)
        refs = read_content_links(files)
        if args.since:
            refs = keep_added(refs, read_added_lines(args.since, args.content))
            files = sorted({Path(ref.path) for ref in refs})
        checks, extra = local_checks(files, args.content, refs, args)
        urls = [ref.url for ref in [*refs, *extra] if is_http_url(ref.url)]
        checks.update(asyncio.run(external_checks(urls, http, options, args)) if urls else {})
    except DigestError as error:
        return report_error(PROGRAM, error)
    except OSError as error:
        print(f"{PROGRAM}: {error.filename}: {error.strerror}", file=sys.stderr)
        return ERROR
    findings = asyncio.run(find_archives(collect_findings(checks, [*refs, *extra]), http, options))
    if args.fix:
        fixed = apply_fixes(findings)
        print(f"{PROGRAM}: rewrote dead links to archived copies in {fixed} files", file=sys.stderr)
    sys.stdout.write(RENDER[args.format](findings, count_verdicts(checks)))
    return PROBLEMS if any(c.verdict is Verdict.DEAD for c in checks.values()) else OK


if __name__ == "__main__":
    sys.exit(main())
