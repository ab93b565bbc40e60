"""The internal link checker, on a hand-made output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkdigest.checking.internal import check_internal_links, resolve_internal


@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        ("../b/", "a/index.html", ("b/", "")),
        ("/c.css", "a/index.html", ("c.css", "")),
        ("#top", "a/index.html", ("a/index.html", "top")),
        ("https://site.example/d/#x", "index.html", ("d/", "x")),
        ("https://site.example", "index.html", ("", "")),
        ("https://other.example/", "index.html", None),
        ("mailto:a@b.example", "index.html", None),
        ("caf%C3%A9.html", "index.html", ("café.html", "")),
    ],
)
def test_resolve_internal(url: str, page: str, expected: tuple[str, str] | None) -> None:
    assert resolve_internal(url, page, "https://site.example") == expected


def test_check_internal_links_finds_missing_files_and_ids(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<h2 id="here">x</h2>', encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<a href="a/">ok</a><a href="a/#here">ok</a><a href="a/#gone">bad id</a>'
        '<img src="missing.png" alt=""><a href="https://elsewhere.example/">out</a>'
        '<img srcset="a/index.html 1x, nope.png 2x" alt="">',
        encoding="utf-8",
    )
    broken = check_internal_links(tmp_path)
    assert sorted(b.url for b in broken) == ["a/#gone", "missing.png", "nope.png"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("![A chart]({static}/images/chart.png)", [("static", "/images/chart.png")]),
        ("[next post]({filename}/posts/next.md#part-2)", [("filename", "/posts/next.md#part-2")]),
        ('<img src="{static}/images/a.jpg" alt="">', [("static", "/images/a.jpg")]),
        ("[ref]: {attach}files/report.pdf", [("attach", "files/report.pdf")]),
        ("[old style](|static|/images/b.png)", [("static", "/images/b.png")]),
        ("Write `{filename}` and `{static}` in links.", []),
        ("A bare {static}/images/x.png in prose", []),
    ],
)
def test_parse_references(line: str, expected: list[tuple[str, str]]) -> None:
    from linkdigest.site.references import parse_references

    assert [(r.kind, r.path) for r in parse_references(line)] == expected


def test_check_references_names_the_line(tmp_path: Path) -> None:
    from linkdigest.site.references import check_references

    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "here.png").write_bytes(b"png")
    text = "Title: T\n\n![ok]({static}/images/here.png)\n![gone]({static}/images/gone.png)\n"
    (problem,) = check_references(text, str(tmp_path / "posts" / "p.md"), str(tmp_path))
    assert problem.line == 4 and "images/gone.png" in problem.message
