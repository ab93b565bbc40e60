"""Draft sources: inbox, reading lists, feeds and bookmarks exports, each with bad input."""

# ruff: noqa: RUF001 (typographic apostrophes are part of the fixtures' text)

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkdigest.drafting.sources import (
    SourceKind,
    SourceSettings,
    fetch_feed_source,
    parse_bookmarks,
    parse_feed,
    parse_inbox,
    parse_link_line,
    parse_month,
    parse_reading_list,
    read_source,
)
from linkdigest.net import Fetcher, HostPolicy, HttpSettings
from tests.servers import LocalServer, Reply, start_servers

SOURCES = Path(__file__).parent / "fixtures" / "draft" / "sources"
NOVEMBER = parse_month("2026-11", "Europe/Berlin")


def read(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


def rows(result) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(c.line, c.url, c.title, c.note, c.section_hint) for c in result.candidates]


def problems(result) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(s.line, s.message) for s in result.skipped]


@pytest.mark.parametrize(
    ("text", "url", "title", "note"),
    [
        ("[Title](https://a.example/x) — a note", "https://a.example/x", "Title", "a note"),
        ("**[Bold](https://a.example/b)**: why", "https://a.example/b", "Bold", "why"),
        (
            "[*Italic* and __bold__](https://a.example/i)",
            "https://a.example/i",
            "Italic and bold",
            "",
        ),
        (
            "[Atom](https://en.wikipedia.org/wiki/Atom_(web_standard)) parens",
            "https://en.wikipedia.org/wiki/Atom_(web_standard)",
            "Atom",
            "parens",
        ),
        ("(see https://a.example/page).", "https://a.example/page", "see", ""),
        ("<https://a.example/auto> note", "https://a.example/auto", "", "note"),
        ("Пример https://example.ru/статья。", "https://example.ru/статья", "Пример", ""),
        (
            "[t \\[x\\]](https://a.example/e) via [HN](https://h.example)",
            "https://a.example/e",
            "t [x]",
            "via [HN](https://h.example)",
        ),
        ('[t](https://a.example/q?a=1&b=2 "tooltip")', "https://a.example/q?a=1&b=2", "t", ""),
    ],
)
def test_link_line_finds_the_first_link_its_title_and_note(text, url, title, note) -> None:
    link = parse_link_line(text)
    assert link is not None and not link.error
    assert (link.url, link.title, link.note) == (url, title, note)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rel](/relative)", "not an absolute http(s) URL"),
        ("www.example.net/page", "write https://www.example.net/page"),
        ("ftp://files.example.org/a", "not an http(s) URL"),
    ],
)
def test_link_line_says_what_is_wrong_with_a_bad_link(text, message) -> None:
    link = parse_link_line(text)
    assert link is not None and message in link.error


def test_link_line_without_any_link_is_none() -> None:
    assert parse_link_line("Just a thought, no link here.") is None


def test_inbox_sections_notes_and_bad_lines() -> None:
    result = parse_inbox(read("inbox.txt"), "inbox.txt")
    assert rows(result) == [
        (
            2,
            "https://example.org/queues-under-load?utm_source=newsletter&utm_medium=email",
            "",
            "Queues under load, with numbers",
            "",
        ),
        (3, "https://example.org/autolink", "", "", ""),
        (4, "https://youtu.be/abcdefghijk?si=SHARED", "", "", ""),
        (
            7,
            "https://security.example.org/advisory-2026-11",
            "",
            "Patch your CSP headers",
            "Security",
        ),
        (
            10,
            "https://example.org/queues-under-load/",
            "",
            "A second note on the same link",
            "Security",
        ),
        (11, "https://blog.example.net/already-published", "", "", "Security"),
    ]
    assert problems(result) == [
        (8, "no URL in 'not a url at all'; one http(s) URL per line ('#' starts a comment)"),
        (
            9,
            "'ftp://files.example.org/old.tar.gz' is not an http(s) URL; "
            "link to a web page instead",
        ),
    ]
    assert all(c.note_markdown for c in result.candidates)


def test_reading_list_in_many_languages_and_scripts() -> None:
    result = parse_reading_list(read("reading-list.md"), "list.md")
    assert rows(result) == [
        (
            7,
            "https://example.de/dateien-sicher-schreiben",
            "Über die Kunst, Dateien sicher zu schreiben",
            "lesenswert",
            "Deutsch",
        ),
        (
            8,
            "https://example.de/fahrplaene",
            "Straßenbahn-Fahrpläne als offene Daten",
            "",
            "Deutsch",
        ),
        (11, "https://example.fr/ete-des-flux", "L’été des flux RSS", "un bon résumé", "Français"),
        (
            12,
            "https://example.fr/article?utm_source=lettre",
            "",
            "une note après l’adresse",
            "Français",
        ),
        (15, "https://example.jp/記事/地下鉄", "東京の地下鉄の歴史", "とても面白い", "日本語"),
        (16, "https://example.jp/メモ", "【メモ】", "", "日本語"),
        (
            20,
            "https://example.com/ar/python",
            "مقدمة في بايثون",
            "ملاحظة قصيرة continued on the next line",
            "العربية",
        ),
        (
            26,
            "https://en.wikipedia.org/wiki/Atom_(web_standard)",
            "Atom (web standard)",
            "parentheses in the URL",
            "Nested group",
        ),
        (27, "https://example.org/italic", "Italic link text", "an italic note", "Nested group"),
    ]
    assert [line for line, _ in problems(result)] == [28, 29]
    assert "no scheme; write https://www.example.net/no-scheme" in problems(result)[1][1]


def test_reading_list_plain_text_with_bare_urls() -> None:
    text = "Python:\nhttps://a.example/one first\n  more of the note\n\nOther:\nhttps://a.example/two\n"
    result = parse_reading_list(text, "list.txt")
    assert rows(result) == [
        (2, "https://a.example/one", "", "first more of the note", "Python"),
        (6, "https://a.example/two", "", "", "Other"),
    ]


def test_rss2_feed_real_world_titles_and_odd_dates() -> None:
    result = parse_feed((SOURCES / "starred-rss2.xml").read_bytes(), "feed.xml", NOVEMBER)
    got = {c.url: c for c in result.candidates}
    assert list(got) == [
        "https://blog.example.net/2026/11/async-is-hard?utm_campaign=rss",
        "https://example.com/tom-and-jerry",
        "https://example.com/two-digit-year",
        "https://example.com/first-of-november",  # 23:30 UTC on 31 October is November here
        "https://www.youtube.com/watch?v=abcdefghijk&feature=share",
    ]
    first = got["https://blog.example.net/2026/11/async-is-hard?utm_campaign=rss"]
    assert first.title == "Why async is hard & what to do"  # HTML in the title, as text
    assert first.note == "A long look at async Python."  # markup and scripts gone
    assert first.tags == ("python",)
    assert first.date == datetime(2026, 11, 3, 14, 5, tzinfo=UTC)  # 9:05 EST
    assert got["https://example.com/tom-and-jerry"].title == (
        "Tom & Jerry’s guide to [brackets] and *stars*"
    )
    assert problems(result) == [
        (
            39,
            "entry 'A date nobody can read': date 'sometime last week' is not a date feedparser "
            "reads; put https://example.com/unreadable-date in the inbox instead",
        ),
        (44, "entry 'No link at all' has no http(s) link; skipped"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "bookmarks-atom.xml",
            [("https://antonz.example/sqlite-is-not-a-toy/", "SQLite is not a toy database")],
        ),
        ("rss1.rdf", [("https://old.example.org/rdf-item", "An RDF item")]),
        ("rss091.xml", [("https://older.example.org/cafe", "Café crème")]),
    ],
)
def test_atom_rss1_and_rss091_feeds(name: str, expected: list[tuple[str, str]]) -> None:
    result = parse_feed((SOURCES / name).read_bytes(), name, NOVEMBER)
    assert [(c.url, c.title) for c in result.candidates][: len(expected)] == expected


def test_atom_text_titles_keep_angle_brackets_and_tags_come_along() -> None:
    result = parse_feed((SOURCES / "bookmarks-atom.xml").read_bytes(), "a.xml", NOVEMBER)
    toy, literal = result.candidates
    assert toy.tags == ("databases", "sqlite") and toy.note == "Worth sending to everyone who asks."
    assert literal.title == "A title with <b> as text"


def test_malformed_feed_is_reported_and_read_as_far_as_it_goes() -> None:
    result = parse_feed((SOURCES / "broken.xml").read_bytes(), "broken.xml", NOVEMBER)
    assert [c.url for c in result.candidates] == [
        "https://broken.example.org/fine",
        "https://broken.example.org/second",
    ]
    ((line, message),) = problems(result)
    assert line == 4 and message.startswith("not a well-formed feed")


def test_something_that_is_not_a_feed_at_all() -> None:
    result = parse_feed(b"<html><body>Oops, a web page</body>", "page.html", NOVEMBER)
    assert result.candidates == ()
    assert "nothing read" in problems(result)[0][1]


def test_bookmarks_by_folder_and_date_added() -> None:
    result = parse_bookmarks(read("bookmarks.html"), "b.html", NOVEMBER, ["Digest"])
    assert [(c.line, c.url, c.title, c.note, c.section_hint) for c in result.candidates] == [
        (
            14,
            "https://www.sqlite.org/lang_upsert.html?fbclid=abc",
            "UPSERT & friends",
            "SQLite has had upsert since 3.24",
            "",
        ),
        (20, "https://example.org/milliseconds", "Chrome-style milliseconds", "", ""),
        (
            23,
            "https://owasp.example.org/top-ten",
            "OWASP Top Ten",
            "Still the list to start from",
            "Security",
        ),
        (26, "https://example.org/queues-under-load", "How queues fail under load", "", ""),
    ]
    assert result.candidates[0].tags == ("Bookmarks bar", "Digest", "sqlite", "databases")
    assert result.candidates[0].date == datetime(2026, 11, 6, 12, 30, tzinfo=UTC)
    assert problems(result) == [
        (
            16,
            "bookmark 'A bookmarklet': 'javascript:alert(1)' is not a web link (http or https); "
            "skipped",
        ),
        (
            18,
            "bookmark 'No ADD_DATE' has no ADD_DATE, so its month is unknown; "
            "put https://example.org/no-date in the inbox instead",
        ),
    ]


def test_bookmarks_without_folders_take_every_folder() -> None:
    result = parse_bookmarks(read("bookmarks.html"), "b.html", NOVEMBER)
    assert "https://news.example.com/" in [c.url for c in result.candidates]


def test_bookmarks_with_broken_markup() -> None:
    result = parse_bookmarks(read("bookmarks-broken.html"), "b.html", NOVEMBER, ["digest"])
    assert [(c.url, c.title) for c in result.candidates] == [
        ("https://broken-markup.example.org/one", "One bold"),
        ("https://broken-markup.example.org/two", "Two"),  # unclosed <A>: its title only
    ]
    assert problems(result) == [
        (9, "bookmark 'Empty href': its HREF is empty; fix it or delete it"),
        (
            10,
            "bookmark 'Bad date': ADD_DATE 'yesterday' is not epoch seconds, so its month "
            "is unknown; put https://broken-markup.example.org/three in the inbox instead",
        ),
    ]


def test_a_file_that_is_not_a_bookmarks_export() -> None:
    result = parse_bookmarks("just some text\n", "b.html", NOVEMBER)
    assert problems(result) == [
        (1, "not a bookmarks export (Netscape HTML); export the bookmarks again as HTML")
    ]


def test_unreadable_and_non_utf8_files_are_reported(tmp_path: Path) -> None:
    missing = read_source(SourceSettings(SourceKind.INBOX, "nope.txt"), tmp_path, NOVEMBER)
    assert missing.skipped[0].where == "nope.txt"
    assert "cannot read (No such file or directory)" in missing.skipped[0].message
    (tmp_path / "latin1.md").write_bytes("- https://a.example/ok\n- caf\xe9\n".encode("latin-1"))
    latin = read_source(SourceSettings(SourceKind.READING_LIST, "latin1.md"), tmp_path, NOVEMBER)
    assert (latin.skipped[0].line, latin.skipped[0].message) == (
        2,
        "not UTF-8 text; save it as UTF-8",
    )


def test_source_paths_per_month_and_section_override(tmp_path: Path) -> None:
    (tmp_path / "2026-11.txt").write_text("https://a.example/x\n", encoding="utf-8")
    spec = SourceSettings(SourceKind.INBOX, "{year}-{month}.txt", section="Videos")
    result = read_source(spec, tmp_path, NOVEMBER)
    assert [(c.where, c.section_hint) for c in result.candidates] == [("2026-11.txt:1", "Videos")]


def test_month_boundaries_follow_the_time_zone() -> None:
    utc = parse_month("2026-11")
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert NOVEMBER.contains(moment) and not utc.contains(moment)
    assert NOVEMBER.last_day.isoformat() == "2026-11-30"
    assert parse_month("2024-02").last_day.isoformat() == "2024-02-29"


@pytest.mark.parametrize("text", ["2026-13", "26-11", "November", "2026-1"])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(Exception, match="is not YYYY-MM"):
        parse_month(text)


@pytest.fixture
def feed_server() -> Iterator[LocalServer]:
    for (server,) in start_servers(["127.0.0.7"]):
        server.routes["/starred.xml"] = Reply(
            headers={"Content-Type": "application/rss+xml"},
            body=(SOURCES / "starred-rss2.xml").read_bytes(),
        )
        server.routes["/gone.xml"] = Reply(404, body=b"gone")
        yield server


def fetch_feed(server: LocalServer, path: str, offline: bool = False):  # type: ignore[no-untyped-def]
    spec = SourceSettings(SourceKind.FEED, url=server.url(path))
    settings = HttpSettings(retries=0, default_host=HostPolicy(delay=0.0))

    async def run():  # type: ignore[no-untyped-def]
        if offline:
            return await fetch_feed_source(spec, None, NOVEMBER)
        async with Fetcher(settings) as fetcher:
            return await fetch_feed_source(spec, fetcher, NOVEMBER)

    return asyncio.run(run())


def test_feed_over_http_from_a_local_server(feed_server: LocalServer) -> None:
    result = fetch_feed(feed_server, "/starred.xml")
    assert len(result.candidates) == 5
    assert result.candidates[0].source == feed_server.url("/starred.xml")
    assert [s.path for s in feed_server.seen] == ["/starred.xml"]
    assert feed_server.unexpected == []


def test_feed_that_cannot_be_fetched_is_reported(feed_server: LocalServer) -> None:
    result = fetch_feed(feed_server, "/gone.xml")
    assert result.candidates == ()
    assert result.skipped[0].message.startswith("feed not read (HTTP 404)")


def test_offline_never_asks_for_the_feed(feed_server: LocalServer) -> None:
    result = fetch_feed(feed_server, "/starred.xml", offline=True)
    assert "offline: feed not read" in result.skipped[0].message
    assert feed_server.seen == []
