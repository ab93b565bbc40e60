"""The real example site, built with the real theme and plugins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from linkdigest.checking.internal import check_internal_links
from linkdigest.format.digest import is_digest, parse_digest
from tests.conftest import CONTENT, Build

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

POSTS = sorted(CONTENT.glob("posts/*.md"))
SOURCES = {path: parse_digest(path.read_text(encoding="utf-8")) for path in POSTS}
DIGESTS = {path: digest for path, digest in SOURCES.items() if is_digest(digest.metadata)}
PUBLISHED = {p: d for p, d in DIGESTS.items() if d.metadata.get("status") != "draft"}
DRAFTS = {p: d for p, d in SOURCES.items() if d.metadata.get("status") == "draft"}


def article_path(digest_metadata: dict[str, str] | object, draft: bool = False) -> str:
    meta = dict(digest_metadata)  # type: ignore[call-overload]
    if draft:
        return f"drafts/{meta['slug']}/index.html"
    year, month = meta["date"][:4], meta["date"][5:7]
    return f"posts/{year}/{month}/{meta['slug']}/index.html"


def soup(build: Build, relative: str) -> BeautifulSoup:
    return BeautifulSoup(build.read(relative), "html.parser")


def test_example_content_is_a_real_blog() -> None:
    assert len(PUBLISHED) >= 6
    assert len(DRAFTS) >= 1 and any(p in DIGESTS for p in DRAFTS)
    assert len(SOURCES) - len(DIGESTS) >= 3
    for path, digest in DIGESTS.items():
        assert digest.problems == (), path
        assert 15 <= len(digest.entries) <= 40, path
        assert sum(1 for s in digest.sections if s.entries) >= 4, path
        assert "{static}/images/" in digest.intro, path
    assert any(e.is_video for d in DIGESTS.values() for e in d.entries)
    assert (CONTENT / "pages" / "about.md").is_file()


def test_build_is_clean(example_site: Build) -> None:
    assert "WARNING" not in example_site.log and "ERROR" not in example_site.log


@pytest.mark.parametrize("path", sorted(DIGESTS), ids=lambda p: p.name)
def test_entry_count_in_html_equals_source(example_site: Build, path: Path) -> None:
    digest = DIGESTS[path]
    page = soup(example_site, article_path(digest.metadata, path in DRAFTS))
    cards = page.select("main .link-card")
    assert len(cards) == len(digest.entries)
    assert [c.h3.a["href"] for c in cards] == [e.url for e in digest.entries]
    assert [c.h3.a.get_text() for c in cards] == [e.title for e in digest.entries]
    assert f"{len(digest.entries)} links" in page.select_one("main .meta").get_text()


@pytest.mark.parametrize("path", sorted(PUBLISHED), ids=lambda p: p.name)
def test_entries_show_domain_summary_and_embed(example_site: Build, path: Path) -> None:
    digest = PUBLISHED[path]
    page = soup(example_site, article_path(digest.metadata))
    for entry, card in zip(digest.entries, page.select("main .link-card"), strict=True):
        assert card.select_one(".domain").get_text() == entry.domain
        assert bool(card.select_one("blockquote")) == bool(entry.summary)
        if entry.is_video and "iframe" in entry.extra:
            iframe = card.select_one("iframe")
            assert iframe["title"]
            assert iframe["src"].startswith(
                ("https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/")
            )


def test_featured_before_points_at_the_earlier_digest(example_site: Build) -> None:
    notes = [
        (path, note)
        for path, digest in PUBLISHED.items()
        for note in soup(example_site, article_path(digest.metadata)).select(".featured-before")
    ]
    assert notes, "the example content repeats a link across digests"
    for _path, note in notes:
        target = note.a["href"]
        assert "posts/" in target


def test_links_page_and_json(example_site: Build) -> None:
    expected = sum(len(d.entries) for d in PUBLISHED.values())
    data = json.loads(example_site.read("links.json"))
    assert data["count"] == expected == len(data["links"])
    dates = [link["digest"]["date"] for link in data["links"]]
    assert dates == sorted(dates, reverse=True)
    assert {"title", "url", "domain", "section", "summary", "digest"} <= set(data["links"][0])
    page = soup(example_site, "links/index.html")
    assert len(page.select("main .link-list li")) == expected
    months = [h.get_text() for h in page.select("main h2")]
    assert len(months) == len(PUBLISHED) and months[0].endswith(str(dates[0][:4]))
    draft_urls = {e.url for p, d in DRAFTS.items() if p in DIGESTS for e in d.entries}
    published_urls = {e.url for d in PUBLISHED.values() for e in d.entries}
    assert not {link["url"] for link in data["links"]} & (draft_urls - published_urls)


@pytest.mark.parametrize("fixture", ["example_site", "production_site"])
def test_every_internal_link_resolves(fixture: str, request: pytest.FixtureRequest) -> None:
    build: Build = request.getfixturevalue(fixture)
    site_url = (
        "https://links.example.org" if fixture == "production_site" else "http://127.0.0.1:8000"
    )
    assert check_internal_links(build.output, site_url) == []


def test_drafts_are_visible_locally(example_site: Build) -> None:
    for digest in DRAFTS.values():
        assert (example_site.output / article_path(digest.metadata, draft=True)).is_file()
        assert digest.metadata["title"] in example_site.read("index.html")


def test_no_draft_in_production(production_site: Build) -> None:
    assert not (production_site.output / "drafts").exists()
    for digest in DRAFTS.values():
        slug, title = digest.metadata["slug"], digest.metadata["title"]
        for file in production_site.output.rglob("*"):
            if file.suffix in (".html", ".xml", ".json", ".txt"):
                text = file.read_text(encoding="utf-8")
                assert slug not in text and title not in text, file


def test_production_has_sitemap_and_robots(production_site: Build, example_site: Build) -> None:
    sitemap = production_site.read("sitemap.xml")
    for digest in PUBLISHED.values():
        assert f"https://links.example.org/{article_path(digest.metadata)[:-10]}" in sitemap
    assert "Sitemap: https://links.example.org/sitemap.xml" in production_site.read("robots.txt")
    assert not (example_site.output / "sitemap.xml").exists()


def test_build_changes_nothing_in_content(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.conftest import run_pelican

    before = {p: p.read_bytes() for p in CONTENT.rglob("*") if p.is_file()}
    build = run_pelican(CONTENT, tmp_path_factory.mktemp("unchanged"))
    assert build.returncode == 0
    after = {p: p.read_bytes() for p in CONTENT.rglob("*") if p.is_file()}
    assert after == before
