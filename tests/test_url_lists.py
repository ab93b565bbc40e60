"""One reader for lists of URLs (issue 16, item 3): ``linkdigest fetch --file`` and the
drafter's inbox read the same format, through ``linkdigest.format.linklist``.

The end-to-end tests run the real command line against a real server on 127.0.0.1 that
fails on any request it was not told about, so a URL read wrongly (a note glued to it, a
BOM in front of it) shows as an unexpected request.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from linkdigest.cli.app import main
from linkdigest.format.digest import parse_digest
from linkdigest.format.linklist import parse_link_list
from tests.servers import LocalServer, Reply, start_servers


@pytest.mark.parametrize(
    ("line", "url", "title", "note"),
    [
        (
            "https://feedvalidator.org/docs/?utm_source=mastodon&utm_medium=social  Why my Atom "
            "feed failed validation",
            "https://feedvalidator.org/docs/?utm_source=mastodon&utm_medium=social",
            "",
            "Why my Atom feed failed validation",
        ),
        (
            "https://a.example/tab\tA note after a tab",
            "https://a.example/tab",
            "",
            "A note after a tab",
        ),
        (
            "- https://a.example/bullet a bulleted note",
            "https://a.example/bullet",
            "",
            "a bulleted note",
        ),
        ("* [Starred](https://a.example/star) - why", "https://a.example/star", "Starred", "why"),
        ("+ <https://a.example/auto>", "https://a.example/auto", "", ""),
        ("1. https://a.example/numbered", "https://a.example/numbered", "", ""),
        ("12) [Twelve](https://a.example/12)", "https://a.example/12", "Twelve", ""),
        ("- [ ] https://a.example/todo read later", "https://a.example/todo", "", "read later"),
        ("- [x] [Done](https://a.example/done)", "https://a.example/done", "Done", ""),
        ("> https://a.example/quoted quoted", "https://a.example/quoted", "", "quoted"),
        ("Before the link https://a.example/b", "https://a.example/b", "Before the link", ""),
        (
            "https://docs.python.org/3/library/email.utils.html#email.utils.format_datetime - RFC "
            "2822 dates for RSS",
            "https://docs.python.org/3/library/email.utils.html#email.utils.format_datetime",
            "",
            "RFC 2822 dates for RSS",
        ),
    ],
)
def test_a_line_gives_its_url_title_and_note(line: str, url: str, title: str, note: str) -> None:
    listed = parse_link_list(line + "\n")
    assert listed.problems == ()
    (only,) = listed.links
    assert (only.link.url, only.link.title, only.link.note) == (url, title, note)


def test_bom_crlf_comments_sections_and_bad_lines() -> None:
    text = (
        "\ufeff# My inbox, saved by Notepad\r\n"
        "https://a.example/first  first note\r\n"
        "\r\n"
        "## Python\r\n"
        "\t- https://a.example/py\r\n"
        "www.example.net/no-scheme\r\n"
        "ftp://files.example.org/old.tar.gz\r\n"
        "just a thought, no link\r\n"
        "#https://a.example/commented-out\r\n"
    )
    listed = parse_link_list(text)
    assert [(i.line, i.link.url, i.section) for i in listed.links] == [
        (2, "https://a.example/first", ""),
        (5, "https://a.example/py", "Python"),
    ]
    assert [(p.line, p.message) for p in listed.problems] == [
        (6, "'www.example.net/no-scheme' has no scheme; write https://www.example.net/no-scheme"),
        (
            7,
            "'ftp://files.example.org/old.tar.gz' is not an http(s) URL; "
            "link to a web page instead",
        ),
        (8, "no URL in 'just a thought, no link'; one http(s) URL per line ('#' starts a comment)"),
    ]


# The same messy file, read by fetch --file and by the drafter

MESSY = (
    "\ufeff# The inbox: one URL a line, with a note after it if you like.\r\n"
    "{base}/docs/?utm_source=mastodon&utm_medium=social  Why my Atom feed failed validation\r\n"
    "{base}/rfc3339\r\n"
    "\r\n"
    "## Python\r\n"
    "- [Email utils]({base}/email.utils.html#format_datetime) - RFC 2822 dates\r\n"
    "{base}/tabbed\tnote after a tab\r\n"
    "not a link at all\r\n"
)
PAGE = "<!doctype html><title>{0}</title><meta name=description content='About {0}.'>"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LocalServer, Path, Path]]:
    for (server,) in start_servers(["127.0.0.11"]):
        html = {"Content-Type": "text/html; charset=utf-8"}
        for path, title in [
            ("/docs/?utm_source=mastodon&utm_medium=social", "Feed validator docs"),
            ("/rfc3339", "RFC 3339"),
            ("/email.utils.html", "email.utils"),
            ("/tabbed", "Tabbed"),
        ]:
            server.routes[path] = Reply(headers=html, body=PAGE.format(title).encode())
        inbox = tmp_path / "inbox.txt"
        inbox.write_bytes(MESSY.format(base=server.url("")).encode("utf-8"))
        settings = tmp_path / "linkdigest.toml"
        settings.write_text(
            "[http]\nretries = 0\nconnect_timeout = 2.0\nread_timeout = 2.0\n"
            "[hosts.default]\ndelay = 0.0\n"
            '[draft]\n[[draft.sources]]\ntype = "inbox"\npath = "inbox.txt"\n',
            encoding="utf-8",
        )
        yield server, inbox, settings


def test_fetch_file_reads_the_inbox_format(served, capsys) -> None:
    server, inbox, settings = served
    argv = ["fetch", "--file", str(inbox), "--settings", str(settings), "--no-cache"]
    assert main(argv) == 2  # one line held no link: named, and the exit says so
    assert server.unexpected == []
    asked = sorted(urlsplit(seen.path).path + _query(seen.path) for seen in server.seen)
    assert "/docs/?utm_source=mastodon&utm_medium=social" in asked
    assert not any("%20" in path or "Why" in path for path in asked)
    out, err = capsys.readouterr()
    entries = parse_digest("## Links\n\n" + out).entries
    assert [e.title for e in entries] == [
        "Feed validator docs",
        "RFC 3339",
        "email.utils",
        "Tabbed",
    ]
    assert f"{inbox}:8: no URL in 'not a link at all'; one http(s) URL per line" in err


def _query(path: str) -> str:
    query = urlsplit(path).query
    return f"?{query}" if query else ""


def test_fetch_reads_the_same_format_from_stdin(served, capsys, monkeypatch) -> None:
    server, inbox, settings = served
    monkeypatch.setattr("sys.stdin", io.StringIO(inbox.read_text(encoding="utf-8")))
    assert main(["fetch", "--file", "-", "--settings", str(settings), "--no-cache"]) == 2
    assert server.unexpected == []
    assert "stdin:8: no URL in 'not a link at all'" in capsys.readouterr().err


def test_fetch_and_the_drafter_take_the_same_urls_from_one_file(served, capsys) -> None:
    server, inbox, settings = served
    assert main(["fetch", "--file", str(inbox), "--settings", str(settings), "--no-cache"]) == 2
    fetched = parse_digest("## L\n\n" + capsys.readouterr().out).entries
    argv = ["draft", "2026-11", "--settings", str(settings), "--offline", "--no-cache"]
    assert main(argv) == 0  # the drafter: the bad line is a warning
    drafted = parse_digest(
        (settings.parent / "content/posts/2026-11-links.md").read_text(encoding="utf-8")
    )
    # The drafter drops tracking parameters from what it writes; the links are the same.
    assert (
        [e.url.replace("?utm_source=mastodon&utm_medium=social", "") for e in fetched]
        == [e.url for e in drafted.entries]
        == [
            server.url("/docs/"),
            server.url("/rfc3339"),
            server.url("/email.utils.html#format_datetime"),
            server.url("/tabbed"),
        ]
    )
    assert "inbox.txt:8: no URL in 'not a link at all'" in capsys.readouterr().err


def test_a_file_with_no_url_says_so(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# only comments\n\n", encoding="utf-8")
    assert main(["fetch", "--file", str(empty), "--no-cache"]) == 1
    assert f"{empty}: no URL in it; write one http(s) URL a line" in capsys.readouterr().err


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path, capsys) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(b"https://a.example/ok\nhttps://a.example/caf\xe9\n")
    assert main(["fetch", "--file", str(latin), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert f"{latin}:2: not UTF-8" in err and "save the file as UTF-8" in err
