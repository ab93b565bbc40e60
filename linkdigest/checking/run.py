"""A link check, as one call: places in (links and the file:line each is written at), a
CheckReport out. ``make links`` and the publish gate both call ``check_places``, so both
check the same things the same way: http(s) links over the network, ``{static}`` and
``{filename}`` references on disk, ``mailto:``/``tel:`` by their syntax.

Over the network each unique URL is asked once (HEAD first, unless its host refused HEAD
lately), ok verdicts are reused from the cache for ``ok_ttl``, and a failure is looked at a
second time before it counts: after a cool-down in this run, or by this run itself when an
earlier run saw it fail. What the run learns of hosts (refused HEAD, rate limits, that they
answer) goes into the cache for the next run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from linkdigest.checking.cache import LinkCache
from linkdigest.checking.gitdiff import read_added_lines
from linkdigest.checking.internal import check_internal_links, read_external_links
from linkdigest.checking.places import LinkRef, read_content_links
from linkdigest.checking.report import CheckReport, check_syntax_only, collect_findings
from linkdigest.checking.verdicts import (
    FAILED,
    REUSABLE,
    CheckOptions,
    LinkCheck,
    Verdict,
    check_from_record,
    fetch_check,
    record_of,
    settle_second_look,
    weigh_evidence,
    weigh_persistence,
)
from linkdigest.files import read_content_text
from linkdigest.format.digest import parse_front_matter
from linkdigest.format.urls import is_http_url, parse_scheme_host
from linkdigest.net import Fetcher, HttpSettings
from linkdigest.site.references import find_missing_references

Progress = Callable[[LinkCheck], None]
DEFAULT_OPTIONS = CheckOptions()
CANARIES = 3  # cached working links asked again when nothing else shows the network works


@dataclass(frozen=True)
class BuiltSite:
    """A built site whose own links are checked too: internal links and #fragments, and
    the external links only the theme or the build adds (a written link is reported at
    its file:line, not at every page that shows it). ``pages``: the pages to look at (paths
    below ``output``; default every HTML file in it)."""

    output: Path
    site_url: str = ""
    pages: frozenset[str] | None = None


def read_check_places(
    content: Path,
    files: Sequence[Path] | None = None,
    *,
    drafts_only: bool = False,
    since: str | None = None,
) -> list[LinkRef]:
    """The places to check: every link written in ``files`` (default: every Markdown file
    under ``content``), of drafts only, or only on lines added since a git revision."""
    chosen = sorted(content.rglob("*.md")) if files is None else list(files)
    if drafts_only:
        chosen = [path for path in chosen if _is_draft(path)]
    places = read_content_links(chosen)
    if since:
        added = read_added_lines(since, content)
        places = [ref for ref in places if _added(ref, added)]
    return places


def _is_draft(path: Path) -> bool:
    front = parse_front_matter(read_content_text(path).splitlines())
    return front.metadata.get("status", "").strip().lower() == "draft"


def _added(ref: LinkRef, added: Mapping[str, set[int] | None]) -> bool:
    key = str(Path(ref.path).resolve())
    return key in added and (added[key] is None or ref.line in (added[key] or ()))


async def check_places(
    places: Sequence[LinkRef],
    http: HttpSettings,
    cache: LinkCache,
    options: CheckOptions = DEFAULT_OPTIONS,
    *,
    content: Path | None = None,
    site: BuiltSite | None = None,
    progress: Progress | None = None,
    backend: object | None = None,
    fetcher: Fetcher | None = None,
) -> CheckReport:
    """Check every link of ``places`` (and of ``site``, when given): local verdicts from
    disk and syntax, network verdicts through one Fetcher: ``fetcher`` when the caller
    has one (it stays open), else one built here at the paces ``cache`` remembers."""
    local, extra = check_local(places, content, site)
    every = list(dict.fromkeys([*places, *extra]))  # a reference can be both
    urls = [ref.url for ref in every if is_http_url(ref.url) and ref.url not in local]
    if fetcher is not None:
        checks = await check_urls(fetcher, urls, cache, options, progress)
    else:
        own = Fetcher(http, backend=backend, pacing=cache.paces(time.time()))  # type: ignore[arg-type]
        async with own:
            checks = await check_urls(own, urls, cache, options, progress)
    checks.update(local)
    return CheckReport(checks, collect_findings(checks, every))


def check_local(
    places: Sequence[LinkRef], content: Path | None, site: BuiltSite | None
) -> tuple[dict[str, LinkCheck], list[LinkRef]]:
    """Verdicts that need no network: intrasite references, mailto/tel, the built site."""
    checks: dict[str, LinkCheck] = {}
    extra: list[LinkRef] = []
    for path in sorted({Path(ref.path) for ref in places if ref.path.endswith(".md")}):
        text = read_content_text(path)
        for missing in find_missing_references(text, str(path), str(content or path.parent)):
            url = f"{{{missing.kind}}}{missing.path}"
            checks[url] = LinkCheck(url, Verdict.DEAD, "file does not exist")
            extra.append(LinkRef(url, str(path), missing.line))
    for ref in places:
        if ref.url.lower().startswith(("mailto:", "tel:")):
            checks[ref.url] = check_syntax_only(ref.url)
    if site is not None:
        for broken in check_internal_links(site.output, site.site_url, site.pages):
            checks[broken.url] = LinkCheck(broken.url, Verdict.DEAD, broken.reason)
            extra.append(LinkRef(broken.url, str(site.output / broken.page), 0))
        written = {ref.url for ref in places}
        extra += [
            LinkRef(url, str(site.output / page), 0)
            for page, url in read_external_links(site.output, site.site_url, site.pages)
            if url not in written
        ]
    return checks, extra


async def check_urls(
    fetcher: Fetcher,
    urls: Iterable[str],
    cache: LinkCache,
    options: CheckOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    now: float | None = None,
) -> dict[str, LinkCheck]:
    """The verdict on every unique URL, with the evidence of the whole run weighed, each
    recorded in ``cache`` with its history."""
    moment = time.time() if now is None else now
    unique = list(dict.fromkeys(urls))
    results = {url: check for url in unique if (check := _reusable(cache, url, options, moment))}
    # Links that failed last time go first: the second looks of new failures then overlap.
    todo = sorted((u for u in unique if u not in results), key=lambda u: not _failed(cache, u))
    run = _Run(fetcher, cache, options, progress, sleep, moment)
    checks = list(await asyncio.gather(*(run.check(url) for url in todo)))
    checks = await run.weigh(checks)
    for check in checks:
        results[check.url] = check
    run.remember(checks)
    return {url: results[url] for url in unique}


class _Run:
    """One run of ``check_urls``: a few URLs per host admitted at a time to the first look
    (so a second look waits behind a handful of requests, not behind the host's whole
    list), each failure's second look, and what the run learns of each host."""

    def __init__(
        self,
        fetcher: Fetcher,
        cache: LinkCache,
        options: CheckOptions,
        progress: Progress | None,
        sleep: Callable[[float], Awaitable[None]],
        now: float,
    ) -> None:
        self.fetcher = fetcher
        self.cache = cache
        self.options = options
        self.progress = progress
        self.sleep = sleep
        self.now = now
        self.get_first = cache.head_refusers(now)
        self.admitted: dict[str, asyncio.Semaphore] = {}

    async def check(self, url: str) -> LinkCheck:
        host = _host(url)
        accept = frozenset(self.fetcher.settings.policy_for(host).accept)
        async with self._admission(host):
            check = await fetch_check(self.fetcher, url, accept, host not in self.get_first)
        failed_at = self.fetcher.clock()
        if check.head_refused:
            self.get_first.add(host)
        if check.verdict in FAILED and not self._seen_failing_before(url):
            await self.sleep(self._cool_down(check))
            after = await fetch_check(self.fetcher, url, accept, again_since=failed_at)
            check = replace(settle_second_look(check, after), head_refused=check.head_refused)
        if self.progress:
            self.progress(check)
        return check

    def _seen_failing_before(self, url: str) -> bool:
        """An earlier run saw this URL fail, at least a cool-down ago: this run's answer is
        the second look (a re-run need not wait out a cool-down for every old failure)."""
        record = self.cache.record(url)
        return bool(
            record and record.failed and self.now - record.checked_at >= self.options.cool_down
        )

    def _cool_down(self, check: LinkCheck) -> float:
        settings = self.fetcher.settings
        asked = check.retry_after or 0.0
        cool = self.options.cool_down
        return min(max(cool, asked), max(cool, settings.retry_after_cap))

    def _admission(self, host: str) -> asyncio.Semaphore:
        if host not in self.admitted:
            # Twice the host's limit: a link waiting out a backoff leaves another ready to
            # use the slot.
            size = 2 * self.fetcher.settings.policy_for(host).concurrency
            self.admitted[host] = asyncio.Semaphore(size)
        return self.admitted[host]

    async def weigh(self, checks: list[LinkCheck]) -> list[LinkCheck]:
        """The run's evidence applied to each verdict: whether the network works, which
        hosts answer, and how long a failure has lasted."""
        works = _network_works(checks) or await self._canaries_answer(checks)
        answered = {_host(c.final_url or c.url) for c in checks if c.answered}
        weighed = []
        for check in checks:
            host = _host(check.url)
            last = self.now if host in answered else self._answered_lately(host)
            check = weigh_evidence(check, network_works=works, answered_at=last)
            previous = self.cache.record(check.url)
            weighed.append(weigh_persistence(check, previous, self.options.dead_after, self.now))
        return weighed

    def _answered_lately(self, host: str) -> float | None:
        moment = self.cache.answered_at(host)
        if moment is None or self.now - moment > self.options.ok_ttl:
            return None
        return moment

    async def _canaries_answer(self, checks: list[LinkCheck]) -> bool:
        """When no host on the internet answered this run but some could not be reached
        (a re-run asks only old failures): ask a few links that worked lately, once."""
        if not any(c.failure and c.failure.connects and not c.loopback for c in checks):
            return False
        asked = {c.url for c in checks}
        canaries = [
            url
            for url, value in self.cache.urls.items()
            if value.get("verdict") in REUSABLE and url not in asked and is_http_url(url)
        ][:CANARIES]
        results = await asyncio.gather(
            *(self.fetcher.fetch(url, method="HEAD", fresh_after=0.0) for url in canaries)
        )
        return any(r.status is not None and not r.loopback for r in results)

    def remember(self, checks: list[LinkCheck]) -> None:
        now = self.now
        for check in checks:
            if check.verdict is Verdict.SKIPPED:
                continue
            self.cache.put(check.url, record_of(check, now))
            host = _host(check.final_url or check.url)
            if check.answered:
                self.cache.note_host(host, answered_at=now)
            if check.head_refused:
                self.cache.note_host(_host(check.url), head_refused_at=now)
        for host, pace in self.fetcher.paces().items():
            self.cache.note_host(host, pace=[pace.concurrency, pace.delay], paced_at=now)


def _network_works(checks: Iterable[LinkCheck]) -> bool:
    """Some host on the internet gave an HTTP answer (this machine's hosts do not count:
    they answer with the network down)."""
    return any(c.answered and not c.loopback for c in checks)


def _reusable(cache: LinkCache, url: str, options: CheckOptions, now: float) -> LinkCheck | None:
    record = cache.record(url)
    if record is None or record.verdict not in REUSABLE or now - record.checked_at > options.ok_ttl:
        return None
    return check_from_record(url, record)


def _failed(cache: LinkCache, url: str) -> bool:
    record = cache.record(url)
    return bool(record and record.failed)


def _host(url: str) -> str:
    return parse_scheme_host(url)[1]
