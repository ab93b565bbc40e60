"""Rebuilds: only pages whose text changed are written, and the result is what a fresh full
build of the same content gives, byte for byte, across the whole output tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pelican.plugins.linkdigest.writer import write_if_changed

from linkdigest.site.html import DigestRef
from linkdigest.site.linkspage import (
    LinkRow,
    iter_joined_links_json,
    iter_links_json,
    render_links_json,
    render_rows_json,
)
from linkdigest.site.search import SearchDocument, write_search_index
from tests.conftest import CONTENT, Devserver, run_pelican, write_settings


def read_tree(root: Path) -> dict[str, bytes]:
    """Every output file's bytes, Pagefind's bundle aside: two Pagefind runs over the very
    same documents can name and split its chunks differently (its threads finish in any
    order), so the bundle is only checked to be there."""
    assert (root / "pagefind" / "pagefind.js").is_file()
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] != "pagefind"
    }


def read_times(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.html")}


def edit_first_link_title(content: Path) -> Path:
    digest = next(p for p in sorted(content.rglob("*.md")) if "Category: summary" in p.read_text())
    text = digest.read_text(encoding="utf-8")
    digest.write_text(text.replace("### [", "### [Edited: ", 1), encoding="utf-8")
    return digest


def test_an_edit_rebuilds_to_what_a_full_build_gives(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (tmp_path / "site").mkdir()
    (tmp_path / "fresh").mkdir()
    first = run_pelican(content, tmp_path / "site")
    assert first.returncode == 0, first.log
    before = read_times(first.output)
    edited = edit_first_link_title(content)

    again = run_pelican(content, tmp_path / "site")  # the same output and content cache
    fresh = run_pelican(content, tmp_path / "fresh")
    assert again.returncode == 0 and fresh.returncode == 0, again.log + fresh.log
    assert read_tree(again.output) == read_tree(fresh.output)
    after = read_times(again.output)
    changed = {name for name in after if after[name] != before.get(name)}
    assert any("Edited: " in (again.output / name).read_text() for name in changed)
    # Pages that do not show the edited digest's links are left as they were.
    untouched = [name for name in after if name not in changed]
    assert "404.html" in untouched and untouched, sorted(changed)
    assert all("Edited: " not in (again.output / name).read_text() for name in untouched)
    assert "links/index.html" in changed and edited.exists()


def test_a_devserver_rebuild_after_an_edit_is_what_a_full_build_gives(tmp_path: Path) -> None:
    """`make devserver` builds again in its own process: the reload comes once the pages are
    written, the index a moment later, and the output is then a fresh full build's."""
    content, site = tmp_path / "content", tmp_path / "site"
    shutil.copytree(CONTENT, content)
    site.mkdir()
    settings = write_settings(site, content, site / "output", production=False)
    with Devserver(content, site / "output", settings, site) as server:
        assert server.wait_for_line("devserver: search index ready", 1, 120), server.log
        before = read_times(site / "output")
        edit_first_link_title(content)
        assert server.wait(lambda: len(server.reloads) == 1, 120), server.log
        # What the browser loads on that reload is already the edited page and listings.
        assert "Edited: " in (site / "output" / "links" / "index.html").read_text(), server.log
        assert server.count("devserver: pages written") == 2, server.log
        assert server.wait_for_line("devserver: search index ready", 2, 120), server.log
    after = read_times(site / "output")
    changed = {name for name in after if after[name] != before.get(name)}
    assert "404.html" not in changed and "links/index.html" in changed, sorted(changed)
    (tmp_path / "fresh").mkdir()
    fresh = run_pelican(content, tmp_path / "fresh")
    assert fresh.returncode == 0, fresh.log
    assert read_tree(site / "output") == read_tree(fresh.output)
    assert "WARNING" not in server.log and "ERROR" not in server.log, server.log


def test_a_rebuild_of_unchanged_content_writes_no_page(tmp_path: Path) -> None:
    first = run_pelican(CONTENT, tmp_path)
    assert first.returncode == 0, first.log
    before = read_times(first.output)
    again = run_pelican(CONTENT, tmp_path)
    assert again.returncode == 0, again.log
    assert read_times(again.output) == before


def test_links_json_in_pieces_is_the_whole_document() -> None:
    ref = DigestRef("March <links>", "posts/2026/03/m/", "2026-03-31")
    rows = [
        LinkRow("A & B", "https://a.example/", "a.example", "Web", "Text 'quoted'", ref, "a"),
        LinkRow("C", "https://c.example/?q=1", "c.example", "", "", ref),
    ]
    whole = render_links_json(rows, "https://site.example")
    assert "".join(iter_links_json(rows, "https://site.example")) == whole
    data = json.loads(whole)
    assert data["count"] == 2 and data["links"][0]["title"] == "A & B"
    assert data["links"][1]["digest"]["url"] == "https://site.example/posts/2026/03/m/"
    assert "<" not in whole and "'" not in whole  # embeddable in any page
    assert render_links_json([]) == '{"version":1,"count":0,"links":[]}\n'
    # Made from each digest's part (kept between devserver builds), empty parts among them.
    site = "https://site.example"
    for split in ([rows], [rows[:1], rows[1:]], [[], rows[:1], [], rows[1:], []], [[]]):
        parts = [(len(part), render_rows_json(part, site)) for part in split]
        assert "".join(iter_joined_links_json(parts)) == render_links_json(
            [row for part in split for row in part], site
        )


def test_search_documents_made_on_demand_are_made_again_only_to_index(tmp_path: Path) -> None:
    calls = []

    def documents() -> list[SearchDocument]:
        calls.append(1)
        return [SearchDocument(f"/p{n}/", f"<main><h1>Post {n}</h1></main>") for n in range(3)]

    report = write_search_index(tmp_path / "out", documents, "en", tmp_path / "cache")
    assert (report.documents, report.reused, len(calls)) == (3, False, 2)
    report = write_search_index(tmp_path / "out", documents, "en", tmp_path / "cache")
    assert (report.documents, report.reused, len(calls)) == (3, True, 3)
    assert (tmp_path / "out" / "pagefind" / "pagefind.js").is_file()


def test_a_page_is_written_only_when_its_text_changed_even_to_the_same_size(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.html"
    write_if_changed(str(page), "<p>first</p>", "utf-8")
    assert page.read_text(encoding="utf-8") == "<p>first</p>"
    before = page.stat()
    write_if_changed(str(page), "<p>first</p>", "utf-8")  # the same: the file is kept
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    write_if_changed(str(page), "<p>faint</p>", "utf-8")  # the same size, other text
    assert page.read_text(encoding="utf-8") == "<p>faint</p>"
    write_if_changed(str(page), "<p>é</p>", "utf-8")  # other size; encoded as asked
    assert page.read_bytes() == "<p>é</p>".encode()
