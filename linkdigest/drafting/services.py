"""Services over their APIs: a self-hosted feed reader's starred entries (Miniflux's REST
API, the Google Reader API that FreshRSS and others serve) and Mastodon bookmarks or
favourites.

Tokens come from the environment, never from the settings file: each kind has a default
variable (``token_env`` names another). Every request goes through the one Fetcher. A
service that cannot be read (no token, a refused token, an error, no answer) is one Skipped
saying what to do; its entries then go through ``select_saved`` like an export's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag

from linkdigest.drafting.exports import Saved, parse_epoch, parse_iso_date, select_saved
from linkdigest.drafting.sources import (
    Month,
    Skipped,
    SourceKind,
    SourceResult,
    SourceSettings,
)
from linkdigest.fetching.extract import render_summary_cut
from linkdigest.format.text import render_plain_text
from linkdigest.format.urls import is_http_url, parse_origin
from linkdigest.net import Fetcher, FetchResult

TOKEN_ENV = {
    SourceKind.MINIFLUX: "LINKDIGEST_MINIFLUX_TOKEN",
    SourceKind.GOOGLE_READER: "LINKDIGEST_GREADER_PASSWORD",
    SourceKind.MASTODON: "LINKDIGEST_MASTODON_TOKEN",
}
WHERE_TOKENS = {  # where a person makes the token the variable must hold
    SourceKind.MINIFLUX: "an API key from Miniflux's Settings, API Keys",
    SourceKind.GOOGLE_READER: "the API password from the reader's profile (FreshRSS: "
    "Profile, API management)",
    SourceKind.MASTODON: "an access token from Preferences, Development, New application "
    "(scope read:bookmarks or read:favourites)",
}
SERVICE_NAMES = {
    SourceKind.MINIFLUX: "Miniflux",
    SourceKind.GOOGLE_READER: "the Google Reader API",
    SourceKind.MASTODON: "Mastodon",
}
MAX_PAGES = 50  # at most this many pages of one list: 5,000 Miniflux entries, 2,000 posts
MINIFLUX_PAGE = 100
GREADER_PAGE = 100
GREADER_STARRED = "reader/api/0/stream/contents/user/-/state/com.google/starred"
MASTODON_PAGE = 40  # the API's own maximum
LINK_NEXT = re.compile(r"<([^>]+)>\s*;[^,]*?\brel=\"?next\"?", re.IGNORECASE)
LABEL = re.compile(r"^user/[^/]*/label/(?P<name>.+)$")
SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


class ServiceProblem(Exception):
    """Why a service could not be read, as the message a person sees (not raised out)."""


@dataclass(frozen=True)
class Service:
    """One configured service: its settings, the token and where it came from."""

    spec: SourceSettings
    fetcher: Fetcher
    token: str
    token_env: str

    @property
    def name(self) -> str:
        return SERVICE_NAMES[self.spec.kind]

    @property
    def base(self) -> str:
        return self.spec.url.rstrip("/")


async def fetch_service_source(
    spec: SourceSettings,
    fetcher: Fetcher | None,
    month: Month,
    max_summary: int,
    environ: Mapping[str, str],
) -> SourceResult:
    """The month's entries of one service; a service that cannot be read is one Skipped."""
    token_env = spec.token_env or TOKEN_ENV[spec.kind]
    token = environ.get(token_env, "").strip()
    if not token:
        where = WHERE_TOKENS[spec.kind]
        return _skipped(spec, f"no token: set {token_env} to {where}; not read")
    if fetcher is None:
        return _skipped(spec, "offline: not read; run without --offline to include it")
    service = Service(spec, fetcher, token, token_env)
    try:
        items = await _FETCHERS[spec.kind](service, month, max_summary)
    except ServiceProblem as problem:
        return _skipped(spec, str(problem))
    return select_saved(items, spec.url, month, spec.folders)


def _skipped(spec: SourceSettings, message: str) -> SourceResult:
    return SourceResult((), (Skipped(spec.url, 0, message),))


# Answers


async def _get_json(service: Service, url: str, headers: Mapping[str, str]) -> FetchResult:
    result = await service.fetcher.fetch(url, headers={"Accept": "application/json", **headers})
    check_answer(service, result)
    return result


def check_answer(service: Service, result: FetchResult) -> None:
    """A ServiceProblem for anything but a whole 200 answer, saying what to do."""
    if result.failure is not None:
        raise ServiceProblem(
            f"{service.name} not read ({result.describe()}); check the url or try again later"
        )
    if result.status in (401, 403):
        raise ServiceProblem(
            f"{service.name} refused the token in {service.token_env} (HTTP {result.status}); "
            f"set it to {WHERE_TOKENS[service.spec.kind]}"
        )
    if result.status == 404:
        raise ServiceProblem(
            f"{service.name} answered HTTP 404 for {result.url}; check the url in "
            "[[draft.sources]] (the address of the service's API)"
        )
    if result.status != 200:
        raise ServiceProblem(f"{service.name} answered HTTP {result.status}; try again later")
    if result.truncated:
        raise ServiceProblem(
            f"{service.name}'s answer for {result.url} did not arrive whole; try again later"
        )


def parse_service_json(service: Service, result: FetchResult) -> Any:
    """The answer as JSON, or a ServiceProblem naming where it stops being JSON."""
    try:
        return json.loads(result.body.decode("utf-8", "replace"))
    except json.JSONDecodeError as error:
        raise ServiceProblem(
            f"{service.name}'s answer for {result.url} is not JSON (line {error.lineno} "
            f"column {error.colno}: {error.msg}); check the url in [[draft.sources]]"
        ) from None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _summary(html_text: object, max_summary: int) -> str:
    """Readers sanitize what they serve; a script left in is still no part of a summary."""
    text = SCRIPT.sub(" ", str(html_text or ""))
    return render_summary_cut(render_plain_text(text), max_summary)


def _too_many_pages(service: Service) -> ServiceProblem:
    return ServiceProblem(
        f"{service.name}: more than {MAX_PAGES} pages of entries; not read, unstar or "
        "unbookmark older ones"
    )


# Miniflux: GET /v1/entries?starred=true, newest first, with X-Auth-Token


async def fetch_miniflux(service: Service, month: Month, max_summary: int) -> list[Saved]:
    """Starred entries, newest first, page by page until the month is behind them."""
    items: list[Saved] = []
    for page in range(MAX_PAGES):
        query = urlencode(
            {
                "starred": "true",
                "order": "published_at",
                "direction": "desc",
                "limit": MINIFLUX_PAGE,
                "offset": page * MINIFLUX_PAGE,
            }
        )
        url = f"{service.base}/v1/entries?{query}"
        result = await _get_json(service, url, {"X-Auth-Token": service.token})
        data = parse_service_json(service, result)
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ServiceProblem(f"Miniflux's answer for {url} has no entries list")
        found = [_miniflux_entry(e, max_summary) for e in entries if isinstance(e, dict)]
        items.extend(found)
        total = data.get("total")
        done = not entries or (isinstance(total, int) and (page + 1) * MINIFLUX_PAGE >= total)
        if done or _all_before(found, month):
            return items
    raise _too_many_pages(service)


def _miniflux_entry(entry: Mapping[str, Any], max_summary: int) -> Saved:
    raw = str(entry.get("published_at") or "")
    added = parse_iso_date(raw)
    category = _dict(_dict(entry.get("feed")).get("category"))
    folder = " ".join(str(category.get("title") or "").split())
    tags = _list(entry.get("tags"))
    return Saved(
        url=str(entry.get("url") or "").strip(),
        title=" ".join(str(entry.get("title") or "").split()),
        note=_summary(entry.get("content"), max_summary),
        folders=(folder,) if folder else (),
        tags=tuple(str(t) for t in tags if str(t).strip()),
        added=added,
        date_problem="" if added else f"published_at {raw!r} is not an ISO 8601 time",
    )


def _all_before(items: Sequence[Saved], month: Month) -> bool:
    """Whether every item of a page was published before ``month`` began in its zone."""
    start = datetime(month.year, month.month, 1, tzinfo=ZoneInfo(month.zone))
    return bool(items) and all(i.added is not None and i.added < start for i in items)


# The Google Reader API (FreshRSS, Miniflux, Inoreader...): ClientLogin, then the starred
# stream page by page with its continuation


async def fetch_google_reader(service: Service, month: Month, max_summary: int) -> list[Saved]:
    auth = await fetch_greader_auth(service)
    items: list[Saved] = []
    continuation = ""
    for _ in range(MAX_PAGES):
        query = {"output": "json", "n": GREADER_PAGE} | (
            {"c": continuation} if continuation else {}
        )
        url = f"{service.base}/{GREADER_STARRED}?{urlencode(query)}"
        result = await _get_json(service, url, {"Authorization": f"GoogleLogin auth={auth}"})
        data = parse_service_json(service, result)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise ServiceProblem(f"the Google Reader API's answer for {url} has no items list")
        items.extend(_greader_item(i, max_summary) for i in data["items"] if isinstance(i, dict))
        continuation = str(data.get("continuation") or "")
        if not continuation:
            return items
    raise _too_many_pages(service)


async def fetch_greader_auth(service: Service) -> str:
    """``accounts/ClientLogin`` with the user and the API password: the ``Auth=`` token."""
    body = urlencode({"Email": service.spec.user, "Passwd": service.token}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    result = await service.fetcher.post(f"{service.base}/accounts/ClientLogin", body, headers)
    if result.status in (401, 403):
        raise ServiceProblem(
            f"the Google Reader API refused user {service.spec.user!r} with the password in "
            f"{service.token_env} (HTTP {result.status}); set it to "
            f"{WHERE_TOKENS[SourceKind.GOOGLE_READER]}"
        )
    check_answer(service, result)
    for line in result.body.decode("utf-8", "replace").splitlines():
        if line.startswith("Auth="):
            return line.removeprefix("Auth=").strip()
    raise ServiceProblem(
        f"the Google Reader API's login answer has no Auth= line; is {service.spec.url} "
        "the API's address (FreshRSS: …/api/greader.php)?"
    )


def _greader_item(item: Mapping[str, Any], max_summary: int) -> Saved:
    links = [*(item.get("canonical") or []), *(item.get("alternate") or [])]
    url = next((str(x.get("href")) for x in links if isinstance(x, dict) and x.get("href")), "")
    labels = [m["name"] for c in item.get("categories") or [] if (m := LABEL.match(str(c)))]
    raw = item.get("published")
    added = parse_epoch(raw)
    summary = _dict(item.get("summary"))
    return Saved(
        url=url.strip(),
        title=render_plain_text(str(item.get("title") or "")),
        note=_summary(summary.get("content"), max_summary),
        folders=tuple(labels[:1]),
        tags=tuple(labels[1:]),
        added=added,
        date_problem="" if added else f"published {raw!r} is not seconds since 1970",
    )


# Mastodon: GET /api/v1/bookmarks or /api/v1/favourites with a Bearer token, following
# the Link header's rel="next"


async def fetch_mastodon(service: Service, month: Month, max_summary: int) -> list[Saved]:
    url = f"{service.base}/api/v1/{service.spec.collection}?limit={MASTODON_PAGE}"
    origin = parse_origin(url)
    items: list[Saved] = []
    for _ in range(MAX_PAGES):
        result = await _get_json(service, url, {"Authorization": f"Bearer {service.token}"})
        statuses = parse_service_json(service, result)
        if not isinstance(statuses, list):
            raise ServiceProblem(f"Mastodon's answer for {url} is not a list of posts")
        items.extend(_mastodon_post(s, max_summary) for s in statuses if isinstance(s, dict))
        following = parse_link_next(result.headers.get("link", ""))
        if not statuses or not following:
            return items
        if parse_origin(following) != origin:  # the token goes to its own server only
            raise ServiceProblem(f"Mastodon's next page is on another server ({following})")
        url = following
    raise _too_many_pages(service)


def parse_link_next(header: str) -> str:
    """The ``rel="next"`` URL of a Link header (RFC 8288), or ""."""
    match = LINK_NEXT.search(header)
    return match[1].strip() if match else ""


def _mastodon_post(status: Mapping[str, Any], max_summary: int) -> Saved:
    """A post's link: its preview card's, else the first link in its text that is no
    mention or hashtag, else the post itself."""
    post = status["reblog"] if isinstance(status.get("reblog"), dict) else status
    raw = str(post.get("created_at") or "")
    added = parse_iso_date(raw)
    text = render_plain_text(str(post.get("content") or ""))
    tags = tuple(str(t.get("name")) for t in post.get("tags") or [] if isinstance(t, dict))
    url, title, note = _mastodon_link(post, text)
    return Saved(
        url=url,
        title=title,
        note=render_summary_cut(note, max_summary),
        tags=tags,
        added=added,
        date_problem="" if added else f"created_at {raw!r} is not an ISO 8601 time",
    )


def _mastodon_link(post: Mapping[str, Any], text: str) -> tuple[str, str, str]:
    card = post.get("card") if isinstance(post.get("card"), dict) else None
    if card and is_http_url(str(card.get("url") or "")):
        return str(card["url"]), " ".join(str(card.get("title") or "").split()), text
    link = _first_plain_link(str(post.get("content") or ""))
    if link:
        return link, "", text
    account = _dict(post.get("account"))
    who = str(account.get("display_name") or account.get("acct") or "").strip()
    title = f"{who}: {render_summary_cut(text, 80)}" if who else render_summary_cut(text, 80)
    return str(post.get("url") or "").strip(), title, ""


def _first_plain_link(content: str) -> str:
    soup = BeautifulSoup(content, "html.parser")
    for anchor in soup.find_all("a"):
        classes = anchor.get("class") if isinstance(anchor, Tag) else None
        names = set(classes if isinstance(classes, list) else str(classes or "").split())
        href = str(anchor.get("href", "")) if isinstance(anchor, Tag) else ""
        if not names & {"mention", "hashtag"} and is_http_url(href):
            return href
    return ""


_FETCHERS = {
    SourceKind.MINIFLUX: fetch_miniflux,
    SourceKind.GOOGLE_READER: fetch_google_reader,
    SourceKind.MASTODON: fetch_mastodon,
}
