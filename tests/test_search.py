"""Search: what goes into the index, the index a real build writes, and searching it for real
(Pagefind's own runtime under Node, and the whole page in headless Chromium when present)."""

from __future__ import annotations

import base64
import gzip
import html
import json
import mimetypes
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import pytest
from bs4 import BeautifulSoup
from markdown import Markdown

from linkdigest.format.digest import parse_digest
from linkdigest.site.html import DigestRef, render_digest_html
from linkdigest.site.linkspage import DigestSource
from linkdigest.site.search import (
    FINGERPRINT_FILE,
    ContentRef,
    FileListScanner,
    SearchDocument,
    SearchError,
    count_search_documents,
    select_search_documents,
    swap_folder,
    write_bundle_files,
    write_search_index,
)
from tests.conftest import ROOT, Build
from tests.servers import LocalServer, Reply, Seen

THEME = ROOT / "theme"
SEARCH_JS = THEME / "static" / "js" / "search.js"
EVIL_TITLE = "A <img src=x onerror=alert(1)> trap"

DIGEST = """\
Title: Month summary - March 2026
Date: 2026-03-31
Category: summary
Tags: links
Slug: 2026-march-links
Summary: March links.

# March 2026

Mostly about sourdough starters this month.

## Articles

### [How queues fail under load](https://example.org/queues-under-load)

> Backpressure explained with bakery lines.

### [{evil}](https://evil.example/trap)

> A summary with <b>bold</b> claims & more.

## Videos

### [Caching talk](https://www.youtube.com/watch?v=abcdefghijk)

> Zeppelin metaphors throughout.
"""

DRAFT_DIGEST = """\
Title: Month summary - April 2026
Date: 2026-04-30
Category: summary
Slug: 2026-april-links
Status: draft

## Articles

### [Unpublished marmalade link](https://example.org/marmalade)

> Never searchable.
"""

POST = """\
Title: Notes on kombucha
Date: 2026-03-10
Category: notes
Tags: links, drinks
Slug: kombucha

Fermentation takes patience.
"""

HIDDEN = """\
Title: Hidden lighthouse post
Date: 2026-03-11
Category: notes
Slug: hidden-post
Status: hidden

Lighthouse keepers only.
"""

PAGE = """\
Title: About
Slug: about

Written by a cartographer.
"""


def site_files() -> dict[str, str]:
    return {
        "posts/2026-03-links.md": DIGEST.replace("{evil}", EVIL_TITLE),
        "posts/2026-04-links.md": DRAFT_DIGEST,
        "posts/kombucha.md": POST,
        "posts/hidden.md": HIDDEN,
        "pages/about.md": PAGE,
    }


def digest_source(published: bool = True) -> DigestSource:
    text = DIGEST.replace("{evil}", EVIL_TITLE)
    digest = render_digest_html(parse_digest(text), Markdown(output_format="html").convert)
    ref = DigestRef("Month summary - March 2026", "posts/2026/03/2026-march-links/", "2026-03-31")
    return DigestSource(ref, digest, published)


def read_fragments(output: Path) -> list[dict]:
    """Every document of a built Pagefind index, as Pagefind stored it."""
    fragments = []
    for path in (output / "pagefind" / "fragment").iterdir():
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        fragments.append(json.loads(data[len(b"pagefind_dcd") :]))
    return fragments


# --- what is indexed --------------------------------------------------------------------


def test_only_published_posts_and_pages_are_indexed() -> None:
    items = [
        ContentRef("posts/a/", "A", "published", "<p>alpha</p>"),
        ContentRef("drafts/b/", "B", "draft", "<p>beta</p>"),
        ContentRef("posts/c/", "C", "hidden", "<p>gamma</p>"),
        ContentRef("about/", "About", "published", "<p>delta</p>"),
    ]
    documents = select_search_documents(items, [], "en")
    assert [d.url for d in documents] == ["/posts/a/", "/about/"]
    assert "<h1>A</h1>" in documents[0].html and "alpha" in documents[0].html


def test_a_digest_is_indexed_as_its_prose_and_as_its_links() -> None:
    source = digest_source()
    item = ContentRef(source.ref.url, source.ref.title, "published", "<h3>every link</h3>")
    post, links = select_search_documents([item], [source], "en")
    assert post.url == "/posts/2026/03/2026-march-links/"
    assert "sourdough" in post.html and "<h2>Articles</h2>" in post.html
    assert "queues" not in post.html  # the links are the other document's
    assert links.url == "/posts/2026/03/2026-march-links/#links"
    page = BeautifulSoup(links.html, "html.parser")
    assert page.main["data-pagefind-filter"] == "kind:link"
    headings = page.select("main > h3[id]")
    assert [h["id"] for h in headings] == [e.anchor for e in source.digest.entries]
    # Text, not an element, and escaped once more: what Pagefind stores is escaped text.
    assert headings[1].get_text() == html.escape(EVIL_TITLE, quote=False)
    assert not page.select("main img")
    where = json.loads(page.select_one('[data-pagefind-meta="links"]').get_text())
    expected = [[e.domain, s.title] for s in source.digest.sections for e in s.entries]
    assert where == expected and where[0] == ["example.org", "Articles"]  # heading by heading
    assert page.select_one('[data-pagefind-meta="title"]').get_text() == source.ref.title


def test_only_the_link_headings_of_a_links_document_carry_ids() -> None:
    # Written by someone else: headings and ids inside summaries, quoted every way.
    text = DIGEST.replace(
        "> Backpressure explained with bakery lines.",
        """> Backpressure <h3 id="sneaky">Inner</h3> <span ID='x' class="c">y</span>"""
        """ <b id=z>bold</b> <i data-note="id=no" id>it</i> <a href="/x?id=1">q</a>""",
    )
    digest = render_digest_html(parse_digest(text), Markdown(output_format="html").convert)
    ref = DigestRef("Month summary - March 2026", "posts/2026/03/2026-march-links/", "2026-03-31")
    _, links = select_search_documents(
        [ContentRef(ref.url, ref.title, "published", "")], [DigestSource(ref, digest, True)], "en"
    )
    page = BeautifulSoup(links.html, "html.parser")
    assert [tag["id"] for tag in page.select("[id]")] == [e.anchor for e in digest.entries]
    assert [h.get_text() for h in page.select("h3")][1] == "Inner"  # the text stays
    assert page.select_one("span")["class"] == ["c"] and page.select_one("a")["href"] == "/x?id=1"
    assert page.select_one("i")["data-note"] == "id=no"
    where = json.loads(page.select_one('[data-pagefind-meta="links"]').get_text())
    assert len(where) == len(page.select("h3[id]")) == 3


def test_unpublished_digests_give_no_links() -> None:
    item = ContentRef("posts/2026/03/2026-march-links/", "M", "draft", "")
    assert select_search_documents([item], [digest_source(published=False)], "en") == []


def test_documents_are_counted_as_they_would_be_made() -> None:
    published, draft = digest_source(), digest_source(published=False)
    empty = DigestSource(
        DigestRef("Empty", "posts/empty/", "2026-04-30"),
        render_digest_html(parse_digest("Title: E\n\nNo links yet.\n"), str),
        True,
    )
    items = [
        ContentRef(published.ref.url, "M", "published", ""),
        ContentRef("posts/a/", "A", "published", "<p>a</p>"),
        ContentRef("drafts/b/", "B", "draft", "<p>b</p>"),
        ContentRef("posts/empty/", "E", "published", ""),
    ]
    for sources in ([], [published], [published, published, draft, empty], [draft]):
        made = select_search_documents(items, sources, "en")
        assert count_search_documents((i.status for i in items), sources) == len(made)


def read_tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_new_bundle_replaces_the_old_one(tmp_path: Path) -> None:
    old, new = tmp_path / "pagefind", tmp_path / ".pagefind-new"
    old.mkdir()
    (old / "stale.pf_fragment").write_text("old")
    new.mkdir()
    (new / "pagefind.js").write_text("new")
    swap_folder(new, old)
    assert [p.name for p in old.iterdir()] == ["pagefind.js"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pagefind"]


def test_a_missing_binary_is_a_clear_error_and_keeps_the_old_index(tmp_path: Path) -> None:
    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "pagefind.js").write_text("previous")
    document = SearchDocument("/a/", "<main><h1>A</h1></main>")
    with pytest.raises(SearchError, match="cannot start Pagefind"):
        write_search_index(tmp_path, [document], "en", executable=tmp_path / "no-such-binary")
    assert [p.name for p in tmp_path.iterdir()] == ["pagefind"]
    assert (tmp_path / "pagefind" / "pagefind.js").read_text() == "previous"


# --- a real build -------------------------------------------------------------------------


@pytest.fixture
def search_site(tiny_site) -> Build:
    build = tiny_site(site_files())
    assert build.returncode == 0, build.log
    return build


def test_the_build_indexes_posts_pages_and_links_but_no_listing(search_site: Build) -> None:
    output = search_site.output
    fragments = read_fragments(output)
    urls = {f["url"] for f in fragments}
    digest = "/posts/2026/03/2026-march-links/"
    assert urls == {digest, digest + "#links", "/posts/2026/03/kombucha/", "/about/"}
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == 4
    links = next(f for f in fragments if f["url"].endswith("#links"))
    assert links["filters"] == {"kind": ["link"]}
    assert [a["text"] for a in links["anchors"]] == [
        "How queues fail under load",
        EVIL_TITLE,
        "Caching talk",
    ]
    text = json.dumps(fragments)
    for absent in ("marmalade", "Lighthouse", "Page not found", "All links"):
        assert absent not in text  # drafts, hidden posts, 404, links page, listings
    assert not list((output / "pagefind").glob("pagefind-*ui*"))  # never loaded: not shipped
    assert (output / "search" / "index.html").is_file()


def test_pages_never_load_pagefind_until_search_is_opened(search_site: Build) -> None:
    home = search_site.read("index.html")
    assert "pagefind" not in home  # only search.js knows where the index is, and imports it
    script = BeautifulSoup(home, "html.parser").select_one('script[src$="theme/js/search.js"]')
    assert script is not None and script.has_attr("defer")
    source = SEARCH_JS.read_text(encoding="utf-8")
    assert re.search(r"^\s*import\s", source, re.MULTILINE) is None  # no static import
    assert source.count("import(") == 1 and "function load()" in source


def test_an_unchanged_site_reuses_its_index_and_a_change_rebuilds_it(tiny_site) -> None:
    files = site_files()
    first = tiny_site(files)
    assert first.returncode == 0, first.log
    entry = first.output / "pagefind" / "pagefind-entry.json"
    built = entry.stat().st_mtime_ns
    urls = {f["url"] for f in read_fragments(first.output)}
    second = tiny_site(files)  # same content: the cached copy keeps Pagefind's own mtimes
    assert entry.stat().st_mtime_ns == built
    assert {f["url"] for f in read_fragments(second.output)} == urls
    assert not list(second.output.glob(".pagefind-*"))  # no staging folder left behind
    assert not (second.output / "pagefind" / "linkdigest-fingerprint.txt").exists()
    files["posts/kombucha.md"] = POST.replace("patience", "patience and tea leaves")
    tiny_site(files)
    assert entry.stat().st_mtime_ns != built
    kombucha = next(f for f in read_fragments(first.output) if "kombucha" in f["url"])
    assert "tea leaves" in kombucha["content"]
    # A link's summary edited: the digest's links document changes, the index with it.
    built = entry.stat().st_mtime_ns
    files["posts/2026-03-links.md"] = files["posts/2026-03-links.md"].replace(
        "Backpressure explained", "Backpressure and oven timers explained"
    )
    edited = tiny_site(files)
    assert entry.stat().st_mtime_ns != built
    links = next(f for f in read_fragments(edited.output) if f["url"].endswith("#links"))
    assert "oven timers" in links["content"]
    reindexed = entry.stat().st_mtime_ns
    again = tiny_site(files)  # and the same again: the bundle is left in place
    assert again.returncode == 0, again.log
    assert entry.stat().st_mtime_ns == reindexed


def test_search_can_be_turned_off(tiny_site) -> None:
    build = tiny_site(site_files(), extra="SEARCH_ENABLED = False\n")
    assert build.returncode == 0, build.log
    assert not (build.output / "pagefind").exists()
    assert not (build.output / "search").exists()
    assert "search.js" not in build.read("index.html")


def test_a_build_that_does_not_wait_still_writes_the_index(tiny_site) -> None:
    """SEARCH_WAIT = False outside the devserver (nobody to hand the index to): the index
    starts with the search page, and `pelican` ends once it is written."""
    build = tiny_site(site_files(), extra="SEARCH_WAIT = False\n")
    assert build.returncode == 0, build.log
    assert "kombucha" in " ".join(f["url"] for f in read_fragments(build.output))


def test_the_search_page_works_without_javascript_as_a_signpost(search_site: Build) -> None:
    page = BeautifulSoup(search_site.read("search/index.html"), "html.parser")
    form = page.select_one("[data-search-page] form[role=search]")
    field = form.select_one("input[type=search][name=q]")
    assert form.select_one(f'label[for="{field["id"]}"]')
    note = page.select_one("noscript").get_text(" ", strip=True)
    assert "needs JavaScript" in note and "All links" in note
    assert page.select_one('[role="status"][aria-live="polite"]')


# --- the partial and the script -----------------------------------------------------------


def render_partial(**context: object) -> BeautifulSoup:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEME / "templates"))
    html = env.get_template("partials/_search.html").render(
        SITEURL="", SEARCH_URL="search/", **context
    )
    return BeautifulSoup(html, "html.parser")


def test_the_partial_is_a_labelled_link_and_dialog() -> None:
    partial = render_partial(SEARCH_ENABLED=True)
    link = partial.select_one("a.search-open")
    assert link["href"] == "/search/" and link.get_text(strip=True) == "Search"
    dialog = partial.select_one("dialog")
    assert dialog["aria-label"] == "Search"
    field = dialog.select_one("input[type=search]")
    assert dialog.select_one(f'label[for="{field["id"]}"]').get_text(strip=True)
    assert dialog.select_one('[role="status"][aria-live="polite"]')
    assert partial.select_one('script[src="/theme/js/search.js"]').has_attr("defer")
    assert not render_partial(SEARCH_ENABLED=False).get_text(strip=True)


def test_search_js_stays_small_and_never_writes_html() -> None:
    source = SEARCH_JS.read_text(encoding="utf-8")
    assert len(source.encode()) <= 8_000
    theme_js = sum(p.stat().st_size for p in (THEME / "static").rglob("*.js"))
    assert theme_js <= 20_000
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in source


# --- searching the built index for real ---------------------------------------------------


def static_route(folder: Path):
    """A LocalServer route serving a built site; a missing file is a 404."""

    def answer(seen: Seen) -> Reply:
        path = unquote(urlsplit(seen.path).path).lstrip("/")
        target = folder / path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or folder.resolve() not in target.resolve().parents:
            return Reply(404, body=b"not found")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix in (".js", ".mjs"):
            kind = "text/javascript"
        return Reply(200, {"Content-Type": kind}, target.read_bytes())

    return answer


@pytest.fixture
def served(search_site: Build) -> Iterator[LocalServer]:
    server = LocalServer("127.0.0.1")
    server.default = static_route(search_site.output)
    try:
        yield server
    finally:
        server.close()


NODE_SEARCH = """
const [bundle, base, term, filters] = process.argv.slice(2);
const pagefind = await import(bundle);
await pagefind.options({ basePath: base });
await pagefind.init();
const search = await pagefind.search(term, { filters: JSON.parse(filters) });
const found = await Promise.all(search.results.map((r) => r.data()));
console.log(JSON.stringify(found.map((d) => ({ url: d.url, meta: d.meta, subs: d.sub_results }))));
"""


def node_search(
    served: LocalServer, output: Path, tmp: Path, term: str, filters: dict
) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: Pagefind's runtime cannot be run here")
    # pagefind.js is an ES module without a package.json saying so; .mjs tells Node.
    bundle = tmp / "pagefind.mjs"
    shutil.copy(output / "pagefind" / "pagefind.js", bundle)
    script = tmp / "search.mjs"
    script.write_text(NODE_SEARCH, encoding="utf-8")
    args = [str(bundle), served.url("/pagefind/"), term, json.dumps(filters)]
    result = subprocess.run([node, str(script), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pagefind_finds_a_link_by_its_summary_at_its_anchor(
    served: LocalServer, search_site: Build, tmp_path: Path
) -> None:
    found = node_search(served, search_site.output, tmp_path, "bakery", {"kind": "link"})
    assert len(found) == 1
    subs = found[0]["subs"]
    assert [s["title"] for s in subs] == ["How queues fail under load"]
    assert subs[0]["url"].endswith(
        "/posts/2026/03/2026-march-links/#link-how-queues-fail-under-load"
    )
    assert "<mark>bakery</mark>" in subs[0]["excerpt"]
    assert found[0]["meta"]["title"] == "Month summary - March 2026"
    assert not served.unexpected


def test_pagefind_finds_posts_apart_from_links(
    served: LocalServer, search_site: Build, tmp_path: Path
) -> None:
    posts = node_search(served, search_site.output, tmp_path, "kombucha", {"not": {"kind": "link"}})
    assert [p["meta"]["title"] for p in posts] == ["Notes on kombucha"]
    links = node_search(served, search_site.output, tmp_path, "kombucha", {"kind": "link"})
    assert links == []


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def render_search_page(served: LocalServer, tmp_path: Path, query: str) -> BeautifulSoup:
    """The search page for ``query`` as headless Chromium leaves it, once it shows a status."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}",
        # Virtual time runs the page's timers and fetches to completion before the dump.
        "--virtual-time-budget=15000",
        "--dump-dom",
        served.url(f"/search/?q={query}"),
    ]
    # Fetches run in real time beside the virtual clock: on a busy machine the dump can come
    # before the answer, so a page still waiting is loaded again (at most five times).
    for _attempt in range(5):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        page = BeautifulSoup(result.stdout, "html.parser")
        status = page.select_one("[data-search-page] .search-status")
        if status is not None and status.get_text():
            break
    return page


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (CI installs none): skipped")
def test_the_search_page_shows_results_in_a_real_browser(
    served: LocalServer, tmp_path: Path
) -> None:
    page = render_search_page(served, tmp_path, "onerror+bakery")
    status = page.select_one("[data-search-page] .search-status").get_text()
    assert status == "Links from 1 digest", str(page)[-2000:]
    results = page.select("[data-search-page] .search-result")
    titles = [result.select_one("a").get_text() for result in results]
    assert sorted(titles) == sorted(["How queues fail under load", EVIL_TITLE])
    assert not page.select(".search-results img")  # the web's title stayed text
    domains = {"How queues fail under load": "example.org", EVIL_TITLE: "evil.example"}
    for result, title in zip(results, titles, strict=True):
        assert result.select_one(".domain").get_text() == domains[title]  # its own, in order
        assert result.select_one(".search-where").get_text() == (
            "Link in Month summary - March 2026 · Articles"
        )
    assert results[0].select_one(".search-excerpt mark")
    # The digest's last link, in its second section: each sub-result finds its own place.
    page = render_search_page(served, tmp_path, "zeppelin")
    result = page.select_one("[data-search-page] .search-result")
    assert result.select_one("a").get_text() == "Caching talk", str(page)[-2000:]
    assert result.select_one(".domain").get_text() == "youtube.com"
    assert result.select_one(".search-where").get_text().endswith("· Videos")
    assert not served.unexpected


def test_an_unchanged_bundle_in_the_output_is_left_alone_and_a_touched_one_put_back(
    tmp_path: Path,
) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    documents = [SearchDocument("/a/", "<main><h1>Apples</h1><p>crisp</p></main>")]
    first = write_search_index(output, documents, "en", cache)
    bundle = output / "pagefind"
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in bundle.rglob("*")}
    again = write_search_index(output, documents, "en", cache)
    assert (first.reused, again.reused) == (False, True)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in bundle.rglob("*")} == stamps
    entry = bundle / "pagefind-entry.json"
    good = entry.read_bytes()
    entry.write_text("{}")  # changed by hand: the cached copy is put back
    assert write_search_index(output, documents, "en", cache).reused
    assert entry.read_bytes() == good
    entry.unlink()  # deleted: the same
    assert write_search_index(output, documents, "en", cache).reused
    assert entry.read_bytes() == good
    other = write_search_index(output / "elsewhere", documents, "en", cache)
    assert other.reused and (output / "elsewhere" / "pagefind" / "pagefind-entry.json").is_file()
    changed = [SearchDocument("/a/", "<main><h1>Apples</h1><p>soft</p></main>")]
    assert not write_search_index(output, changed, "en", cache).reused
    assert write_search_index(output, changed, "en", cache).reused


def test_documents_counted_ahead_are_indexed_in_one_pass_and_cached_the_same(
    tmp_path: Path,
) -> None:
    documents = [
        SearchDocument(f"/p{n}/", f"<main><h1>Post {n}</h1><p>words {n}</p></main>")
        for n in range(3)
    ]
    calls: list[int] = []

    def make() -> list[SearchDocument]:
        calls.append(1)
        return documents

    at_once = write_search_index(tmp_path / "a", make, "en", tmp_path / "ca", count=3)
    assert (at_once.documents, at_once.reused, len(calls)) == (3, False, 1)
    twice = write_search_index(tmp_path / "b", documents, "en", tmp_path / "cb")
    assert read_tree(tmp_path / "a" / "pagefind") == read_tree(tmp_path / "b" / "pagefind")
    assert (tmp_path / "ca" / "pagefind" / FINGERPRINT_FILE).read_text() == (
        tmp_path / "cb" / "pagefind" / FINGERPRINT_FILE
    ).read_text()
    # With a cached bundle to compare with, they are fingerprinted first: reused unmade.
    again = write_search_index(tmp_path / "c", make, "en", tmp_path / "ca", count=3)
    assert again.reused and len(calls) == 2 and not twice.reused


@pytest.mark.parametrize("count", [2, 4])
def test_a_wrong_count_is_an_error_not_a_hang(tmp_path: Path, count: int) -> None:
    documents = [SearchDocument(f"/p{n}/", f"<main><h1>P{n}</h1></main>") for n in range(3)]
    (tmp_path / "out" / "pagefind").mkdir(parents=True)
    (tmp_path / "out" / "pagefind" / "pagefind.js").write_text("previous")
    with pytest.raises(SearchError, match="expected"):
        write_search_index(tmp_path / "out", documents, "en", tmp_path / "cache", count=count)
    assert (tmp_path / "out" / "pagefind" / "pagefind.js").read_text() == "previous"


def test_the_bundle_is_whole_on_a_busy_machine(tmp_path: Path) -> None:
    """Pagefind's own WriteFiles answers before its writes land and its process ends as
    soon as its input closes: with the CPUs busy, a bundle's pagefind-entry.json came out
    empty in 5 of 40 indexes. Every bundle made here, all under load, is complete and the
    same as the first."""
    documents = [
        SearchDocument(f"/p{n}/", f"<main><h1>Post {n}</h1><p>words about feeds {n}</p></main>")
        for n in range(20)
    ]
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        bundles = []
        for n in range(30):
            write_search_index(tmp_path / str(n), documents, "en")
            bundles.append(read_tree(tmp_path / str(n) / "pagefind"))
    finally:
        for process in busy:
            process.kill()
            process.wait()
    first = bundles[0]
    assert json.loads(first["pagefind-entry.json"])["languages"]["en"]["page_count"] == 20
    assert all(first[name] for name in first), "an empty file in the bundle"
    assert {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"} <= set(first)
    assert not any(name.startswith("pagefind-ui") for name in first)  # its UI is left out
    assert [n for n, bundle in enumerate(bundles) if bundle != first] == []


@pytest.mark.parametrize("name", ["../escaped.js", "/tmp/absolute.js", "fragment/../../up.js", "."])
def test_a_bundle_file_named_outside_its_folder_is_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "staging"
    folder.mkdir()
    with pytest.raises(SearchError, match="outside its folder"):
        write_bundle_files(folder, [("pagefind.js", b"js"), (name, b"x")])
    assert not (tmp_path / "escaped.js").exists() and not (tmp_path / "up.js").exists()


FILES = [
    ("pagefind.js", b"let x = {a: 1};" * 100),
    ('fragment/odd}name "quoted".pf_fragment', bytes(range(256)) * 6),
    *[(f"index/en_{n}.pf_index", bytes([n]) * 1500) for n in range(6)],
    ("pagefind-entry.json", b'{"version":"1.5.2"}'),
]


def render_get_files_answer(files: list[tuple[str, bytes]]) -> bytes:
    listed = [{"path": name, "content": base64.b64encode(data).decode()} for name, data in files]
    answer = {"message_id": 7, "payload": {"type": "GetFiles", "files": listed}}
    return json.dumps(answer).encode()


@pytest.mark.parametrize("size", [1, 3, 7, 64, 1 << 20])
def test_the_files_answer_is_taken_file_by_file_in_any_chunks(size: int) -> None:
    answer = render_get_files_answer(FILES)
    scanner = FileListScanner()
    taken = []
    largest = 0
    for at in range(0, len(answer), size):
        scanner.feed(answer[at : at + size])
        taken += scanner.take_files()
        largest = max(largest, len(scanner.buffer))
    assert taken == FILES
    assert scanner.finish() is None
    if size < 64:  # never the whole answer held, only the file being read
        assert largest < len(answer) / 4


def test_an_error_answer_or_a_cut_one_is_reported() -> None:
    scanner = FileListScanner()
    scanner.feed(b'{"message_id":7,"payload":{"type":"Error","message":"no such index"}}')
    assert list(scanner.take_files()) == []
    assert scanner.finish() == {
        "message_id": 7,
        "payload": {"type": "Error", "message": "no such index"},
    }
    cut = FileListScanner()
    cut.feed(render_get_files_answer(FILES)[:-40])
    list(cut.take_files())
    with pytest.raises(SearchError, match="cut short"):
        cut.finish()
    bad = FileListScanner()
    bad.feed(b'{"payload":{"files":[{"path":"a.js","content":"not base64!"}]}}')
    with pytest.raises(SearchError, match="malformed"):
        list(bad.take_files())
