"""Verdicts, not booleans: what one answer (or no answer) says of a link, on evidence.

Only ``dead`` fails a run, and a link is called dead only on evidence that holds on a
re-run: a 404 or 410 (an HTTP answer: its host is up) seen twice, a cool-down or a run
apart; a host that cannot be reached when the network demonstrably works (or that is this
very machine); or a server error or redirect loop that has persisted across runs for
``dead_after``. A status below 400 is proof of life whatever the body does after it.
Anything that might work for a reader in a browser (a bot challenge, 401/403/429/999, a TLS
problem, a timeout, a passing server error) is ``unverifiable``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from linkdigest.checking.cache import UrlRecord
from linkdigest.errors import ConfigError
from linkdigest.net import FailureKind, Fetcher, FetchResult
from linkdigest.net.fetcher import HOST_BUSY_STATUSES
from linkdigest.settings import parse_table

UNVERIFIABLE_STATUSES = frozenset({401, 403, 429, 999})
GONE_STATUSES = frozenset({404, 410})
HEAD_UNRELIABLE = frozenset({400, 403, 404, 405, 406, 409, 429, 500, 501, 502, 503})
PEEK_BYTES = 1024  # a GET reads this much, then stops: the status is what matters
HEAD_REFUSED = frozenset({405, 501})  # "not allowed", "not implemented": the method itself
# Failures that say something of the link when they last: they become dead after dead_after.
PERSISTENT_FAILURES = frozenset({FailureKind.REDIRECT_LOOP, FailureKind.TOO_MANY_REDIRECTS})
DAY = 86400.0


class Verdict(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    DEAD = "dead"
    UNVERIFIABLE = "unverifiable"
    SKIPPED = "skipped"


FAILED = frozenset({Verdict.DEAD, Verdict.UNVERIFIABLE})
REUSABLE = frozenset({Verdict.OK, Verdict.REDIRECTED})


@dataclass(frozen=True)
class LinkCheck:
    """The verdict on one URL, with the evidence: the answer's status or failure, whether
    its host is this machine, and for a failure that persists, since when and how often."""

    url: str
    verdict: Verdict
    reason: str = ""
    status: int | None = None
    final_url: str = ""
    permanent: bool = False
    retry_after: float | None = None
    head_refused: bool = False  # HEAD was refused, or GET contradicted it: use GET here
    failure: FailureKind | None = None
    loopback: bool = False
    since: float | None = None  # when this kind of failure was first seen (earlier runs)
    runs: int = 0  # runs in a row that saw it, this one included

    @property
    def answered(self) -> bool:
        """The host gave an HTTP answer (of any status)."""
        return self.status is not None


@dataclass(frozen=True)
class CheckOptions:
    """How a run treats the cache and failures (the ``[links]`` settings table)."""

    ok_ttl: float = 86400.0  # seconds an ok or redirected result is reused
    cool_down: float = 5.0  # seconds before a failure is looked at once more
    dead_after: float = 3 * DAY  # a server error or loop lasting this long is dead
    archive_api: str = "https://archive.org/wayback/available"  # availability API


def parse_check_options(data: Mapping[str, Any], source: str = "<settings>") -> CheckOptions:
    """Options from the parsed settings file's ``[links]`` table."""
    values = parse_table(data.get("links", {}), CheckOptions, source, "links")
    for key, value in values.items():
        if isinstance(value, int | float) and value < 0:
            raise ConfigError(source, None, f"[links] {key} must be a number >= 0")
    return CheckOptions(**values)


def judge_answer(result: FetchResult, accept: frozenset[int] = frozenset()) -> LinkCheck:
    """The verdict one fetch supports, before the evidence of the run is weighed (a host
    that could not be reached is provisionally dead: see ``weigh_evidence``)."""
    if result.failure is not None:
        return _failed(result)
    status = result.status or 0
    if status in accept or 200 <= status < 300:
        return _answered(result, status)
    evidence: dict[str, Any] = {
        "status": status,
        "final_url": result.final_url,
        "retry_after": result.retry_after,
        "loopback": result.loopback,
    }
    if result.headers.get("cf-mitigated") or status in UNVERIFIABLE_STATUSES:
        challenge = "bot challenge" if result.headers.get("cf-mitigated") else f"HTTP {status}"
        return LinkCheck(result.url, Verdict.UNVERIFIABLE, challenge, **evidence)
    if status in GONE_STATUSES:
        return LinkCheck(result.url, Verdict.DEAD, f"HTTP {status}", **evidence)
    return LinkCheck(result.url, Verdict.UNVERIFIABLE, f"HTTP {status}", **evidence)


def _answered(result: FetchResult, status: int) -> LinkCheck:
    evidence = {"status": status, "final_url": result.final_url, "loopback": result.loopback}
    if not result.redirects:
        return LinkCheck(result.url, Verdict.OK, **evidence)  # type: ignore[arg-type]
    permanent = result.permanent_redirect is not None
    kind = "permanent" if permanent else "temporary"
    return LinkCheck(
        result.url,
        Verdict.REDIRECTED,
        f"{kind} redirect to {result.final_url}",
        permanent=permanent,
        **evidence,  # type: ignore[arg-type]
    )


def _failed(result: FetchResult) -> LinkCheck:
    failure = result.failure
    common: dict[str, Any] = {
        "final_url": result.final_url,
        "failure": failure,
        "loopback": result.loopback,
    }
    if failure is FailureKind.SKIPPED:
        return LinkCheck(result.url, Verdict.SKIPPED, result.detail, failure=failure)
    if failure is not None and failure is not FailureKind.TLS and failure.connects:
        return LinkCheck(result.url, Verdict.DEAD, result.describe(), **common)
    if failure is FailureKind.INVALID_URL:
        return LinkCheck(result.url, Verdict.DEAD, result.describe(), **common)
    # Timeouts, TLS trouble, broken answers and redirect loops (often a cookie check that
    # a browser would pass): nothing a reader could not get past.
    return LinkCheck(result.url, Verdict.UNVERIFIABLE, result.describe(), **common)


def render_failure_kind(check: LinkCheck) -> str:
    """The kind of failure, as a failure's history groups it ("" when the link works):
    a later failure of another kind starts a new history."""
    if check.verdict not in FAILED:
        return ""
    if check.failure is not None:
        return check.failure.value
    status = check.status or 0
    return f"HTTP {status // 100}xx" if status >= 500 else f"HTTP {status}"


def is_persistent_kind(check: LinkCheck) -> bool:
    """A failure that becomes dead when it lasts: a server error, a redirect loop."""
    return check.failure in PERSISTENT_FAILURES or (
        check.failure is None and (check.status or 0) >= 500
    )


def weigh_persistence(
    check: LinkCheck, previous: UrlRecord | None, dead_after: float, now: float
) -> LinkCheck:
    """``check`` with its history; a server error or loop seen on every run for at least
    ``dead_after`` seconds becomes dead, saying since when."""
    kind = render_failure_kind(check)
    if not kind:
        return check
    same = previous is not None and previous.failure == kind and previous.first_failure is not None
    since = previous.first_failure if same and previous else now
    runs = (previous.failed_runs if same and previous else 0) + 1
    check = replace(check, since=since, runs=runs)
    lasted = since is not None and now - since >= dead_after
    if check.verdict is Verdict.UNVERIFIABLE and is_persistent_kind(check) and runs > 1 and lasted:
        return replace(
            check,
            verdict=Verdict.DEAD,
            reason=f"{check.reason} on every check since {_day(since or now)} ({runs} runs)",
        )
    return check


def weigh_evidence(
    check: LinkCheck, *, network_works: bool, answered_at: float | None
) -> LinkCheck:
    """A host that could not be reached is dead only on evidence: it is this machine (no
    network needed to reach it), or the network works (another host on the internet
    answered) and this host has not answered lately (``answered_at``: when it last did)."""
    if check.verdict is not Verdict.DEAD or check.failure is None or not check.failure.connects:
        return check
    if check.loopback:
        return check
    if answered_at is not None:
        return replace(
            check,
            verdict=Verdict.UNVERIFIABLE,
            reason=f"{check.reason}; the host answered on {_day(answered_at)}: try again later",
        )
    if network_works:
        return check
    return replace(
        check,
        verdict=Verdict.UNVERIFIABLE,
        reason=f"{check.reason}; no host on the internet answered: this machine looks offline",
    )


def settle_second_look(before: LinkCheck, after: LinkCheck) -> LinkCheck:
    """The second look decides, except that dead needs both looks to agree."""
    if after.verdict is Verdict.DEAD and before.verdict is not Verdict.DEAD:
        return replace(
            after, verdict=Verdict.UNVERIFIABLE, reason=f"{after.reason} (only on the second try)"
        )
    return after


def record_of(check: LinkCheck, now: float) -> UrlRecord:
    """What the cache keeps of ``check`` for the next run."""
    return UrlRecord(
        verdict=check.verdict.value,
        reason=check.reason,
        status=check.status,
        final_url=check.final_url,
        permanent=check.permanent,
        checked_at=now,
        failure=render_failure_kind(check),
        first_failure=check.since if check.verdict in FAILED else None,
        failed_runs=check.runs if check.verdict in FAILED else 0,
    )


def check_from_record(url: str, record: UrlRecord) -> LinkCheck:
    return LinkCheck(
        url,
        Verdict(record.verdict),
        record.reason,
        record.status,
        record.final_url,
        record.permanent,
    )


async def fetch_check(
    fetcher: Fetcher,
    url: str,
    accept: frozenset[int] = frozenset(),
    head_first: bool = True,
    again_since: float | None = None,
) -> LinkCheck:
    """What the URL's own answer says: HEAD first (unless ``head_first`` is off); GET,
    reading only a little, when HEAD fails or is refused. ``again_since``: a second look at
    a failure at that time (``fetcher.clock``), asked anew with GET alone, before the
    host's waiting requests."""
    again = again_since is not None
    head = None
    if head_first and not again:
        head = await fetcher.fetch(url, method="HEAD")
    result = head
    if head is None or (
        not head.headers.get("cf-mitigated")  # a challenge meets GET just the same
        and head.status != 429  # and so does a rate limit
        and (
            head.failure not in (None, FailureKind.SKIPPED) or (head.status or 0) in HEAD_UNRELIABLE
        )
    ):
        result = await fetcher.fetch(
            url, method="GET", max_bytes=PEEK_BYTES, urgent=again, fresh_after=again_since
        )
    assert result is not None  # HEAD was asked, or GET was
    check = judge_answer(result, accept)
    if head is not None and head is not result and head_contradicted(head, result):
        check = replace(check, head_refused=True)
    return check


def head_contradicted(head: FetchResult, get: FetchResult) -> bool:
    """Whether a host's HEAD answers are not to be trusted: it refused the method, or GET
    answered the same URL otherwise. (A rate limit or an overload says nothing of HEAD.)"""
    if head.status in HEAD_REFUSED:
        return True
    if head.status in HOST_BUSY_STATUSES or get.status in HOST_BUSY_STATUSES:
        return False
    return (head.status, head.failure) != (get.status, get.failure)


def _day(moment: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(moment))
