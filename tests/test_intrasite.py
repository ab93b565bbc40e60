"""``{static}``, ``{filename}`` and ``{attach}`` inside a digest's fragments, resolved for each
page as Pelican resolves them in an article's body (through its public Content API)."""

from __future__ import annotations

import base64

import pytest
from bs4 import BeautifulSoup

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
