"""Exports as their services write them (Pocket, Pinboard, Raindrop.io, Instapaper, Firefox,
Chrome, OPML) and pasted pages: the month's links, folders as sections, and bad input."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkdigest.drafting.draft import build_draft, parse_draft_settings
from linkdigest.drafting.gather import read_sources
from linkdigest.drafting.sources import (
    SourceKind,
    SourceResult,
    SourceSettings,
    parse_month,
    parse_source_settings,
)
from linkdigest.errors import ConfigError
from linkdigest.fetching.fetch import FetchOptions
from linkdigest.format.digest import parse_digest
from linkdigest.net import Fetcher, HostPolicy, HttpSettings
from linkdigest.net.cache import Cache
from tests.servers import LocalServer, Reply, start_servers

EXPORTS = Path(__file__).parent / "fixtures" / "draft" / "exports"
SOURCES = Path(__file__).parent / "fixtures" / "draft" / "sources"
NOVEMBER = parse_month("2026-11", "Europe/Berlin")
HTTP = HttpSettings(retries=0, deadline=2.0, default_host=HostPolicy(delay=0.0))


def read(kind: SourceKind, path: str, base: Path = EXPORTS, **values: object) -> SourceResult:
    spec = SourceSettings(kind, path, **values)  # type: ignore[arg-type]
    return asyncio.run(read_sources([spec], base, NOVEMBER, None))


def rows(result: SourceResult) -> list[tuple[object, ...]]:
    return [(c.line, c.url, c.title, c.note, c.section_hint) for c in result.candidates]


def problems(result: SourceResult) -> list[tuple[int, str]]:
    return [(s.line, s.message) for s in result.skipped]


def test_pocket_html_export_both_lists_by_time_added() -> None:
    result = read(SourceKind.POCKET, "ril_export.html")
    assert rows(result) == [
        (
            11,
            "https://blog.example.net/2026/11/async-is-hard?utm_source=pocket_saves",
            "Why async is hard & what to do",
            "",
            "",
        ),
        (12, "https://example.org/untitled-page", "", "", ""),  # Pocket wrote the URL: no title
        (
            14,
            "https://example.org/first-of-november",  # 23:30 UTC on 31 October: Berlin's 1st
            "Saved at 00:30 in Berlin on 1 November",
            "",
            "",
        ),
        (20, "https://owasp.example.org/csp-guide", "A CSP guide <script> and all", "", ""),
    ]
    assert result.candidates[0].tags == ("Unread", "python", "async")
    assert result.candidates[0].date == datetime(2026, 11, 3, 14, 5, tzinfo=UTC)
    assert result.candidates[3].tags == ("Read Archive", "security", "web")
    assert problems(result) == [
        (
            15,
            "'No time_added': no time_added, so its month is unknown; put "
            "https://example.org/no-time in the inbox instead",
        ),
        (
            21,
            "'A bookmarklet': 'javascript:alert(document.cookie)' is not a web link (http or "
            "https); skipped",
        ),
        (
            22,
            "'Bad time': time_added 'yesterday' is not seconds since 1970, so its month is "
            "unknown; put https://example.org/yesterday in the inbox instead",
        ),
    ]


def test_pocket_list_chosen_as_a_folder() -> None:
    result = read(SourceKind.POCKET, "ril_export.html", folders=("Read Archive",))
    assert [c.url for c in result.candidates] == ["https://owasp.example.org/csp-guide"]


def test_pinboard_json_with_escaped_slashes_and_space_separated_tags() -> None:
    result = read(SourceKind.PINBOARD, "pinboard.json")
    assert rows(result) == [
        (
            1,
            "https://www.sqlite.org/lang_upsert.html",
            "SQLite UPSERT",
            "Upsert since 3.24, with the excluded. table",
            "",
        ),
        (2, "https://example.org/pinboard/toread", "Read later: “queues under load”", "", ""),
    ]
    assert result.candidates[0].tags == ("sqlite", "databases")
    assert problems(result) == [
        (
            4,
            "'A bad time': time 'last Tuesday' is not an ISO 8601 time, so its month is "
            "unknown; put https://example.org/pinboard/bad-time in the inbox instead",
        ),
        (
            5,
            "'Not the web': 'ftp://files.example.org/old.tar.gz' is not a web link (http or "
            "https); skipped",
        ),
    ]


def test_raindrop_csv_nested_collections_become_sections() -> None:
    result = read(SourceKind.RAINDROP, "raindrop.csv", folders=("Digest",))
    assert rows(result) == [
        (
            2,
            "https://blog.example.net/2026/11/async-is-hard",
            "Why async is hard, and what to do",
            'Worth it for the "cancel scope" part',  # the note wins over the excerpt
            "Python",
        ),
        (
            3,  # the row's highlights run over two lines: the next row starts on line 5
            "https://owasp.example.org/top-ten",
            "OWASP Top Ten",
            "The standard awareness document",
            "Security",
        ),
        (
            8,
            "https://example.org/raindrop-excerpt",
            "Plain excerpt as the note",
            "The excerpt, as Raindrop fetched it",
            "",
        ),
    ]
    assert result.candidates[0].tags == ("Digest", "Python", "python", "async")
    assert problems(result) == [
        (
            7,
            "'No date': no created, so its month is unknown; put "
            "https://example.org/raindrop-no-date in the inbox instead",
        ),
        (
            9,
            "row has 5 fields but the header has 11 columns; left out, check the quotes on "
            "this line",
        ),
    ]


def test_instapaper_csv_folders_selection_and_json_tags() -> None:
    result = read(SourceKind.INSTAPAPER, "instapaper-export.csv")
    assert rows(result) == [
        (
            2,
            "https://example.org/instapaper/deep-work",
            "Deep work in open offices",
            "The key sentence, quoted",
            "",
        ),
        (3, "https://www.youtube.com/watch?v=abcdefghijk", "A talk on queues", "", ""),
        (4, "https://example.org/instapaper/archive", "Archived, but read", "", ""),
        (6, "https://example.org/instapaper/digest-folder", "In my own folder", "", ""),
    ]
    assert [c.tags for c in result.candidates] == [
        ("Unread", "work"),
        ("Starred",),
        ("Archive",),
        ("Digest", "python", "web"),
    ]
    assert problems(result) == [
        (
            7,
            "'Bad timestamp': Timestamp '2026-11-03' is not seconds since 1970, so its month "
            "is unknown; put https://example.org/instapaper/bad-time in the inbox instead",
        )
    ]


def test_instapaper_export_without_the_tags_column() -> None:
    text = "URL,Title,Selection,Folder,Timestamp\nhttps://a.example/x,X,,Starred,1793968200\n"
    from linkdigest.drafting.exports import parse_instapaper

    result = parse_instapaper(text, "i.csv", NOVEMBER, ["Starred"])
    assert [(c.url, c.title, c.tags) for c in result.candidates] == [
        ("https://a.example/x", "X", ("Starred",))
    ]


def test_firefox_json_backup_roots_folders_tags_and_microseconds() -> None:
    result = read(
        SourceKind.FIREFOX, "bookmarks-2026-11-30.json", folders=("Bookmarks Toolbar/Digest",)
    )
    assert rows(result) == [
        (8, "https://www.sqlite.org/lang_upsert.html", "UPSERT & friends", "", ""),
        (
            10,
            "https://example.org/firefox-described",
            "A bookmark with a description",
            "Kept among the annotations by older Firefox versions",
            "",
        ),
        (12, "https://owasp.example.org/top-ten", "OWASP Top Ten", "", "Security"),
    ]
    assert result.candidates[0].tags == ("Bookmarks Toolbar", "Digest", "sqlite", "databases")
    assert result.candidates[0].date == datetime(2026, 11, 6, 12, 30, tzinfo=UTC)
    assert problems(result) == [
        (
            13,
            "'A bookmarklet': 'javascript:void(document.body.style.zoo…' is not a web link "
            "(http or https); skipped",
        ),
        (
            14,
            "'No dateAdded': no dateAdded, so its month is unknown; put "
            "https://example.org/firefox-no-date in the inbox instead",
        ),
    ]


def test_firefox_without_folders_reads_every_root_but_no_place_queries() -> None:
    result = read(SourceKind.FIREFOX, "bookmarks-2026-11-30.json")
    urls = [c.url for c in result.candidates]
    assert "https://support.mozilla.org/products/firefox" in urls  # Bookmarks Menu
    assert "https://example.org/firefox-unfiled" in urls  # Other Bookmarks
    assert not [u for u in urls if u.startswith("place:")]
    assert not [s for s in result.skipped if "place:" in s.message]


def test_chrome_bookmarks_file_microseconds_since_1601() -> None:
    result = read(SourceKind.CHROME, "Bookmarks", folders=("Digest",))
    assert rows(result) == [
        (16, "https://www.sqlite.org/lang_upsert.html?fbclid=abc", "UPSERT & friends", "", ""),
        (33, "https://owasp.example.org/top-ten", "OWASP Top Ten", "", "Security"),
    ]
    assert result.candidates[0].date == datetime(2026, 11, 6, 12, 30, tzinfo=UTC)
    assert result.candidates[1].tags == ("Bookmarks bar", "Digest", "Security")
    assert problems(result) == [
        (
            49,
            "'Bad date_added': date_added 'not-a-number' is not microseconds since 1601, so "
            "its month is unknown; put https://example.org/chrome-bad-date in the inbox instead",
        )
    ]
    everything = read(SourceKind.CHROME, "Bookmarks")
    assert "https://news.example.com/" in [c.url for c in everything.candidates]


def test_pasted_feed_reader_page_titles_from_the_line_above_and_dates() -> None:
    result = read(SourceKind.PASTED, "pasted-reader.txt")
    assert rows(result) == [
        (
            5,
            "https://blog.example.net/2026/11/async-is-hard?utm_source=reader",
            "Why async is hard & what to do",  # past the "site · Nov 3, 2026" line
            "",
            "",
        ),
        (9, "https://antonz.example/sqlite-is-not-a-toy/", "SQLite is not a toy database", "", ""),
        # "Oct 20, 2026": another month, left out
        (16, "https://example.org/no-title-around", "", "", ""),  # the fetch layer names it
        (19, "https://example.org/queues-under-load", "Queues under load", "with numbers", ""),
    ]
    assert result.candidates[0].date == datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert not any(c.note_markdown for c in result.candidates)  # plain text, escaped later


def test_pasted_show_notes_timestamps_several_links_on_a_line_and_headings() -> None:
    result = read(SourceKind.PASTED, "pasted-shownotes.txt")
    assert rows(result) == [
        (5, "https://www.sqlite.org/lang_upsert.html", "SQLite UPSERT", "", ""),
        (
            6,
            "https://owasp.example.org/top-ten",
            "The OWASP Top Ten",
            "still the list to start from",
            "",
        ),
        (7, "https://example.org/rss-history", "Two on feeds", "", ""),
        (7, "https://example.org/atom-history", "", "", ""),  # "and" is no title
        (8, "https://www.youtube.com/watch?v=abcdefghijk", "A talk on queues", "", ""),
        (11, "https://example.org/mentioned-only", "", "", ""),  # "Links mentioned:" heads
    ]
    assert result.skipped == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-03", datetime(2026, 11, 3, 12, tzinfo=UTC)),
        ("3rd November 2026", datetime(2026, 11, 3, 12, tzinfo=UTC)),
        ("Nov. 3, 2026", datetime(2026, 11, 3, 12, tzinfo=UTC)),
        ("saved Dec 1", datetime(2026, 12, 1, 12, tzinfo=UTC)),
        ("episode 42", None),
        ("2026-13-45", None),
    ],
)
def test_pasted_dates(text: str, expected: datetime | None) -> None:
    from linkdigest.drafting.pasted import parse_pasted_date

    assert parse_pasted_date(text, NOVEMBER) == expected


def test_pasted_standing_dates_date_the_links_after_them() -> None:
    from linkdigest.drafting.pasted import parse_pasted

    text = (
        "31 October 2026\n\nOld one https://a.example/old\n\n"
        "1 November 2026\n\nNew one https://a.example/new\n"
    )
    result = parse_pasted(text, "p.txt", NOVEMBER)
    assert [(c.url, c.title) for c in result.candidates] == [("https://a.example/new", "New one")]


# Bad input


@pytest.mark.parametrize(
    ("kind", "text", "line", "message"),
    [
        (
            SourceKind.PINBOARD,
            '[{"href":"https://a.example/","time":"2026-11-03T10:00:00Z"},\n{"href": }]',
            2,
            "not valid JSON at column 10 (Expecting value); export from "
            "pinboard.in/settings/backup again",
        ),
        (SourceKind.PINBOARD, '{"posts": []}', 1, "not a Pinboard JSON export"),
        (SourceKind.FIREFOX, '{"guid": "root________",\n  "children": [\n', 3, "not valid JSON"),
        (SourceKind.FIREFOX, "[]", 1, "not a Firefox bookmarks backup"),
        (SourceKind.CHROME, '{\n   "roots": {\n      "bookmark_bar": {,', 3, "not valid JSON"),
        (SourceKind.CHROME, '{"version": 1}', 1, "not a Chrome Bookmarks file"),
        (
            SourceKind.RAINDROP,
            "title,link\nA,https://a.example/\n",
            1,
            "no url, created column in the header; is this Raindrop.io's CSV export",
        ),
        (
            SourceKind.INSTAPAPER,
            "URL,Title,Selection,Folder,Timestamp\n"
            'https://a.example/,"An "unclosed" quote,,Unread,1793968200\n',
            2,
            "not valid CSV from here on (',' expected after '\"'); export from "
            "instapaper.com/user again",
        ),
        (SourceKind.POCKET, "just some text\n", 1, "not a Pocket export (ril_export.html)"),
    ],
)
def test_malformed_exports_name_the_line(
    tmp_path: Path, kind: SourceKind, text: str, line: int, message: str
) -> None:
    (tmp_path / "export").write_text(text, encoding="utf-8")
    result = read(kind, "export", tmp_path)
    assert result.candidates == ()
    ((where, said),) = problems(result)
    assert where == line and said.startswith(message), said


def test_an_instapaper_row_after_a_bad_quote_is_not_read_but_those_before_are(
    tmp_path: Path,
) -> None:
    text = (
        "URL,Title,Selection,Folder,Timestamp\n"
        "https://a.example/fine,Fine,,Unread,1793968200\n"
        'https://a.example/bad,"Bad" title,,Unread,1793968200\n'
    )
    (tmp_path / "i.csv").write_text(text, encoding="utf-8")
    result = read(SourceKind.INSTAPAPER, "i.csv", tmp_path)
    assert [c.url for c in result.candidates] == ["https://a.example/fine"]
    assert [s.where for s in result.skipped] == ["i.csv:3"]


def test_compressed_firefox_backup_says_how_to_make_a_json_one(tmp_path: Path) -> None:
    (tmp_path / "bookmarks.jsonlz4").write_bytes(b"mozLz40\0\x8a\x12\x00\x00\xf0\x1b{}")
    result = read(SourceKind.FIREFOX, "bookmarks.jsonlz4", tmp_path)
    ((line, message),) = problems(result)
    assert line == 0 and message.startswith("a compressed .jsonlz4 backup, which is not read")


def test_non_utf8_and_missing_exports(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_bytes(b'[{"href": "https://a.example/caf\xe9"}]\n')
    assert problems(read(SourceKind.PINBOARD, "p.json", tmp_path)) == [
        (1, "not UTF-8 text; save it as UTF-8")
    ]
    missing = read(SourceKind.RAINDROP, "{year}-{month}.csv", tmp_path)
    assert missing.skipped[0].where == "2026-11.csv"
    assert "cannot read (No such file or directory)" in missing.skipped[0].message


def test_a_source_section_wins_over_folders() -> None:
    result = read(SourceKind.RAINDROP, "raindrop.csv", folders=("Digest",), section="Reading")
    assert {c.section_hint for c in result.candidates} == {"Reading"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"type": "pinboard", "path": "p.json", "folders": ["x"]},
            "a pinboard source has no folders",
        ),
        ({"type": "pocket", "url": "https://getpocket.com/"}, "give a path"),
        ({"type": "miniflux", "path": "x"}, "a miniflux source needs the http(s) url"),
        ({"type": "mastodon", "url": "mastodon.social"}, "needs the http(s) url"),
        ({"type": "google-reader", "url": "https://r.example/api/greader.php"}, "needs its user"),
        ({"type": "raindrop", "path": "r.csv", "token_env": "X"}, "takes no token_env"),
        (
            {"type": "mastodon", "url": "https://m.example", "collection": "likes"},
            "collection must be bookmarks or favourites, not 'likes'",
        ),
        ({"type": "delicious", "path": "d.html"}, "type must be one of inbox, feed"),
    ],
)
def test_settings_of_new_kinds_are_checked(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_source_settings(table, "linkdigest.toml", 1)


# OPML: a list of feeds, each read as a feed


@pytest.fixture
def feed_server() -> Iterator[LocalServer]:
    for (server,) in start_servers(["127.0.0.8"]):
        server.routes["/starred.xml"] = Reply(body=(SOURCES / "starred-rss2.xml").read_bytes())
        server.routes["/bookmarks.atom"] = Reply(body=(SOURCES / "bookmarks-atom.xml").read_bytes())
        server.routes["/gone.xml"] = Reply(404, body=b"gone")
        yield server


def write_opml(folder: Path, server: LocalServer) -> None:
    text = (EXPORTS / "subscriptions.opml").read_text(encoding="utf-8")
    (folder / "feeds.opml").write_text(text.replace("FEED_BASE", server.url("")), encoding="utf-8")


def read_online(spec: SourceSettings, base: Path) -> SourceResult:
    async def run() -> SourceResult:
        async with Fetcher(HTTP) as fetcher:
            return await read_sources([spec], base, NOVEMBER, fetcher)

    return asyncio.run(run())


def test_opml_feeds_are_read_and_outlines_are_folders(
    tmp_path: Path, feed_server: LocalServer
) -> None:
    write_opml(tmp_path, feed_server)
    spec = SourceSettings(SourceKind.OPML, "feeds.opml", folders=("Digest",))
    result = read_online(spec, tmp_path)
    by_url = {c.url: c for c in result.candidates}
    async_post = by_url["https://blog.example.net/2026/11/async-is-hard?utm_campaign=rss"]
    assert (async_post.section_hint, async_post.tags) == ("Python", ("Digest", "Python", "python"))
    toy = by_url["https://antonz.example/sqlite-is-not-a-toy/"]
    assert toy.section_hint == ""  # directly in the chosen folder
    assert toy.tags[:1] == ("Digest",)
    assert sorted(s.path for s in feed_server.seen) == [
        "/bookmarks.atom",
        "/gone.xml",
        "/starred.xml",
    ]
    assert feed_server.unexpected == []  # "Elsewhere" was not chosen, so never asked
    opml_problems = sorted((s.where, s.message) for s in result.skipped if s.source == "feeds.opml")
    assert opml_problems == [
        (
            "feeds.opml:13",
            f"{feed_server.url('/gone.xml')}: feed not read (HTTP 404); check the URL or try "
            "again later",
        ),
        (
            "feeds.opml:14",
            "feed 'A local file': xmlUrl 'file:///home/sam/feed.xml' is not an http(s) URL; fix it",
        ),
    ]


def test_opml_offline_reads_nothing(tmp_path: Path, feed_server: LocalServer) -> None:
    write_opml(tmp_path, feed_server)
    result = read(SourceKind.OPML, "feeds.opml", tmp_path)
    assert result.candidates == ()
    assert "offline: 4 feeds not read" in result.skipped[-1].message
    assert feed_server.seen == []


def test_malformed_opml_names_line_and_column(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0"?>\n<opml version="2.0"><body>\n'
        '<outline text="A" xmlUrl="https://a.example/f.xml"/>\n<outline text="B" & />\n'
    )
    (tmp_path / "bad.opml").write_text(text, encoding="utf-8")
    result = read(SourceKind.OPML, "bad.opml", tmp_path)
    assert (result.skipped[0].line, result.skipped[0].message) == (
        4,
        "not well-formed OPML at column 19 (not well-formed (invalid token)); read the feeds "
        "before it, fix the file",
    )
    assert "offline: 1 feeds not read" in result.skipped[1].message  # the one before the error


# A whole draft: folders of an export become sections, in settings order


def test_a_draft_from_exports_puts_folders_in_sections(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    for name in ("raindrop.csv", "Bookmarks", "pasted-reader.txt"):
        (tmp_path / name).write_bytes((EXPORTS / name).read_bytes())
    settings = parse_draft_settings(
        {
            "draft": {
                "timezone": "Europe/Berlin",
                "sections": ["Articles", "Python", "Security"],
                "sources": [
                    {"type": "raindrop", "path": "raindrop.csv", "folders": ["Digest"]},
                    {"type": "chrome", "path": "Bookmarks", "folders": ["Digest"]},
                    {"type": "pasted", "path": "pasted-reader.txt"},
                ],
            }
        }
    )
    cache = Cache(tmp_path / "cache.json", {})
    run = asyncio.run(build_draft(settings, tmp_path, NOVEMBER, None, cache, FetchOptions()))
    assert run.counts == {"Articles": 5, "Python": 1, "Security": 1}
    assert run.text.index("## Python") < run.text.index("## Security")
    assert "### [OWASP Top Ten](https://owasp.example.org/top-ten)" in run.text


def test_hostile_export_text_is_escaped_in_the_draft(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    hostile = [
        {
            "href": "https://evil.example/x",
            "description": "<script>alert(1)</script> [click](javascript:alert(2)) {{ x }}",
            "extended": "## Not a section\n<img src=x onerror=alert(3)>",
            "time": "2026-11-03T10:00:00Z",
            "tags": "",
        }
    ]
    (tmp_path / "pinboard.json").write_text(json.dumps(hostile), encoding="utf-8")
    settings = parse_draft_settings(
        {"draft": {"sources": [{"type": "pinboard", "path": "pinboard.json"}]}}
    )
    cache = Cache(tmp_path / "cache.json", {})
    run = asyncio.run(build_draft(settings, tmp_path, NOVEMBER, None, cache, FetchOptions()))
    assert "<script>" not in run.text and "<img" not in run.text
    assert "&lt;script&gt;" in run.text and "\\[click\\]" in run.text
    assert "\n## Not a section" not in run.text
    digest = parse_digest(run.text)
    (entry,) = digest.entries
    assert entry.url == "https://evil.example/x"


def test_pocket_csv_export_of_2025_reads_like_the_html_one() -> None:
    result = read(SourceKind.POCKET, "part_000000.csv")
    assert [(c.line, c.url, c.title, c.tags) for c in result.candidates] == [
        (
            2,
            "https://blog.example.net/2026/11/async-is-hard",
            "Why async is hard, and what to do",
            ("Unread", "python", "async"),
        ),
        (3, "https://example.org/untitled-page", "", ("Unread",)),
        (4, "https://owasp.example.org/top-ten", "OWASP Top Ten", ("Read Archive", "security")),
    ]
    archive = read(SourceKind.POCKET, "part_000000.csv", folders=("Read Archive",))
    assert [c.url for c in archive.candidates] == ["https://owasp.example.org/top-ten"]
