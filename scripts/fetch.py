#!/usr/bin/env python3
"""Fetch link titles and summaries and print them as digest entries (or JSON lines).

  scripts/fetch.py URL [URL ...]          one digest entry per URL, in order
  scripts/fetch.py --file urls.txt        URLs one per line ('-' reads stdin; '#' comments)
  scripts/fetch.py --json URL ...         JSON lines instead of Markdown
  scripts/fetch.py --html FILE --url URL --json
                                          offline: read a saved page, print one JSON object
  scripts/fetch.py --fill content/posts/2026-11-links.md
                                          complete entries that lack a title or summary, in
                                          place (a timestamped .bak copy is kept); text a
                                          person wrote is never changed

A URL that cannot be fetched is reported on stderr and still printed as an entry with the
URL as its title and a FETCH FAILED marker, so nothing is dropped. Exit codes: 0 all fetched,
2 some failed, 1 usage or settings error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from linkdigest.cli import ERROR, OK, PROBLEMS, Progress, read_run_cache, report_error
from linkdigest.errors import DigestError
from linkdigest.fetching.extract import parse_page
from linkdigest.fetching.fetch import LinkInfo, fetch_many, parse_fetch_options
from linkdigest.fetching.fill import Filled, parse_fill_targets, render_filled
from linkdigest.files import read_text_exact, write_text_with_backup
from linkdigest.format.render import entry_from_text, render_entry
from linkdigest.format.urls import is_http_url
from linkdigest.net import Fetcher, parse_http_settings
from linkdigest.net.cache import write_cache
from linkdigest.settings import DEFAULT_PATH, read_settings_file

PROGRAM = "fetch"
DEFAULT_CACHE = Path(".cache/linkdigest/fetch.json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="*", help="URLs to fetch")
    parser.add_argument("--file", help="read URLs from this file, one per line ('-': stdin)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="settings file (TOML)")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="cache file")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write cache")
    parser.add_argument("--html", help="offline: a saved page to read instead of fetching")
    parser.add_argument("--url", help="offline: the URL the saved page came from")
    parser.add_argument("--fill", help="a digest or draft to complete in place")
    return parser.parse_args(argv)


def parse_url_lines(lines: Iterable[str]) -> list[str]:
    """URLs from text: one per line; blank lines and '#' comments skipped."""
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def read_urls(args: argparse.Namespace) -> list[str]:
    urls = list(args.urls)
    if args.file == "-" or (not urls and not args.file and not sys.stdin.isatty()):
        urls += parse_url_lines(sys.stdin)
    elif args.file:
        urls += parse_url_lines(Path(args.file).read_text(encoding="utf-8").splitlines())
    return urls


def render_info(info: LinkInfo, as_json: bool) -> str:
    if as_json:
        return json.dumps(info.to_json(), ensure_ascii=False)
    if info.ok:
        return render_entry(entry_from_text(info.title or info.url, info.url, info.summary))
    marker = f"FETCH FAILED ({info.error}): write the title and summary by hand"
    return render_entry(entry_from_text(info.url, info.url, marker))


def run_offline(args: argparse.Namespace) -> int:
    if not args.url or not is_http_url(args.url):
        print(
            f"{PROGRAM}: --html needs --url with the page's absolute http(s) URL", file=sys.stderr
        )
        return ERROR
    body = Path(args.html).read_bytes()
    page = parse_page(body, args.url, {"content-type": "text/html"})
    print(
        json.dumps(page.to_json(), ensure_ascii=False)
        if args.json
        else render_info(
            LinkInfo(args.url, args.url, page.title, page.description, summary=page.summary),
            False,
        )
    )
    return OK


async def fetch_urls(urls: list[str], args: argparse.Namespace) -> list[LinkInfo]:
    data = read_settings_file(args.settings)
    http, options = (
        parse_http_settings(data, args.settings),
        parse_fetch_options(data, args.settings),
    )
    cache = read_run_cache(PROGRAM, args.cache, disabled=args.no_cache)
    progress = Progress(PROGRAM, len(set(urls)))
    async with Fetcher(http) as fetcher:
        infos = await fetch_many(
            fetcher, urls, cache, options, lambda info: progress.advance(info.url)
        )
    if not args.no_cache:
        write_cache(cache)
    return infos


def run_fill(args: argparse.Namespace) -> int:
    path = Path(args.fill)
    text = read_text_exact(path)
    targets = parse_fill_targets(text)
    if not targets:
        print(f"{PROGRAM}: {path}: nothing to fill", file=sys.stderr)
        return OK
    infos = asyncio.run(fetch_urls([t.url for t in targets], args))
    filled = {i.url: Filled(i.title, i.summary) for i in infos if i.ok}
    for info in infos:
        if not info.ok:
            print(f"{PROGRAM}: {path}: {info.url}: {info.error}; left as it was", file=sys.stderr)
    updated = render_filled(text, targets, filled)
    if updated != text:
        backup = write_text_with_backup(path, updated)
        print(
            f"{PROGRAM}: {path}: filled {len(filled)} of {len(targets)} entries "
            f"(backup: {backup.name})",
            file=sys.stderr,
        )
    return PROBLEMS if len(filled) < len({t.url for t in targets}) else OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.html:
            return run_offline(args)
        if args.fill:
            return run_fill(args)
        urls = read_urls(args)
        if not urls:
            print(f"{PROGRAM}: no URLs given (arguments, --file FILE or stdin)", file=sys.stderr)
            return ERROR
        bad = [url for url in urls if not is_http_url(url)]
        for url in bad:
            print(f"{PROGRAM}: {url}: not an absolute http(s) URL; skipped", file=sys.stderr)
        infos = asyncio.run(fetch_urls([u for u in urls if u not in bad], args))
    except (DigestError, ValueError) as error:
        return report_error(
            PROGRAM,
            error if isinstance(error, DigestError) else DigestError(f"{args.settings}: {error}"),
        )
    except OSError as error:
        print(f"{PROGRAM}: {error.filename}: {error.strerror}", file=sys.stderr)
        return ERROR
    for info in infos:
        if not info.ok:
            print(f"{PROGRAM}: {info.url}: {info.error}", file=sys.stderr)
        print(render_info(info, args.json))
    return PROBLEMS if bad or any(not i.ok for i in infos) else OK


if __name__ == "__main__":
    sys.exit(main())
