"""Link checking that never cries wolf: verdicts, not booleans.

Only ``dead`` fails a run, and a link is called dead only on evidence: a 404 or 410 from a
host that otherwise answers, or a host that cannot be reached at all through every retry.
Anything that might work for a reader in a browser (a bot challenge, 401/403/429/999, a
TLS problem, a timeout, a server error) is ``unverifiable``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from linkdigest.cache import Cache
from linkdigest.errors import ContentError
from linkdigest.http import Fetcher, FetchResult, HttpSettings
from linkdigest.settings import parse_table

UNVERIFIABLE_STATUSES = frozenset({401, 403, 429, 999})
GONE_STATUSES = frozenset({404, 410})
HEAD_UNRELIABLE = frozenset({400, 403, 404, 405, 406, 409, 429, 500, 501, 502, 503})
TLS_ERROR = re.compile(r"ssl|certificate|tls", re.IGNORECASE)
PEEK_BYTES = 1024  # a GET reads this much, then stops: enough to see a challenge page


class Verdict(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    DEAD = "dead"
    UNVERIFIABLE = "unverifiable"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class LinkCheck:
    """The verdict on one URL, with the evidence."""

    url: str
    verdict: Verdict
    reason: str = ""
    status: int | None = None
    final_url: str = ""
    permanent: bool = False
    retry_after: float | None = None


def classify(result: FetchResult, accept: frozenset[int] = frozenset()) -> LinkCheck:
    """The verdict a single fetch supports (``dead`` for a 404 still needs the host check)."""
    if result.error:
        return _classify_error(result)
    status = result.status or 0
    if status in accept or 200 <= status < 300:
        return _answered(result, status)
    evidence = dict(status=status, final_url=result.final_url, retry_after=result.retry_after)
    if result.headers.get("cf-mitigated") or status in UNVERIFIABLE_STATUSES:
        challenge = "bot challenge" if result.headers.get("cf-mitigated") else f"HTTP {status}"
        return LinkCheck(result.url, Verdict.UNVERIFIABLE, challenge, **evidence)
    if status in GONE_STATUSES:
        return LinkCheck(result.url, Verdict.DEAD, f"HTTP {status}", **evidence)
    return LinkCheck(result.url, Verdict.UNVERIFIABLE, f"HTTP {status}", **evidence)


def _answered(result: FetchResult, status: int) -> LinkCheck:
    if not result.redirects:
        return LinkCheck(result.url, Verdict.OK, status=status, final_url=result.final_url)
    permanent = result.permanent_redirect is not None
    kind = "permanent" if permanent else "temporary"
    return LinkCheck(
        result.url,
        Verdict.REDIRECTED,
        f"{kind} redirect to {result.final_url}",
        status,
        result.final_url,
        permanent,
    )


def _classify_error(result: FetchResult) -> LinkCheck:
    reason = f"{result.error}: {result.detail}" if result.detail else result.error
    if result.error == "skipped":
        return LinkCheck(result.url, Verdict.SKIPPED, result.detail)
    if result.error == "connection error" and not TLS_ERROR.search(result.detail):
        # The fetcher already retried with backoff: a host that refuses or does not resolve
        # every time is dead for readers too.
        return LinkCheck(result.url, Verdict.DEAD, reason, final_url=result.final_url)
    # Timeouts, TLS trouble and redirect loops (often a cookie check a browser would pass).
    return LinkCheck(result.url, Verdict.UNVERIFIABLE, reason, final_url=result.final_url)


def render_host_root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


class FrontPages:
    """Whether each host's front page answers: asked once per run and host, however many
    of the host's links turn out to be 404s."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.asked: dict[str, asyncio.Future[bool]] = {}

    async def answers(self, url: str) -> bool:
        root = render_host_root(url)
        if root not in self.asked:
            self.asked[root] = asyncio.ensure_future(self._ask(root))
        return await self.asked[root]

    async def _ask(self, root: str) -> bool:
        result = await self.fetcher.fetch(root, method="GET", max_bytes=PEEK_BYTES)
        return not result.error and result.status is not None and result.status < 400


async def check_url(
    fetcher: Fetcher,
    url: str,
    accept: frozenset[int] = frozenset(),
    front_pages: FrontPages | None = None,
    head_first: bool = True,
) -> LinkCheck:
    """HEAD first (unless ``head_first`` is off); GET, reading only a little, when HEAD fails
    or is refused; a 404 or 410 counts as dead only when the host's front page answers."""
    result = await fetcher.fetch(url, method="HEAD") if head_first else None
    if (
        result is None
        or result.error not in ("", "skipped")
        or ((result.status or 0) in HEAD_UNRELIABLE)
    ):
        result = await fetcher.fetch(url, method="GET", max_bytes=PEEK_BYTES)
    check = classify(result, accept)
    if check.verdict is Verdict.DEAD and check.status in GONE_STATUSES:
        front = front_pages or FrontPages(fetcher)
        if not await front.answers(check.final_url or check.url):
            return replace(
                check,
                verdict=Verdict.UNVERIFIABLE,
                reason=f"{check.reason}, but the host's front page does not answer either",
            )
    return check


FAILED = frozenset({Verdict.DEAD, Verdict.UNVERIFIABLE})
REUSABLE = frozenset({Verdict.OK, Verdict.REDIRECTED})


@dataclass(frozen=True)
class CheckOptions:
    """How a run treats the cache and failures (the ``[links]`` settings table)."""

    ok_ttl: float = 86400.0  # seconds an ok or redirected result is reused
    cool_down: float = 5.0  # seconds before failures are confirmed
    archive_api: str = "https://archive.org/wayback/available"  # availability API


def parse_check_options(data: Mapping[str, Any], source: str = "<settings>") -> CheckOptions:
    """Options from the parsed settings file's ``[links]`` table."""
    values = parse_table(data.get("links", {}), CheckOptions, source, "links")
    for key, value in values.items():
        if isinstance(value, int | float) and value < 0:
            raise ContentError(source, None, f"[links] {key} must be a number >= 0")
    return CheckOptions(**values)


def render_confirm_settings(settings: HttpSettings) -> HttpSettings:
    """The same settings with one request at a time per host, for confirmation."""
    one = {name: replace(policy, concurrency=1) for name, policy in settings.hosts.items()}
    return replace(settings, default_host=replace(settings.default_host, concurrency=1), hosts=one)


async def check_many(
    fetcher: Fetcher,
    confirm: Fetcher,
    urls: Iterable[str],
    cache: Cache,
    options: CheckOptions = CheckOptions(),
    progress: Callable[[LinkCheck], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[str, LinkCheck]:
    """The verdict on every unique URL: each requested once, cached ok results reused,
    every failure re-checked after a cool-down through ``confirm`` (one request at a time
    per host) and only then recorded, with its history, in ``cache``."""
    unique = list(dict.fromkeys(urls))
    results = {url: cached for url in unique if (cached := _cached(cache, url, options))}
    todo = [url for url in unique if url not in results]
    front = FrontPages(fetcher)
    first = await asyncio.gather(*(_checked(fetcher, url, front, progress) for url in todo))
    failed = [check for check in first if check.verdict in FAILED]
    if failed:
        await sleep(_cool_down(failed, options, fetcher.settings))
        again = FrontPages(confirm)
        # A failure is never a HEAD-only answer worth repeating: confirm with GET directly.
        confirmed = await asyncio.gather(
            *(
                check_url(confirm, c.url, _accept(confirm, c.url), again, head_first=False)
                for c in failed
            )
        )
        first = [c for c in first if c.verdict not in FAILED]
        first += [
            render_confirmed(before, after) for before, after in zip(failed, confirmed, strict=True)
        ]
    for check in first:
        _remember(cache, check)
        results[check.url] = check
    return {url: results[url] for url in unique}


def render_confirmed(before: LinkCheck, after: LinkCheck) -> LinkCheck:
    """The confirmation decides, except that dead needs both passes to agree."""
    if after.verdict is Verdict.DEAD and before.verdict is not Verdict.DEAD:
        return replace(
            after, verdict=Verdict.UNVERIFIABLE, reason=f"{after.reason} (only on the second try)"
        )
    return after


async def _checked(
    fetcher: Fetcher,
    url: str,
    front: FrontPages,
    progress: Callable[[LinkCheck], None] | None,
) -> LinkCheck:
    check = await check_url(fetcher, url, _accept(fetcher, url), front)
    if progress:
        progress(check)
    return check


def _accept(fetcher: Fetcher, url: str) -> frozenset[int]:
    return frozenset(fetcher.settings.policy_for(urlsplit(url).hostname or "").accept)


def _cool_down(failed: list[LinkCheck], options: CheckOptions, settings: HttpSettings) -> float:
    asked = max((c.retry_after or 0.0 for c in failed), default=0.0)
    return min(max(options.cool_down, asked), max(options.cool_down, settings.retry_after_cap))


def _cached(cache: Cache, url: str, options: CheckOptions) -> LinkCheck | None:
    value = cache.get(url, options.ok_ttl)
    if not value or value.get("verdict") not in REUSABLE:
        return None
    return LinkCheck(
        url,
        Verdict(value["verdict"]),
        value.get("reason", ""),
        value.get("status"),
        value.get("final_url", ""),
        bool(value.get("permanent")),
    )


def _remember(cache: Cache, check: LinkCheck, now: float | None = None) -> None:
    if check.verdict is Verdict.SKIPPED:
        return
    moment = now or time.time()
    previous = cache.entries.get(cache.key(check.url), {}).get("value", {})
    failing = check.verdict in FAILED
    cache.put(
        check.url,
        {
            "verdict": check.verdict.value,
            "reason": check.reason,
            "status": check.status,
            "final_url": check.final_url,
            "permanent": check.permanent,
            "first_failure": (previous.get("first_failure") or moment) if failing else None,
            "consecutive_failures": previous.get("consecutive_failures", 0) + 1 if failing else 0,
        },
        moment,
    )


def read_history(cache: Cache, url: str) -> tuple[float | None, int]:
    """(first failure time, consecutive failed runs) recorded for ``url``."""
    value = cache.entries.get(cache.key(url), {}).get("value", {})
    return value.get("first_failure"), int(value.get("consecutive_failures", 0))
