# ruff: noqa: RUF001 (typographic apostrophes are part of the fixtures' text)
"""Services over their APIs, against local stand-ins that speak the documented API and fail
on anything else: Miniflux, the Google Reader API (as FreshRSS serves it), Mastodon."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from linkdigest.drafting import services
from linkdigest.drafting.gather import read_sources
from linkdigest.drafting.services import parse_link_next
from linkdigest.drafting.sources import SourceKind, SourceResult, SourceSettings, parse_month
from linkdigest.net import Fetcher, HostPolicy, HttpSettings
from tests.servers import LocalServer, Reply, Seen, start_servers

FIXTURES = Path(__file__).parent / "fixtures" / "draft" / "services"
NOVEMBER = parse_month("2026-11", "Europe/Berlin")
HTTP = HttpSettings(retries=0, deadline=1.0, default_host=HostPolicy(delay=0.0))
TOKEN = "s3cret-token"
JSON = {"Content-Type": "application/json"}

Handler = Callable[[Seen, str, Mapping[str, list[str]]], Reply | None]


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def serve(server: LocalServer, handler: Handler) -> None:
    """Every request goes to ``handler`` with its path and query; None is unexpected."""

    def route(seen: Seen) -> Reply | None:
        parts = urlsplit(seen.path)
        return handler(seen, parts.path, parse_qs(parts.query))

    server.default = route  # type: ignore[assignment]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    for (one,) in start_servers(["127.0.0.9"]):
        yield one


def read(
    spec: SourceSettings, environ: Mapping[str, str] | None = None, online: bool = True
) -> SourceResult:
    env = {"LINKDIGEST_MINIFLUX_TOKEN": TOKEN, "LINKDIGEST_GREADER_PASSWORD": TOKEN}
    env |= {"LINKDIGEST_MASTODON_TOKEN": TOKEN}
    env = env if environ is None else dict(environ)

    async def run() -> SourceResult:
        if not online:
            return await read_sources([spec], Path("."), NOVEMBER, None, environ=env)
        async with Fetcher(HTTP) as fetcher:
            return await read_sources([spec], Path("."), NOVEMBER, fetcher, environ=env)

    return asyncio.run(run())


def rows(result: SourceResult) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    return [(c.url, c.title, c.note, c.section_hint, c.tags) for c in result.candidates]


def problems(result: SourceResult) -> list[str]:
    return [f"{s.where}: {s.message}" for s in result.skipped]


# Miniflux


def miniflux(seen: Seen, path: str, query: Mapping[str, list[str]]) -> Reply | None:
    if seen.headers.get("X-Auth-Token") != TOKEN:
        return Reply(401, JSON, b'{"error_message":"access unauthorized"}')
    if path != "/v1/entries" or query.get("starred") != ["true"]:
        return None
    if query.get("order") != ["published_at"] or query.get("direction") != ["desc"]:
        return None
    page = {"0": "miniflux-page1.json", "2": "miniflux-page2.json", "4": "miniflux-page3.json"}
    name = page.get(query.get("offset", [""])[0])
    return Reply(headers=JSON, body=body(name)) if name else None


@pytest.fixture
def miniflux_server(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    monkeypatch.setattr(services, "MINIFLUX_PAGE", 2)  # three pages of the fixture's seven
    serve(server, miniflux)
    return server


def test_miniflux_starred_entries_of_the_month(miniflux_server: LocalServer) -> None:
    spec = SourceSettings(SourceKind.MINIFLUX, url=miniflux_server.url("/"))
    result = read(spec)
    assert rows(result) == [
        (
            "https://web.example.org/2026/11/feeds-still-matter",
            "Feeds still matter",
            "RSS is fine .",  # the script is no part of it
            "",
            ("Web", "rss"),
        ),
        (
            "https://blog.example.net/2026/11/async-is-hard?utm_source=miniflux",
            "Why async is hard & what to do",
            "A long look at async Python.",
            "",
            ("Python", "python"),
        ),
        (
            "https://web.example.org/first-of-november",
            "Saved at 00:30 in Berlin on 1 November",
            "",
            "",
            ("Web",),
        ),
    ]
    assert result.candidates[1].date == datetime(2026, 11, 3, 14, 5, tzinfo=UTC)
    assert result.skipped == ()
    # the third page is all October: no fourth page is asked for
    offsets = [parse_qs(urlsplit(s.path).query)["offset"] for s in miniflux_server.seen]
    assert offsets == [["0"], ["2"], ["4"]]
    assert miniflux_server.unexpected == []


def test_miniflux_categories_as_folders(miniflux_server: LocalServer) -> None:
    spec = SourceSettings(SourceKind.MINIFLUX, url=miniflux_server.url(""), folders=("Python",))
    assert [c.url for c in read(spec).candidates] == [
        "https://blog.example.net/2026/11/async-is-hard?utm_source=miniflux"
    ]


def test_missing_token_names_the_variable_and_asks_nothing(miniflux_server: LocalServer) -> None:
    spec = SourceSettings(SourceKind.MINIFLUX, url=miniflux_server.url("/"))
    result = read(spec, environ={})
    assert problems(result) == [
        f"{miniflux_server.url('/')}: no token: set LINKDIGEST_MINIFLUX_TOKEN to an API key "
        "from Miniflux's Settings, API Keys; not read"
    ]
    assert miniflux_server.seen == []


def test_token_env_picks_another_variable(miniflux_server: LocalServer) -> None:
    spec = SourceSettings(SourceKind.MINIFLUX, url=miniflux_server.url(), token_env="WORK_TOKEN")
    assert len(read(spec, environ={"WORK_TOKEN": TOKEN}).candidates) == 3
    refused = read(spec, environ={"WORK_TOKEN": "old"})
    assert problems(refused) == [
        f"{miniflux_server.url()}: Miniflux refused the token in WORK_TOKEN (HTTP 401); set it "
        "to an API key from Miniflux's Settings, API Keys"
    ]


def test_offline_asks_no_service(miniflux_server: LocalServer) -> None:
    spec = SourceSettings(SourceKind.MINIFLUX, url=miniflux_server.url())
    result = read(spec, online=False)
    assert problems(result) == [
        f"{miniflux_server.url()}: offline: not read; run without --offline to include it"
    ]
    assert miniflux_server.seen == []


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(500, JSON, b'{"error_message":"db down"}'),
            "Miniflux answered HTTP 500; try again later",
        ),
        (
            Reply(200, JSON, b'{"total": 1, "entries": [{"id": 1,'),
            "Miniflux's answer for URL is not JSON (line 1 column 35: Expecting property name "
            "enclosed in double quotes); check the url in [[draft.sources]]",
        ),
        (
            Reply(404, {}, b"404 page not found"),
            "Miniflux answered HTTP 404 for URL; check the url in [[draft.sources]] (the "
            "address of the service's API)",
        ),
        (Reply(200, JSON, b'{"total": 0}'), "Miniflux's answer for URL has no entries list"),
    ],
)
def test_miniflux_errors_are_one_clear_line(
    server: LocalServer, reply: Reply, message: str
) -> None:
    serve(server, lambda seen, path, query: reply if path == "/v1/entries" else None)
    result = read(SourceSettings(SourceKind.MINIFLUX, url=server.url()))
    asked = server.url("/v1/entries") + "?" + urlsplit(server.seen[0].path).query
    assert problems(result) == [f"{server.url()}: {message.replace('URL', asked)}"]
    assert result.candidates == () and server.unexpected == []


def test_a_server_that_never_answers_costs_one_deadline(server: LocalServer) -> None:
    serve(server, lambda seen, path, query: Reply(delay=3.0, body=b"[]"))
    result = read(SourceSettings(SourceKind.MINIFLUX, url=server.url()))
    assert problems(result) == [
        f"{server.url()}: Miniflux not read (timeout: no answer from 127.0.0.9 within 1 s); "
        "check the url or try again later"
    ]


# The Google Reader API, as FreshRSS serves it at /api/greader.php


def greader(seen: Seen, path: str, query: Mapping[str, list[str]]) -> Reply | None:
    base = "/api/greader.php"
    if path == f"{base}/accounts/ClientLogin" and seen.method == "POST":
        form = parse_qs(seen.body.decode())
        if form != {"Email": ["sam"], "Passwd": [TOKEN]}:
            return Reply(401, {"Content-Type": "text/plain"}, b"Error=BadAuthentication\n")
        return Reply(
            headers={"Content-Type": "text/plain"}, body=b"SID=sam/4f2a\nLSID=null\nAuth=sam/4f2a\n"
        )
    starred = f"{base}/reader/api/0/stream/contents/user/-/state/com.google/starred"
    if path != starred or seen.headers.get("Authorization") != "GoogleLogin auth=sam/4f2a":
        return None
    if query.get("output") != ["json"]:
        return None
    pages = {None: "greader-starred-1.json", "1794471300123456": "greader-starred-2.json"}
    continuation = query.get("c", [None])[0]
    return Reply(headers=JSON, body=body(pages[continuation])) if continuation in pages else None


def test_google_reader_starred_items_with_continuation(server: LocalServer) -> None:
    serve(server, greader)
    spec = SourceSettings(SourceKind.GOOGLE_READER, url=server.url("/api/greader.php"), user="sam")
    result = read(spec)
    assert rows(result) == [
        (
            "https://web.example.org/2026/11/feeds-still-matter",
            "Feeds still matter",
            "RSS is fine .",
            "",
            ("Web",),
        ),
        (
            "https://example.com/tom-and-jerry",
            "Tom & Jerry’s guide to <b> tags",  # HTML-escaped text, decoded once
            "",
            "",
            ("Web", "Fun"),
        ),
        (
            "https://blog.example.net/2026/11/async-is-hard",
            "Why async is hard & what to do",
            "A long look at async Python.",
            "",
            ("Python",),
        ),
    ]
    assert [s.method for s in server.seen] == ["POST", "GET", "GET"]
    assert server.unexpected == []


def test_google_reader_refused_login(server: LocalServer) -> None:
    serve(server, greader)
    url = server.url("/api/greader.php")
    spec = SourceSettings(SourceKind.GOOGLE_READER, url=url, user="sam")
    result = read(spec, environ={"LINKDIGEST_GREADER_PASSWORD": "wrong"})
    assert problems(result) == [
        f"{url}: the Google Reader API refused user 'sam' with the password in "
        "LINKDIGEST_GREADER_PASSWORD (HTTP 401); set it to the API password from the "
        "reader's profile (FreshRSS: Profile, API management)"
    ]
    assert len(server.seen) == 1  # the login, never retried


def test_google_reader_at_the_wrong_address(server: LocalServer) -> None:
    serve(server, lambda seen, path, query: Reply(200, {}, b"<html>FreshRSS</html>"))
    spec = SourceSettings(SourceKind.GOOGLE_READER, url=server.url("/i/"), user="sam")
    assert problems(read(spec)) == [
        f"{server.url('/i/')}: the Google Reader API's login answer has no Auth= line; is "
        f"{server.url('/i/')} the API's address (FreshRSS: …/api/greader.php)?"
    ]


# Mastodon


def mastodon(server: LocalServer) -> Handler:
    def handler(seen: Seen, path: str, query: Mapping[str, list[str]]) -> Reply | None:
        if seen.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(401, JSON, b'{"error":"The access token is invalid"}')
        if path != "/api/v1/bookmarks" or query.get("limit") != ["40"]:
            return None
        newer = server.url("/api/v1/bookmarks?limit=40&min_id=113600000000000003")
        if "max_id" not in query:
            older = server.url("/api/v1/bookmarks?limit=40&max_id=113600000000000002")
            link = f'<{older}>; rel="next", <{newer}>; rel="prev"'
            return Reply(headers={**JSON, "Link": link}, body=body("mastodon-bookmarks-1.json"))
        if query["max_id"] == ["113600000000000002"]:
            link = f'<{newer}>; rel="prev"'
            return Reply(headers={**JSON, "Link": link}, body=body("mastodon-bookmarks-2.json"))
        return None

    return handler


def test_mastodon_bookmarks_cards_links_and_posts(server: LocalServer) -> None:
    serve(server, mastodon(server))
    result = read(SourceSettings(SourceKind.MASTODON, url=server.url(), collection="bookmarks"))
    assert rows(result) == [
        (
            "https://blog.example.net/2026/11/async-is-hard",  # the preview card
            "Why async is hard & what to do",
            "Great read @ ana # python",
            "",
            ("python",),
        ),
        (
            "https://owasp.example.org/top-ten",  # a boost: the boosted post's first link
            "",
            "The OWASP list, still: https:// owasp.example.org/top-ten # security",
            "",
            ("security",),
        ),
        (
            "https://mastodon.example/@sam/113400000000000001",  # no link: the post itself
            "Sam Rivera: No link here, just a thought about queues & load.",
            "",
            "",
            (),
        ),
    ]
    assert [urlsplit(s.path).query for s in server.seen] == [
        "limit=40",
        "limit=40&max_id=113600000000000002",
    ]
    assert server.unexpected == []


def test_mastodon_never_sends_the_token_to_another_server(server: LocalServer) -> None:
    def handler(seen: Seen, path: str, query: Mapping[str, list[str]]) -> Reply | None:
        link = '<https://elsewhere.example/api/v1/favourites?max_id=1>; rel="next"'
        return Reply(headers={**JSON, "Link": link}, body=body("mastodon-bookmarks-2.json"))

    serve(server, handler)
    spec = SourceSettings(SourceKind.MASTODON, url=server.url(), collection="favourites")
    result = read(spec)
    assert [urlsplit(s.path).path for s in server.seen] == ["/api/v1/favourites"]
    assert problems(result) == [
        f"{server.url()}: Mastodon's next page is on another server "
        "(https://elsewhere.example/api/v1/favourites?max_id=1)"
    ]


def test_mastodon_refused_token(server: LocalServer) -> None:
    serve(server, mastodon(server))
    spec = SourceSettings(SourceKind.MASTODON, url=server.url(), collection="bookmarks")
    result = read(spec, environ={"LINKDIGEST_MASTODON_TOKEN": "expired"})
    assert problems(result) == [
        f"{server.url()}: Mastodon refused the token in LINKDIGEST_MASTODON_TOKEN (HTTP 401); "
        "set it to an access token from Preferences, Development, New application (scope "
        "read:bookmarks or read:favourites)"
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://m.example/api/v1/bookmarks?max_id=7>; rel="next", '
            '<https://m.example/p>; rel="prev"',
            "https://m.example/api/v1/bookmarks?max_id=7",
        ),
        (
            '<https://m.example/p>; rel="prev", <https://m.example/n>; rel="next"',
            "https://m.example/n",
        ),
        ("<https://m.example/n>; rel=next", "https://m.example/n"),
        ('<https://m.example/p>; rel="prev"', ""),
        ("", ""),
    ],
)
def test_link_header_next(header: str, expected: str) -> None:
    assert parse_link_next(header) == expected


def test_fixtures_are_the_documented_shapes() -> None:
    page = json.loads(body("miniflux-page1.json"))
    assert {"total", "entries"} <= set(page)
    assert {"url", "title", "published_at", "content", "feed", "tags"} <= set(page["entries"][0])
    stream = json.loads(body("greader-starred-1.json"))
    assert {"items", "continuation"} <= set(stream)
    assert {"canonical", "published", "categories", "summary"} <= set(stream["items"][0])
    posts = json.loads(body("mastodon-bookmarks-1.json"))
    assert {"id", "created_at", "url", "content", "card", "reblog", "tags", "account"} <= set(
        posts[0]
    )


def test_a_redirect_to_another_server_never_carries_the_token(server: LocalServer) -> None:
    for (other,) in start_servers(["127.0.0.10"]):
        other.default = Reply(headers=JSON, body=body("miniflux-page3.json"))
        server.default = Reply(302, {"Location": other.url("/v1/entries?starred=true")})
        result = read(SourceSettings(SourceKind.MINIFLUX, url=server.url()))
        assert server.seen[0].headers["X-Auth-Token"] == TOKEN
        assert [s.headers.get("X-Auth-Token") for s in other.seen] == [None]
        assert result.candidates == ()  # only older entries there
