"""The theme's template logic, read from real builds: digest cards, the head, archives,
pagination, the links page, the 404 page, budgets and colour contrast."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from linkdigest.format.urls import render_embed_url
from tests.conftest import ROOT, Build
from tests.test_site import PUBLISHED, article_path, soup

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

THEME = ROOT / "theme"
NEWEST_FIRST = sorted(PUBLISHED.items(), key=lambda item: item[1].metadata["date"], reverse=True)


def html_pages(build: Build) -> list[Path]:
    return sorted(p for p in build.output.rglob("*.html") if "pagefind" not in p.parts)


def json_ld(page: BeautifulSoup) -> dict[str, object]:
    scripts = page.select('script[type="application/ld+json"]')
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


@pytest.mark.parametrize("path", sorted(PUBLISHED), ids=lambda p: p.name)
def test_one_link_card_per_entry(example_site: Build, path: Path) -> None:
    digest = PUBLISHED[path]
    page = soup(example_site, article_path(digest.metadata))
    cards = page.select("article.link-card")
    assert len(cards) == len(digest.entries)
    for card, entry in zip(cards, digest.entries, strict=True):
        link = card.select_one("h3.link-title > a")
        assert link["href"] == entry.url and link.get_text() == entry.title
        assert card.select_one("h3 .domain").get_text() == entry.domain
        quote = card.select_one("blockquote.link-summary")
        assert (quote is not None) == bool(entry.summary)
        assert card["id"]
        frames = card.select("iframe")
        assert len(frames) == (1 if entry.is_video else 0)
        for frame in frames:
            assert frame["src"] == render_embed_url(entry.url)
            assert frame["loading"] == "lazy" and frame["title"].endswith(entry.title)
            assert frame.parent["class"] == ["video-embed"]


@pytest.mark.parametrize("path", sorted(PUBLISHED), ids=lambda p: p.name)
def test_digest_header_toc_and_sections(example_site: Build, path: Path) -> None:
    digest = PUBLISHED[path]
    page = soup(example_site, article_path(digest.metadata))
    assert [h.get_text() for h in page.select("main h1")] == [digest.metadata["title"]]
    meta = page.select_one(".post-header .meta").get_text(" ", strip=True)
    assert f"{len(digest.entries)} links" in meta and re.search(r"\d+ min read", meta)
    cover = page.select_one("img.cover")
    assert cover["src"].endswith(digest.metadata["header_cover"])
    assert cover["width"] and cover["height"] and cover.has_attr("alt")
    titled = [s for s in digest.sections if s.title]
    toc = page.select("nav.toc li a")
    assert [a.get_text() for a in toc] == [s.title for s in titled]
    for link in toc:
        target = page.find(id=link["href"][1:])
        assert target is not None and target.name == "h2"


def test_digests_link_to_their_neighbours(example_site: Build) -> None:
    for index, (_, digest) in enumerate(NEWEST_FIRST):
        page = soup(example_site, article_path(digest.metadata))
        older = page.select_one('nav.post-nav a[rel="prev"]')
        newer = page.select_one('nav.post-nav a[rel="next"]')
        if index + 1 < len(NEWEST_FIRST):
            assert NEWEST_FIRST[index + 1][1].metadata["title"] in older.get_text()
        else:
            assert older is None
        if index > 0:
            assert NEWEST_FIRST[index - 1][1].metadata["title"] in newer.get_text()
        else:
            assert newer is None  # the newer November digest is a draft: never linked


def test_home_puts_the_latest_digest_first(example_site: Build) -> None:
    page = soup(example_site, "index.html")
    latest = NEWEST_FIRST[0][1].metadata
    feature = page.select_one("main article.feature")
    assert feature.select_one("h2 a").get_text() == latest["title"]
    assert feature.select_one("img")["src"].endswith(latest["header_cover"])
    listed = [a.get_text() for a in page.select("section.recent .card-title a")]
    assert latest["title"] not in listed and listed
    chips = feature.select(".chips a")
    assert chips and all("#" in a["href"] for a in chips)
    months = page.select("nav.months a")
    assert any(a["href"].rstrip("/").endswith("2026/10") for a in months)


def test_every_page_has_the_basics(example_site: Build) -> None:
    for path in html_pages(example_site):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        where = path.relative_to(example_site.output)
        assert page.html["lang"] == "en", where
        assert len(page.select("h1")) == 1, where
        assert page.select_one('a.skip-link[href="#main"]') and page.select_one("main#main"), where
        assert page.select_one('link[rel="canonical"]')["href"].startswith("http"), where
        assert page.select_one('meta[name="description"]')["content"].strip(), where
        assert len(page.select('meta[name="theme-color"][media]')) == 2, where
        assert page.select_one('link[rel="icon"]'), where
        types = {link["type"] for link in page.select('link[rel="alternate"]')}
        assert {"application/atom+xml", "application/rss+xml"} <= types, where
        for image in page.select("main img"):
            assert image.has_attr("alt") and image.get("width") and image.get("height"), where
        for frame in page.select("iframe"):
            assert frame.get("title") and frame.get("loading") == "lazy", where


def test_open_graph_and_json_ld(production_site: Build) -> None:
    latest = NEWEST_FIRST[0][1].metadata
    page = soup(production_site, article_path(latest))
    url = f"https://links.example.org/{article_path(latest).removesuffix('index.html')}"
    og = {m["property"]: m["content"] for m in page.select("meta[property]")}
    assert og["og:type"] == "article" and og["og:url"] == url
    assert og["og:title"] == latest["title"]
    assert og["og:image"] == "https://links.example.org" + latest["header_cover"]
    assert page.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
    data = json_ld(page)
    assert data["@type"] == "BlogPosting" and data["headline"] == latest["title"]
    assert data["url"] == url and data["datePublished"].startswith(latest["date"][:10])
    home = json_ld(soup(production_site, "index.html"))
    assert home["@type"] == "Blog" and home["url"] == "https://links.example.org/"
    assert url in [post["url"] for post in home["blogPost"]]


def test_category_and_tag_pages_advertise_their_feeds(example_site: Build) -> None:
    for relative, feed in [
        ("category/summary/index.html", "feeds/category/summary"),
        ("tag/python/index.html", "feeds/tag/python"),
    ]:
        page = soup(example_site, relative)
        hrefs = [link["href"] for link in page.select('link[rel="alternate"]')]
        assert any(h.endswith(f"{feed}.atom.xml") for h in hrefs), relative
        assert any(h.endswith(f"{feed}.rss.xml") for h in hrefs), relative
        assert (example_site.output / f"{feed}.atom.xml").exists()


def test_month_and_year_archives(example_site: Build) -> None:
    july = soup(example_site, "2026/07/index.html")
    assert july.select_one("h1").get_text() == "July 2026"
    titles = [a.get_text() for a in july.select("main .card-title a")]
    assert titles == ["Month summary - July 2026", "Reading feeds in 2026"]
    earlier = july.select_one('nav.post-nav a[rel="prev"]')
    later = july.select_one('nav.post-nav a[rel="next"]')
    assert "June 2026" in earlier.get_text() and earlier["href"].endswith("2026/06/")
    assert "August 2026" in later.get_text() and later["href"].endswith("2026/08/")
    newest = soup(example_site, "2026/10/index.html")  # November holds only a draft
    assert newest.select_one('nav.post-nav a[rel="next"]') is None
    year = soup(example_site, "2026/index.html")
    months = [a["href"] for a in year.select("main h2 a")]
    assert months[0].endswith("2026/10/") and months[-1].endswith("2026/05/")
    archives = soup(example_site, "archives/index.html")
    assert archives.select_one("h3.archive-month a")["href"].endswith("2026/10/")


def test_pagination(tiny_site) -> None:
    posts = {
        f"posts/post-{n}.md": f"""\
            Title: Post number {n}
            Date: 2026-0{n}-15
            Category: notes
            Summary: Summary of post {n}.

            Body of post {n}.
            """
        for n in range(1, 6)
    }
    build = tiny_site(posts, extra="DEFAULT_PAGINATION = 2\n")
    assert build.returncode == 0, build.log
    first, second = soup(build, "index.html"), soup(build, "page/2/index.html")
    last = soup(build, "page/3/index.html")
    assert [a.get_text() for a in first.select(".card-title a")] == [
        "Post number 5",
        "Post number 4",
    ]
    assert "Page 2 of 3" in second.select_one("nav.pagination").get_text()
    assert second.select_one('nav.pagination a[rel="prev"]')["href"] == "../../index.html"
    assert second.select_one('nav.pagination a[rel="next"]')["href"].endswith("page/3/")
    assert last.select_one('nav.pagination a[rel="next"]') is None
    # Every month is listed once, on the first page: not repeated on every page of posts.
    assert len(first.select("nav.months a")) > 1 and second.select_one("nav.months") is None
    assert second.select_one('link[rel="canonical"]')["href"].endswith("/page/2/")
    assert second.select_one("title").get_text().startswith("Page 2")


def test_not_found_page(example_site: Build, production_site: Build) -> None:
    for build, base in [
        (example_site, "http://127.0.0.1:8000"),
        (production_site, "https://links.example.org"),
    ]:
        page = soup(build, "404.html")
        assert page.select_one("h1").get_text() == "Page not found"
        assert page.select_one('meta[name="robots"]')["content"] == "noindex"
        # Served at any depth: every link and the stylesheet must be absolute.
        for ref in [a["href"] for a in page.select("a[href]") if a["href"][0] != "#"] + [
            page.select_one('link[rel="stylesheet"]')["href"]
        ]:
            assert ref.startswith(base), ref
        assert any("links/" in a["href"] for a in page.select("main a"))


def test_links_page_filter_is_an_enhancement(example_site: Build) -> None:
    page = soup(example_site, "links/index.html")
    form = page.select_one("form[data-links-filter]")
    assert form.has_attr("hidden")  # shown by the script; without it the full list is there
    field = form.select_one("input[type=search]")
    assert form.select_one(f'label[for="{field["id"]}"]')
    assert form.select_one('[role="status"][aria-live="polite"]')
    script = page.select_one('script[src$="links-filter.js"]')
    assert script.has_attr("defer")
    rows = page.select(".link-list li")
    assert rows and all(r.select_one(".domain") and r.select_one(".link-list-meta a") for r in rows)


def test_budgets(example_site: Build) -> None:
    css = sum(p.stat().st_size for p in (example_site.output / "theme").rglob("*.css"))
    js = sum(p.stat().st_size for p in (example_site.output / "theme").rglob("*.js"))
    assert css <= 30_000 and js <= 20_000, (css, js)
    home = example_site.read("index.html").encode()
    assert len(home) + css + js <= 150_000


def parse_tokens(css: str) -> tuple[dict[str, str], dict[str, str]]:
    tokens = css[css.index("@layer tokens {") :]
    light = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", tokens.split("@media")[0]))
    dark_block = tokens[tokens.index("prefers-color-scheme: dark") :].split("}")[0]
    return light, {**light, **dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", dark_block))}


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


TEXT_ON = [
    ("fg", "bg"),
    ("fg", "card"),
    ("fg", "quote"),
    ("muted", "bg"),
    ("muted", "card"),
    ("muted", "quote"),
    ("accent", "bg"),
    ("accent", "card"),
    ("accent", "quote"),
    ("accent", "accent-soft"),
    ("accent-visited", "bg"),
    ("accent-visited", "card"),
    *[(f"code-{kind}", "quote") for kind in ("comment", "keyword", "string", "name", "number")],
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colour_contrast_meets_wcag_aa(scheme: str) -> None:
    light, dark = parse_tokens((THEME / "static/css/main.css").read_text(encoding="utf-8"))
    tokens = light if scheme == "light" else dark
    for text, background in TEXT_ON:
        ratio = contrast(tokens[text], tokens[background])
        assert ratio >= 4.5, f"{scheme}: --{text} on --{background} is {ratio:.2f}:1"
    assert contrast(tokens["focus"], tokens["bg"]) >= 3  # a focus ring is a UI component
