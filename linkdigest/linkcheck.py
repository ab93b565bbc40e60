"""Link checking that never cries wolf: verdicts, not booleans.

Only ``dead`` fails a run, and a link is called dead only on evidence: a 404 or 410 from a
host that otherwise answers, or a host that cannot be reached at all through every retry.
Anything that might work for a reader in a browser (a bot challenge, 401/403/429/999, a
TLS problem, a timeout, a server error) is ``unverifiable``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from linkdigest.http import Fetcher, FetchResult

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


async def check_url(fetcher: Fetcher, url: str, accept: frozenset[int] = frozenset()) -> LinkCheck:
    """HEAD first; GET (reading only a little) when HEAD fails or is refused; a 404 or 410
    counts as dead only when the host's front page answers."""
    result = await fetcher.fetch(url, method="HEAD")
    if result.error not in ("", "skipped") or (result.status or 0) in HEAD_UNRELIABLE:
        result = await fetcher.fetch(url, method="GET", max_bytes=PEEK_BYTES)
    check = classify(result, accept)
    if check.verdict is Verdict.DEAD and check.status in GONE_STATUSES:
        return await _confirm_host_answers(fetcher, check)
    return check


async def _confirm_host_answers(fetcher: Fetcher, check: LinkCheck) -> LinkCheck:
    root = await fetcher.fetch(
        render_host_root(check.final_url or check.url), method="GET", max_bytes=PEEK_BYTES
    )
    if not root.error and root.status is not None and root.status < 400:
        return check
    return LinkCheck(
        check.url,
        Verdict.UNVERIFIABLE,
        f"{check.reason}, but the host's front page does not answer either",
        check.status,
        check.final_url,
    )
