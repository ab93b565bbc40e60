"""`scripts/draft.py` end to end: golden drafts, re-run merges, refusals, local servers, Pelican.

Golden files are refreshed with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest
tests/test_draft_cli.py`` and reviewed as a diff.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkdigest.format.digest import parse_digest
from linkdigest.format.urls import normalise_url
from scripts.draft import main
from tests.conftest import run_pelican
from tests.servers import LocalServer, Reply, start_servers

FIXTURES = Path(__file__).parent / "fixtures" / "draft"
GOLDEN = Path(__file__).parent / "golden" / "draft"
DRAFT = Path("content/posts/2026-11-links.md")
# The three links no source gives a title for, as an earlier fetch left them in the cache.
CACHED = {
    "https://example.org/autolink": ("The autolink page", "What the page says about itself."),
    "https://security.example.org/advisory-2026-11": ("Advisory 2026-11", "A CSP bypass."),
    "https://example.fr/article": ("Un article", "Le résumé de la page."),
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES, root)
    cache = {
        normalise_url(url): {
            "stored": time.time(),
            "value": {"url": url, "title": t, "description": d},
        }
        for url, (t, d) in CACHED.items()
    }
    (tmp_path / "cache.json").write_text(json.dumps({"version": 1, "entries": cache}), "utf-8")
    return root


def draft(site: Path, *extra: str, month: str = "2026-11") -> int:
    return main(
        [
            month,
            "--settings",
            str(site / "linkdigest.toml"),
            "--cache",
            str(site.parent / "cache.json"),
            *extra,
        ]
    )


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"differs from {golden}"


def test_new_draft_matches_the_golden_file(site: Path, capsys) -> None:
    # The fixtures hold bad input on purpose: warnings, each at its source:line; exit 0.
    assert draft(site, "--offline") == 0
    text = (site / DRAFT).read_text(encoding="utf-8")
    check_golden("2026-11-new.md", text)
    digest = parse_digest(text)
    assert digest.metadata["status"] == "draft" and digest.metadata["date"] == "2026-11-30"
    assert not digest.problems
    err = capsys.readouterr().err
    assert "sources/inbox.txt:8: no URL in 'not a url at all'; one http(s) URL per line" in err
    assert "sources/starred-rss2.xml:39: entry 'A date nobody can read'" in err
    assert "sources/broken.xml:4: not a well-formed feed" in err
    assert "sources/bookmarks-broken.html:9: bookmark 'Empty href'" in err
    assert (
        "sources/inbox.txt:11: https://blog.example.net/already-published was already "
        "published (content/posts/2026-10-links.md:13); left out" in err
    )
    assert "example.org/autolink" not in err  # the ordinary post's link does not count
    assert list((site / DRAFT.parent).glob("*.bak")) == []


def test_rerun_merges_new_links_and_keeps_every_edited_line(site: Path, capsys) -> None:
    draft(site, "--offline")
    path = site / DRAFT
    text = path.read_text(encoding="utf-8")
    edited = (
        text.replace("<!-- The month's introduction. -->", "My intro, written *by hand*.\n\nMore.")
        .replace("### [One bold](", "### [One bold, retitled by me](")
        .replace("> Still the list to start from", "> Still the list to start from, I say.  ")
        .replace("## Deutsch\n", "## Deutsch\n\nEin Absatz, den ich geschrieben habe.\n")
    )
    path.write_text(edited, encoding="utf-8")
    with (site / "sources/inbox.txt").open("a", encoding="utf-8") as inbox:
        inbox.write("https://owasp.example.org/cheat-sheets A late addition\n")
        inbox.write("## Deutsch\nhttps://example.de/neu Noch ein Link\n")
        inbox.write("## Tools\nhttps://tools.example.org/make Make, again\n")
    capsys.readouterr()

    assert draft(site, "--offline") == 0
    merged = path.read_text(encoding="utf-8")
    check_golden("2026-11-merged.md", merged)
    it = iter(merged.splitlines(keepends=True))
    assert all(line in it for line in edited.splitlines(keepends=True))
    assert "My intro, written *by hand*." in merged
    assert "> Still the list to start from, I say.  \n" in merged
    sections = parse_digest(merged).sections
    security = next(s for s in sections if s.title == "Security")
    assert security.entries[-1].url == "https://owasp.example.org/cheat-sheets"
    deutsch = next(s for s in sections if s.title == "Deutsch")
    assert deutsch.prose == "Ein Absatz, den ich geschrieben habe."
    assert deutsch.entries[-1].url == "https://example.de/neu"
    assert sections[-1].title == "Tools"  # unknown to the settings: added at the end
    (backup,) = (site / DRAFT.parent).glob("*.bak")
    assert backup.read_text(encoding="utf-8") == edited
    assert "merged into" in capsys.readouterr().err

    assert draft(site, "--offline") == 0
    assert path.read_text(encoding="utf-8") == merged  # nothing new: nothing changes
    assert len(list((site / DRAFT.parent).glob("*.bak"))) == 1
    assert "nothing new" in capsys.readouterr().err


def test_strict_makes_a_skipped_line_exit_2_and_still_writes_the_draft(site: Path, capsys) -> None:
    assert draft(site, "--offline", "--strict") == 2
    assert (site / DRAFT).read_text(encoding="utf-8") == (GOLDEN / "2026-11-new.md").read_text(
        encoding="utf-8"
    )
    assert "sources/inbox.txt:8: no URL in 'not a url at all'" in capsys.readouterr().err


def test_dry_run_prints_and_writes_nothing(site: Path, capsys) -> None:
    assert draft(site, "--offline", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out == (GOLDEN / "2026-11-new.md").read_text(encoding="utf-8")
    assert not (site / DRAFT).exists()


def test_a_published_digest_is_never_touched(site: Path, capsys) -> None:
    path = site / "content/posts/2026-10-links.md"
    before = path.read_bytes()
    assert draft(site, "--offline", month="2026-10") == 1
    assert path.read_bytes() == before
    assert list(path.parent.glob("*.bak")) == []
    err = capsys.readouterr().err
    assert "2026-10-links.md:7: Status is published, not draft" in err


def test_a_clean_month_exits_0(site: Path, capsys) -> None:
    settings = site / "linkdigest.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.split("[[draft.sources]]")[0] + "[[draft.sources]]\n"
        'type = "feed"\npath = "sources/rss1.rdf"\n',
        encoding="utf-8",
    )
    assert draft(site, "--offline") == 0
    assert "An RDF item" in (site / DRAFT).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "which month?"),
        (["2026-13"], "is not YYYY-MM"),
        (["2026-11", "--bogus"], ""),
        (["2026-11", "--settings", "/nonexistent/linkdigest.toml"], "cannot read settings"),
    ],
)
def test_usage_errors_exit_1(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_bad_settings_name_the_file(site: Path, capsys) -> None:
    settings = site / "linkdigest.toml"
    settings.write_text(
        settings.read_text("utf-8") + '\n[[draft.rules]]\nsection = "X"\n'
        "domain = ['a.example']\n",
        encoding="utf-8",
    )
    assert draft(site, "--offline") == 1
    assert "linkdigest.toml: [draft.rules]: unknown setting 'domain'" in capsys.readouterr().err


PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{0}</title>'
    '<meta name="description" content="{1}"></head><body><p>Body.</p></body></html>'
)
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Starred</title>
<item><title>From the served feed</title><link>{0}/starred-page</link>
<pubDate>Tue, 10 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[LocalServer, Path]]:
    for (server,) in start_servers(["127.0.0.8"]):
        root = tmp_path / "online"
        (root / "content").mkdir(parents=True)
        html = {"Content-Type": "text/html; charset=utf-8"}
        server.routes["/feed.xml"] = Reply(body=FEED.format(server.url("")).encode())
        server.routes["/page"] = Reply(
            headers=html, body=PAGE.format("A fetched &lt;title&gt;", "Its description.").encode()
        )
        server.routes["/missing"] = Reply(404, body=b"gone")
        server.routes["/starred-page"] = Reply(
            headers=html, body=PAGE.format("Another title", "What the starred page says.").encode()
        )
        server.routes["/oembed?url=https%3A%2F%2Fyoutu.be%2Fabcdefghijk&format=json"] = Reply(
            headers={"Content-Type": "application/json"},
            body=json.dumps({"title": "A talk about caching", "type": "video"}).encode(),
        )
        (root / "inbox.txt").write_text(
            f"{server.url('/page')}\n{server.url('/missing')}\nhttps://youtu.be/abcdefghijk\n"
            f"{server.url('/page')}?utm_source=again  My own note wins\n",
            encoding="utf-8",
        )
        (root / "linkdigest.toml").write_text(
            f"""
[http]
retries = 0
connect_timeout = 2.0
read_timeout = 2.0
[hosts.default]
delay = 0.0
[hosts."youtu.be"]
skip = true
reason = "tests never reach the internet"
[fetch]
youtube_oembed = "{server.url("/oembed")}"
[draft]
[[draft.sources]]
type = "inbox"
path = "inbox.txt"
[[draft.sources]]
type = "feed"
url = "{server.url("/feed.xml")}"
""",
            encoding="utf-8",
        )
        yield server, root


def test_titles_and_feeds_come_over_the_network(servers, capsys) -> None:
    server, root = servers
    cache = root / "cache.json"
    argv = ["2026-11", "--settings", str(root / "linkdigest.toml"), "--cache", str(cache)]
    assert main(argv) == 0
    text = (root / DRAFT).read_text(encoding="utf-8")
    assert f"### [A fetched &lt;title&gt;]({server.url('/page')})\n\n> My own note wins\n" in text
    assert f"### []({server.url('/missing')})\n" in text  # left for fill mode to complete
    assert "### [A talk about caching](https://youtu.be/abcdefghijk)" in text
    assert 'embed/abcdefghijk"\ntitle="A talk about caching" allowfullscreen>' in text
    assert f"### [From the served feed]({server.url('/starred-page')})" in text
    assert "> What the starred page says.\n" in text  # the feed had a title but no summary
    assert server.unexpected == []
    err = capsys.readouterr().err
    assert f"inbox.txt:2: {server.url('/missing')}: no title (HTTP 404)" in err
    assert json.loads(cache.read_text("utf-8"))["entries"]  # fetched titles were cached


def test_offline_never_opens_a_connection(servers, capsys) -> None:
    server, root = servers
    argv = ["2026-11", "--settings", str(root / "linkdigest.toml"), "--no-cache", "--offline"]
    assert main(argv) == 0  # the feed at a URL was skipped: a warning
    assert server.seen == []
    assert "offline: feed not read" in capsys.readouterr().err


@pytest.mark.slow
def test_pelican_builds_the_drafted_digest(site: Path, tmp_path: Path) -> None:
    draft(site, "--offline")
    (tmp_path / "build").mkdir()
    build = run_pelican(site / "content", tmp_path / "build")
    assert build.returncode == 0, build.log
    page = build.read("drafts/2026-november-links/index.html")
    assert "Tom &amp; Jerry\u2019s guide to [brackets] and *stars*" in page
    assert "youtube-nocookie.com/embed/abcdefghijk" in page
    assert "digest: " not in build.log  # no digest problem reported for the draft
