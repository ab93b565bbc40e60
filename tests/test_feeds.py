"""Feeds as feed readers see them: parsed with feedparser."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest

from linkdigest.format.digest import is_digest, parse_digest
from tests.conftest import CONTENT, Build

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

POSTS = [parse_digest(p.read_text(encoding="utf-8")) for p in sorted(CONTENT.glob("posts/*.md"))]
PUBLISHED = [p for p in POSTS if p.metadata.get("status", "published") == "published"]
URL_ATTRIBUTE = re.compile(r"""\s(?:href|src)=["']([^"']*)["']""")


def feed_files(build: Build) -> list[Path]:
    return sorted((build.output / "feeds").rglob("*.xml"))


def expected_count(feed: Path) -> int:
    name = feed.name.split(".")[0]
    if feed.parent.name == "category":
        return sum(1 for p in PUBLISHED if p.metadata["category"].lower() == name)
    if feed.parent.name == "tag":
        return sum(
            1
            for p in PUBLISHED
            if name in [t.strip().lower() for t in p.metadata.get("tags", "").split(",")]
        )
    return min(20, len(PUBLISHED))


@pytest.mark.parametrize("fixture", ["example_site", "production_site"])
def test_every_feed_parses_with_the_right_entries(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    build: Build = request.getfixturevalue(fixture)
    feeds = feed_files(build)
    names = {f.relative_to(build.output / "feeds").as_posix() for f in feeds}
    assert {
        "all.atom.xml",
        "all.rss.xml",
        "category/summary.atom.xml",
        "category/summary.rss.xml",
        "tag/python.atom.xml",
        "tag/python.rss.xml",
    } <= names
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo == 0, (feed, parsed.get("bozo_exception"))
        assert len(parsed.entries) == expected_count(feed), feed
        for entry in parsed.entries:
            assert entry.link.startswith("http"), entry.link
            assert entry.id
            html = entry.content[0].value if "content" in entry else entry.summary
            for url in URL_ATTRIBUTE.findall(html):
                assert re.match(r"^(https?:|mailto:)", url), (feed, entry.title, url)


def test_digest_entry_carries_its_links(production_site: Build) -> None:
    parsed = feedparser.parse(production_site.read("feeds/all.atom.xml"))
    by_title = {e.title: e for e in parsed.entries}
    digests = [p for p in PUBLISHED if is_digest(p.metadata)]
    for digest in digests:
        if digest.metadata["title"] not in by_title:
            continue  # older than FEED_MAX_ITEMS
        content = by_title[digest.metadata["title"]].content[0].value
        for entry in digest.entries:
            assert f'href="{entry.url.replace("&", "&amp;")}"' in content, entry.url
    assert any(d.metadata["title"] in by_title for d in digests)
    assert len(parsed.entries) == len({e.id for e in parsed.entries})


POST = """\
Title: A post about caching
Date: 2026-03-01 10:00
{modified}Category: notes
Tags: web
Slug: caching

Read [the guide](/guide/) and ![a chart]({{static}}/images/chart.png) and [home](../).
"""


def test_entry_id_is_stable_when_modified_changes(tiny_site) -> None:
    first = tiny_site(
        {
            "posts/caching.md": POST.format(modified="Modified: 2026-03-02\n"),
            "images/chart.png": b"\x89PNG\r\n",
        },
        production=True,
        fatal=True,
    )
    assert first.returncode == 0, first.log
    before = feedparser.parse(first.read("feeds/all.atom.xml")).entries[0]
    second = tiny_site(
        {"posts/caching.md": POST.format(modified="Modified: 2026-04-05 09:30\n")},
        production=True,
        fatal=True,
    )
    assert second.returncode == 0, second.log
    after = feedparser.parse(second.read("feeds/all.atom.xml")).entries[0]
    assert after.id == before.id
    assert before.updated.startswith("2026-03-02")
    assert after.updated.startswith("2026-04-05T09:30")
    assert after.published.startswith("2026-03-01T10:00")


def test_relative_links_in_content_become_absolute(tiny_site) -> None:
    build = tiny_site(
        {"posts/caching.md": POST.format(modified=""), "images/chart.png": b"\x89PNG\r\n"},
        production=True,
        fatal=True,
    )
    assert build.returncode == 0, build.log
    for name in ("feeds/all.atom.xml", "feeds/all.rss.xml"):
        entry = feedparser.parse(build.read(name)).entries[0]
        html = entry.content[0].value if "content" in entry else entry.summary
        assert 'href="https://links.example.org/guide/"' in html
        assert 'src="https://links.example.org/images/chart.png"' in html
        assert 'href="https://links.example.org/posts/2026/03/"' in html
