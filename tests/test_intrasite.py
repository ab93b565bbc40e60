"""``{static}``, ``{filename}`` and ``{attach}`` inside a digest's fragments, resolved for each
page as Pelican resolves them in an article's body (through its public Content API)."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from bs4 import BeautifulSoup
from pelican.plugins.linkdigest.digest import INTRASITE_MARKERS, has_intrasite_links

from linkdigest.site.html import DigestHtml, EntryHtml, SectionHtml

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

DIGEST = """\
    Title: Links of March
    Date: 2026-03-31
    Category: summary
    Slug: march

    # March 2026

    The meetup: ![The room]({static}/images/room.png)

    ## Articles

    ### [How queues fail](https://example.org/queues)

    > Builds on [my notes]({filename}notes.md) and [the report]({attach}files/report.pdf).
    """

NOTES = """\
    Title: Notes on queues
    Date: 2026-03-02
    Category: notes
    Slug: notes

    Text.
    """

FILES: dict[str, str | bytes] = {
    "posts/march.md": DIGEST,
    "posts/notes.md": NOTES,
    "posts/files/report.pdf": b"%PDF-1.4\n",
    "images/room.png": PNG,
}


@pytest.mark.parametrize(
    ("production", "root"),
    [(False, "../../../../"), (True, "https://links.example.org/")],
    ids=["relative", "absolute"],
)
def test_intrasite_links_in_a_digest_resolve(tiny_site, production: bool, root: str) -> None:
    build = tiny_site(FILES, production=production, fatal=production)
    assert build.returncode == 0, build.log
    assert "WARNING" not in build.log, build.log
    page = BeautifulSoup(build.read("posts/2026/03/march/index.html"), "html.parser")
    assert page.select_one("main .intro img")["src"] == f"{root}images/room.png"
    links = [a["href"] for a in page.select("main .link-card blockquote a")]
    assert links == [
        f"{root}posts/2026/03/notes/",
        f"{root}posts/2026/03/march/files/report.pdf",
    ]
    assert (build.output / "posts/2026/03/march/files/report.pdf").is_file()
    assert "{static}" not in str(page) and "{filename}" not in str(page)


def digest_with(field: str, text: str) -> DigestHtml:
    entry = EntryHtml(
        "Title",
        "Title",
        "https://example.org/a",
        "example.org",
        "<p>Summary.</p>",
        "",
        3,
        "title",
        False,
        None,
    )
    entry = replace(entry, **{field: text}) if field in ("summary_html", "extra_html") else entry
    section = SectionHtml("Articles", "articles", text if field == "prose_html" else "", (entry,))
    intro = text if field == "intro_html" else "<p>Intro.</p>"
    return DigestHtml("March", intro, (section,), ())


FIELDS = ["intro_html", "prose_html", "summary_html", "extra_html"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("marker", INTRASITE_MARKERS)
def test_a_marker_in_any_fragment_marks_the_digest(field: str, marker: str) -> None:
    assert has_intrasite_links(digest_with(field, f'<a href="{marker}/notes.md">n</a>'))


@pytest.mark.parametrize(
    "text", ["<p>A | B {curly} text</p>", "<p>{sta</p>", "<p>static|</p>", "<p>{ static}</p>"]
)
@pytest.mark.parametrize("field", FIELDS)
def test_braces_and_bars_alone_or_a_marker_cut_in_two_do_not(field: str, text: str) -> None:
    assert not has_intrasite_links(digest_with(field, text))


def test_a_marker_is_never_made_of_two_fragments() -> None:
    split = digest_with("intro_html", "<p>{sta")
    split = replace(split, sections=(replace(split.sections[0], prose_html="tic}/a.png</p>"),))
    assert not has_intrasite_links(split)
