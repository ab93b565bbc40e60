"""Fetching titles and summaries end to end: local pages, oEmbed, cache, the command line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkdigest.errors import ConfigError
from linkdigest.fetching.fetch import parse_fetch_options
from linkdigest.format.digest import parse_digest
from scripts.fetch import main
from tests.servers import LocalServer, Reply, start_servers

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Example</title>
<meta property="og:title" content="{title}">
<meta name="description" content="{description}">
</head><body><h1>{title}</h1><p>Body text.</p></body></html>"""
CONSENT = """<!doctype html><html><head><title>Before you continue</title></head><body>
<h1>We value your privacy</h1><p>We and our partners use cookies. Accept all cookies to
continue to the site.</p><button>Accept all</button></body></html>"""


def html(title: str, description: str) -> Reply:
    return Reply(
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=PAGE.format(title=title, description=description).encode(),
    )


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[LocalServer, LocalServer, Path]]:
    for pages, oembed in start_servers(["127.0.0.5", "127.0.0.6"]):
        pages.routes["/ok"] = html("How queues fail", "A look at queues under load.")
        pages.routes["/tricky"] = html(
            "Arrays [] &amp; *stars* &lt;script&gt;x&lt;/script&gt;",
            "Uses &lt;b&gt;markup&lt;/b&gt; and ] brackets.",
        )
        pages.routes["/moved"] = Reply(301, {"Location": "/ok"})
        pages.routes["/missing"] = Reply(404, body=b"no")
        pages.routes["/consent"] = Reply(
            headers={"Content-Type": "text/html"}, body=CONSENT.encode()
        )
        oembed.routes[
            "/oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3Dabcdefghijk&format=json"
        ] = Reply(
            headers={"Content-Type": "application/json"},
            body=json.dumps(
                {"title": "A talk about caching", "provider_name": "YouTube", "type": "video"}
            ).encode(),
        )
        oembed.routes["/vimeo?url=https%3A%2F%2Fvimeo.com%2F36579366"] = Reply(
            headers={"Content-Type": "application/json"},
            body=json.dumps(
                {
                    "title": "Inventing on Principle",
                    "provider_name": "Vimeo",
                    "description": "Bret Victor's talk.",
                }
            ).encode(),
        )
        settings = tmp_path / "settings.toml"
        settings.write_text(
            f"""
[http]
site = "Test"
contact = "https://site.example/about/"
retries = 0
connect_timeout = 2.0
read_timeout = 2.0
[hosts.default]
concurrency = 2
delay = 0.0
[hosts."youtube.com"]
skip = true
reason = "tests never reach the internet"
[hosts."vimeo.com"]
skip = true
reason = "tests never reach the internet"
[fetch]
youtube_oembed = "{oembed.url("/oembed")}"
vimeo_oembed = "{oembed.url("/vimeo")}"
""",
            encoding="utf-8",
        )
        yield pages, oembed, settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_markdown_entries_in_order_with_failures_marked(sites, tmp_path, capsys) -> None:
    pages, _, settings = sites
    urls = [pages.url(p) for p in ("/ok", "/tricky", "/missing", "/moved", "/consent")]
    code, out, err = run(
        capsys, *urls, "--settings", str(settings), "--cache", str(tmp_path / "c.json")
    )
    assert code == 2
    entries = parse_digest("## Links\n\n" + out).entries
    assert [e.url for e in entries] == urls
    assert entries[0].title == "How queues fail"
    assert entries[0].summary == "A look at queues under load."
    assert entries[1].title == "Arrays [] & *stars* <script>x</script>"
    assert "<script>" not in out and "<b>" not in out
    assert entries[2].title == urls[2] and "FETCH FAILED (HTTP 404)" in entries[2].summary
    assert entries[3].title == "How queues fail"
    assert entries[4].title == urls[4] and "blocked" in entries[4].summary
    assert f"{urls[2]}: HTTP 404" in err and f"{urls[4]}: blocked" in err
    assert not pages.unexpected


def test_cache_spares_the_second_run_but_not_failures(sites, tmp_path, capsys) -> None:
    pages, _, settings = sites
    args = [
        pages.url("/ok"),
        pages.url("/missing"),
        "--settings",
        str(settings),
        "--cache",
        str(tmp_path / "c.json"),
    ]
    run(capsys, *args)
    first = len(pages.seen)
    code, out, _ = run(capsys, *args)
    assert code == 2 and "How queues fail" in out
    assert [s.path for s in pages.seen[first:]] == ["/missing"]


def test_video_uses_oembed(sites, tmp_path, capsys) -> None:
    _, oembed, settings = sites
    code, out, _ = run(
        capsys,
        "https://www.youtube.com/watch?v=abcdefghijk",
        "--json",
        "--settings",
        str(settings),
        "--no-cache",
    )
    assert code == 0
    info = json.loads(out)
    assert (info["title"], info["site_name"]) == ("A talk about caching", "YouTube")
    assert len(oembed.seen) == 1 and not oembed.unexpected


def test_urls_from_a_file_and_json_lines(sites, tmp_path, capsys) -> None:
    pages, _, settings = sites
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# March\n{pages.url('/ok')}\n\n{pages.url('/ok')}\n", encoding="utf-8")
    code, out, _ = run(
        capsys, "--file", str(listing), "--json", "--settings", str(settings), "--no-cache"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 2 and lines[0]["title"] == "How queues fail"
    assert len(pages.seen) == 1  # the same URL is fetched once


def test_offline_mode_reads_a_saved_page(tmp_path, capsys) -> None:
    saved = tmp_path / "page.html"
    saved.write_text(PAGE.format(title="Saved page", description="From disk."), encoding="utf-8")
    code, out, _ = run(capsys, "--html", str(saved), "--url", "https://example.org/p", "--json")
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("title", "description", "url")} == {
        "title": "Saved page",
        "description": "From disk.",
        "url": "https://example.org/p",
    }
    assert "site_name" in data


LONG_DESCRIPTION = "A sentence about queues that goes on for a while. " * 10


def test_offline_json_has_the_whole_description_and_the_cut_summary(tmp_path, capsys) -> None:
    saved = tmp_path / "page.html"
    saved.write_text(PAGE.format(title="Long", description=LONG_DESCRIPTION), encoding="utf-8")
    code, out, _ = run(capsys, "--html", str(saved), "--url", "https://example.org/p", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["description"] == LONG_DESCRIPTION.strip()
    assert len(data["summary"]) <= 300
    assert data["summary"].startswith("A sentence about queues") and data["summary"].endswith(".")
    assert data["description"].startswith(data["summary"])


def test_markdown_entry_quotes_the_summary_not_the_whole_description(tmp_path, capsys) -> None:
    saved = tmp_path / "page.html"
    saved.write_text(PAGE.format(title="Long", description=LONG_DESCRIPTION), encoding="utf-8")
    code, out, _ = run(capsys, "--html", str(saved), "--url", "https://example.org/p")
    quote = " ".join(line.removeprefix("> ") for line in out.splitlines() if line.startswith(">"))
    assert code == 0
    assert 0 < len(quote) <= 300
    assert LONG_DESCRIPTION.strip().startswith(quote)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "no URLs given"),
        (["--html", "x.html"], "--html needs --url"),
        (["https://example.org/", "--settings", "/nonexistent.toml"], "cannot read settings"),
    ],
)
def test_usage_errors_exit_1(argv, message, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err


def test_relative_url_is_reported_and_skipped(sites, capsys) -> None:
    pages, _, settings = sites
    code, out, err = run(
        capsys, "/relative", pages.url("/ok"), "--settings", str(settings), "--no-cache"
    )
    assert code == 2 and "/relative: not an absolute http(s) URL" in err
    assert "How queues fail" in out


def test_vimeo_uses_oembed_with_description(sites, capsys) -> None:
    _, oembed, settings = sites
    code, out, err = run(
        capsys, "https://vimeo.com/36579366", "--settings", str(settings), "--no-cache"
    )
    (entry,) = parse_digest("## V\n\n" + out).entries
    assert code == 0, err
    assert (entry.title, entry.summary) == ("Inventing on Principle", "Bret Victor's talk.")
    assert not oembed.unexpected


def test_urls_from_stdin_with_progress_on_stderr(sites, capsys, monkeypatch) -> None:
    pages, _, settings = sites
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pages.url('/ok')}\n{pages.url('/moved')}\n"))
    code, out, err = run(capsys, "--file", "-", "--settings", str(settings), "--no-cache")
    assert code == 0 and out.count("### [How queues fail]") == 2
    assert "fetch: 2/2" in err


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"ttl_day": 3}, "unknown setting 'ttl_day'"),
        ({"trim_site_suffix": "yes"}, "trim_site_suffix must be true or false"),
        ({"ttl_days": "a month"}, "ttl_days must be a number"),
        ({"youtube_oembed": 3}, "youtube_oembed must be a string"),
    ],
)
def test_bad_fetch_settings_name_the_file(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        parse_fetch_options({"fetch": table}, "linkdigest.toml")
    assert raised.value.path == "linkdigest.toml"
