"""Links in Markdown sources, with their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkdigest.checking.places import parse_markdown_links, read_content_links
from linkdigest.format.digest import is_digest, parse_digest

CONTENT = Path(__file__).resolve().parent.parent / "content"


@pytest.mark.parametrize(
    ("line", "urls"),
    [
        ("[a](https://a.example/x)", ["https://a.example/x"]),
        ("![img]({static}/images/a.jpg)", ["{static}/images/a.jpg"]),
        (
            "[Mutt](https://en.wikipedia.org/wiki/Mutt_(email_client)) after",
            ["https://en.wikipedia.org/wiki/Mutt_(email_client)"],
        ),
        ('[t](https://a.example/ "a title")', ["https://a.example/"]),
        ("[t](<https://a.example/with space>)", ["https://a.example/with space"]),
        (
            "[one](https://1.example/) and [two](https://2.example/)",
            ["https://1.example/", "https://2.example/"],
        ),
        ("[ref]: https://ref.example/page", ["https://ref.example/page"]),
        (
            "<https://auto.example/> and <mailto:me@example.org>",
            ["https://auto.example/", "mailto:me@example.org"],
        ),
        (
            '<iframe src="https://www.youtube-nocookie.com/embed/x" title="t">',
            ["https://www.youtube-nocookie.com/embed/x"],
        ),
        ("A bare https://bare.example/ in prose is not a link", []),
        (
            "### [Title \\] with bracket](https://t.example/q?a=1&b=2#frag)",
            ["https://t.example/q?a=1&b=2#frag"],
        ),
        ("[](https://empty.example/)", ["https://empty.example/"]),
    ],
)
def test_parse_line_links(line: str, urls: list[str]) -> None:
    assert [ref.url for ref in parse_markdown_links(line)] == urls


def test_lines_code_and_front_matter() -> None:
    text = (
        "Title: T\nSummary: see [x](https://front.example/)\n\nIntro [a](https://a.example/)\n"
        "\n```\n[code](https://code.example/)\n```\n\nUse `[span](https://span.example/)`"
        " and [b](https://b.example/).\n"
    )
    refs = parse_markdown_links(text, "posts/t.md")
    assert [(r.url, r.line) for r in refs] == [
        ("https://a.example/", 4),
        ("https://b.example/", 10),
    ]
    assert {r.path for r in refs} == {"posts/t.md"}


def test_every_digest_entry_of_the_example_blog_is_found() -> None:
    paths = sorted(CONTENT.glob("posts/*.md"))
    found = {(r.path, r.line, r.url) for r in read_content_links(paths)}
    for path in paths:
        digest = parse_digest(path.read_text(encoding="utf-8"))
        if is_digest(digest.metadata):
            for entry in digest.entries:
                assert (str(path), entry.line, entry.url) in found
