"""Fetch link titles and summaries and print them as digest entries (or JSON lines).

  linkdigest fetch URL [URL ...]          one digest entry per URL, in order
  linkdigest fetch --file inbox.txt       the drafter's inbox format: a URL a line, a note
                                          after it, Markdown links, bullets, '#' comments
                                          ('-' reads stdin)
  linkdigest fetch --json URL ...         JSON lines instead of Markdown
  linkdigest fetch --html FILE --url URL --json
                                          offline: read a saved page, print one JSON object
  linkdigest fetch --fill content/posts/2026-11-links.md
                                          complete entries that lack a title or summary, in
                                          place (a timestamped .bak copy is kept); text a
                                          person wrote is never changed

A URL that cannot be fetched is reported on stderr and still printed as an entry with the
URL as its title and a FETCH FAILED marker, so nothing is dropped. Exit codes: 0 all fetched,
2 some failed, 1 usage or settings error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from linkdigest.cli.exits import ERROR, OK, PROBLEMS
from linkdigest.cli.setup import FETCH_CACHE, Session
from linkdigest.format.urls import is_http_url
from linkdigest.settings import DEFAULT_PATH

if TYPE_CHECKING:
    from linkdigest.fetching.fetch import LinkInfo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="*", help="URLs to fetch")
    parser.add_argument("--file", help="read URLs from this file, in the inbox format ('-': stdin)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="settings file (TOML)")
    parser.add_argument("--cache", default=str(FETCH_CACHE), help="cache file")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write cache")
    parser.add_argument("--html", help="offline: a saved page to read instead of fetching")
    parser.add_argument("--url", help="offline: the URL the saved page came from")
    parser.add_argument("--fill", help="a digest or draft to complete in place")


def run(args: argparse.Namespace, session: Session) -> int:
    if args.html:
        return run_offline(args, session)
    if args.fill:
        return run_fill(args, session)
    urls, problems = read_urls(args)
    for problem in problems:
        session.say(problem)
    if not urls:
        if problems:
            return ERROR
        where = f"{args.file}: no URL in it; write one http(s) URL a line" if args.file else ""
        session.say(where or "no URLs given: name them, or give --file FILE, or pipe them in")
        return ERROR
    bad = [url for url in urls if not is_http_url(url)]
    for url in bad:
        session.say(f"{url}: not an absolute http(s) URL; write the full URL (skipped)")
    infos = fetch_urls([u for u in urls if u not in bad], args, session)
    for info in infos:
        if not info.ok:
            session.say(f"{info.url}: {info.error}")
        print(render_info(info, args.json))
    return PROBLEMS if problems or bad or any(not i.ok for i in infos) else OK


def read_urls(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The URLs to fetch: the arguments, then those of ``--file`` or stdin, read as the
    drafter reads its inbox; and each line that held none, as ``file:line: what``."""
    from linkdigest.files import read_content_text
    from linkdigest.format.linklist import parse_link_list

    urls = list(args.urls)
    if args.file == "-" or (not urls and not args.file and not sys.stdin.isatty()):
        name, text = "stdin", sys.stdin.read()
    elif args.file:
        name, text = args.file, read_content_text(args.file)
    else:
        return urls, []
    listed = parse_link_list(text)
    problems = [f"{name}:{p.line}: {p.message}" for p in listed.problems]
    return urls + listed.urls, problems


def render_info(info: LinkInfo, as_json: bool) -> str:
    from linkdigest.format.render import entry_from_text, render_entry

    if as_json:
        return json.dumps(info.to_json(), ensure_ascii=False)
    if info.ok:
        return render_entry(entry_from_text(info.title or info.url, info.url, info.summary))
    marker = f"FETCH FAILED ({info.error}): write the title and summary by hand"
    return render_entry(entry_from_text(info.url, info.url, marker))


def run_offline(args: argparse.Namespace, session: Session) -> int:
    """One saved page, no network: only the extraction is imported."""
    from linkdigest.fetching.extract import parse_page

    if not args.url or not is_http_url(args.url):
        session.say("--html needs --url with the page's absolute http(s) URL")
        return ERROR
    body = Path(args.html).read_bytes()
    page = parse_page(body, args.url, {"content-type": "text/html"})
    if args.json:
        print(json.dumps(page.to_json(), ensure_ascii=False))
        return OK
    from linkdigest.format.render import entry_from_text, render_entry

    print(render_entry(entry_from_text(page.title or args.url, args.url, page.summary)))
    return OK


def fetch_urls(urls: list[str], args: argparse.Namespace, session: Session) -> list[LinkInfo]:
    import asyncio

    from linkdigest.cli.output import Progress
    from linkdigest.fetching.fetch import fetch_many, parse_fetch_options

    options = parse_fetch_options(session.data, session.source)
    cache = session.fetch_cache(args.cache, disabled=args.no_cache)
    progress = Progress(session.program, len(set(urls)))

    async def fetch() -> list[LinkInfo]:
        async with session.fetcher() as fetcher:
            return await fetch_many(
                fetcher, urls, cache, options, lambda info: progress.advance(info.url)
            )

    infos = asyncio.run(fetch())
    if not args.no_cache:
        session.write_fetch_cache(cache)
    return infos


def run_fill(args: argparse.Namespace, session: Session) -> int:
    from linkdigest.fetching.fill import Filled, parse_fill_targets, render_filled
    from linkdigest.files import read_text_exact, write_text_with_backup

    path = Path(args.fill)
    text = read_text_exact(path)
    targets = parse_fill_targets(text)
    if not targets:
        session.say(f"{path}: nothing to fill")
        return OK
    infos = fetch_urls([t.url for t in targets], args, session)
    filled = {i.url: Filled(i.title, i.summary) for i in infos if i.ok}
    for info in infos:
        if not info.ok:
            session.say(f"{path}: {info.url}: {info.error}; left as it was")
    updated = render_filled(text, targets, filled)
    if updated != text:
        backup = write_text_with_backup(path, updated)
        session.wrote(path)
        session.say(
            f"{path}: filled {len(filled)} of {len(targets)} entries (backup: {backup.name})"
        )
    return PROBLEMS if len(filled) < len({t.url for t in targets}) else OK
