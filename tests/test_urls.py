"""URL helpers: domains, normalisation, videos."""

from __future__ import annotations

import random

import pytest

from linkdigest.format.urls import (
    is_http_url,
    normalise_url,
    parse_domain,
    render_embed_url,
    render_site_url,
)
from linkdigest.site.feeds import render_absolute_urls, render_each_url_absolute


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.example.org/a", "example.org"),
        ("https://Docs.Python.org/3/", "docs.python.org"),
        ("http://example.org:8080/", "example.org"),
        ("https://日本.example/", "日本.example"),
    ],
)
def test_parse_domain(url: str, domain: str) -> None:
    assert parse_domain(url) == domain


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.org/a/", "https://EXAMPLE.org/a"),
        ("https://example.org:443/a", "https://www.example.org/a"),
        ("https://example.org/a?utm_source=x&id=3&fbclid=y", "https://example.org/a?id=3"),
        ("https://youtu.be/abcdefghijk", "https://www.youtube.com/watch?v=abcdefghijk&t=1"),
        ("https://example.org/a?gclid=1", "https://example.org/a"),
    ],
)
def test_normalise_url_makes_equal(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.org/a#one", "https://example.org/a#two"),
        ("http://example.org:8080/a", "http://example.org/a"),
        ("https://example.org/a?page=1", "https://example.org/a?page=2"),
    ],
)
def test_normalise_url_keeps_different(a: str, b: str) -> None:
    assert normalise_url(a) != normalise_url(b)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/", True),
        ("http://a.b/c", True),
        ("/relative", False),
        ("mailto:x@example.org", False),
        ("ftp://example.org/", False),
        ("https://", False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=abcdefghijk",
            "https://www.youtube-nocookie.com/embed/abcdefghijk",
        ),
        (
            "https://m.youtube.com/shorts/abcdefghijk",
            "https://www.youtube-nocookie.com/embed/abcdefghijk",
        ),
        ("https://vimeo.com/36579366", "https://player.vimeo.com/video/36579366?dnt=1"),
        ("https://www.youtube.com/playlist?list=PL123", None),
        ("https://example.org/watch?v=abcdefghijk", None),
    ],
)
def test_render_embed_url(url: str, embed: str | None) -> None:
    assert render_embed_url(url) == embed


def test_render_absolute_urls() -> None:
    html = (
        '<a href="/a/">x</a> <img src="../b.png" srcset="c.png 1x, /d.png 2x"> '
        '<a href="https://other.example/">y</a> <a href="mailto:m@example.org">m</a> '
        "<a href='#top'>t</a>"
    )
    out = render_absolute_urls(html, "https://site.example/posts/p/")
    assert 'href="https://site.example/a/"' in out
    assert 'src="https://site.example/posts/b.png"' in out
    assert 'srcset="https://site.example/posts/p/c.png 1x, https://site.example/d.png 2x"' in out
    assert 'href="https://other.example/"' in out and 'href="mailto:m@example.org"' in out
    assert "href='https://site.example/posts/p/#top'" in out


ATTRIBUTE_PIECES = [
    " href=",
    " HREF = ",
    " src=",
    " poster=",
    " srcset=",
    "\nhref=",
    "href=",
    '"',
    "'",
    " ",
    "\t",
    "https://a.example/x",
    "http:",
    "mailto:m@x.org",
    "//cdn.example/y",
    "#top",
    "a/b",
    "/c",
    "..",
    "x1:",
    "1x:",
    "<a",
    ">",
    "</a>",
    "text",
    "=",
]


def test_content_with_only_absolute_urls_is_left_as_it_is_without_a_pass() -> None:
    """The shortcut (no attribute to change: no pass) gives what the full pass gives."""
    rng = random.Random(99)
    base = "https://site.example/posts/p/"
    unchanged = 0
    for _ in range(20_000):
        fragment = "".join(rng.choice(ATTRIBUTE_PIECES) for _ in range(rng.randint(1, 12)))
        fast = render_absolute_urls(fragment, base)
        full = render_each_url_absolute(fragment, base)
        assert fast == full, fragment
        unchanged += fast is fragment
    assert unchanged > 2_000


@pytest.mark.parametrize(
    ("site", "path", "expected"),
    [
        ("https://site.example", "posts/a/", "https://site.example/posts/a/"),
        ("https://site.example/", "/posts/a/", "https://site.example/posts/a/"),
        ("https://site.example", "", "https://site.example/"),
        ("https://site.example", "https://other.example/x", "https://other.example/x"),
        ("", "posts/a/", "posts/a/"),
    ],
)
def test_render_site_url(site: str, path: str, expected: str) -> None:
    assert render_site_url(site, path) == expected
