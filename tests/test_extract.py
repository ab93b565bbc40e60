"""linkdigest.fetching.extract: titles, summaries, charsets and walls from bytes, no network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from linkdigest.fetching.extract import (
    PageInfo,
    decode_html,
    parse_oembed,
    parse_page,
    parse_pdf_title,
)
from linkdigest.fetching.text import render_description_text

URL = "https://www.example.com/posts/hello"
HTML_UTF8 = {"Content-Type": "text/html; charset=utf-8"}
PAGES = Path(__file__).parent / "fixtures" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
LONG = "A paragraph that is long enough to count as the real start of the article text."
OTHER = "Another paragraph, also long enough to count, that must never be chosen first."


def page(head: str = "", body: str = "", url: str = URL, **options: object) -> PageInfo:
    markup = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    return parse_page(markup.encode("utf-8"), url, HTML_UTF8, **options)  # type: ignore[arg-type]


def ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def meta(attribute: str, key: str, content: str) -> str:
    quoted = content.replace('"', "&quot;")
    return f'<meta {attribute}="{key}" content="{quoted}">'


# Precedence: each step wins over every later one and is used when the earlier ones are absent.
# The sources are written in reverse order, so document order cannot explain the result.
# The order is metascraper's (og:title, twitter:title, <title>, JSON-LD headline, title
# classes), then ours: JSON-LD name of the page, itemprop name, the first <h1>.

TITLE_SOURCES = [
    ("og:title", meta("property", "og:title", "From og"), "", "From og"),
    ("twitter:title", meta("name", "twitter:title", "From twitter"), "", "From twitter"),
    ("title", "<title>From title</title>", "", "From title"),
    ("ld headline", ld({"@type": "WebSite", "headline": "From headline"}), "", "From headline"),
    ("post-title", "", '<div class="post-title">From post</div>', "From post"),
    ("entry-title", "", '<div class="entry-title">From entry</div>', "From entry"),
    ("h1 title link", "", '<h1 class="Page-Title">x <a>From h1 link</a></h1>', "From h1 link"),
    ("h1 title class", "", '<h1 class="big-title">From h1 class</h1>', "From h1 class"),
    ("ld name", ld({"@type": "BlogPosting", "name": "From ld name"}), "", "From ld name"),
    ("itemprop name", meta("itemprop", "name", "From itemprop"), "", "From itemprop"),
    ("h1", "", "<h1>From h1</h1>", "From h1"),
]


@pytest.mark.parametrize("step", range(len(TITLE_SOURCES)), ids=[s[0] for s in TITLE_SOURCES])
def test_title_precedence(step: int) -> None:
    sources = TITLE_SOURCES[step:]
    head = "".join(source[1] for source in reversed(sources))
    body = "".join(source[2] for source in reversed(sources))
    assert page(head, body).title == sources[0][3]


DESCRIPTION_SOURCES = [
    ("og:description", meta("property", "og:description", "From og"), "", "From og"),
    ("twitter", meta("name", "twitter:description", "From twitter"), "", "From twitter"),
    ("meta description", meta("name", "description", "From meta"), "", "From meta"),
    ("ld description", ld({"@type": "Article", "description": "From ld"}), "", "From ld"),
]


@pytest.mark.parametrize(
    "step", range(len(DESCRIPTION_SOURCES)), ids=[s[0] for s in DESCRIPTION_SOURCES]
)
def test_description_precedence(step: int) -> None:
    sources = DESCRIPTION_SOURCES[step:]
    head = "".join(source[1] for source in reversed(sources))
    body = "".join(source[2] for source in reversed(sources))
    info = page(head, body + f"<p>{LONG}</p>")
    assert (info.description, info.summary) == (sources[0][3], sources[0][3])


def test_body_text_is_a_summary_never_a_description() -> None:
    # The page declares no description: the digest's quote may come from its first real
    # paragraph, but the page's data says it has none.
    info = page("<title>T</title>", f"<p>{LONG}</p>")
    assert (info.description, info.summary) == ("", LONG)


def test_nothing_found_gives_empty_strings() -> None:
    info = page("", "<div>tiny</div>")
    assert (info.title, info.description, info.canonical_url, info.site_name) == ("", "", "", "")
    assert info.content_type == "text/html"
    assert info.blocked == ""


# Meta tags: name or property, itemprop for name/description, case-insensitive.

META_CASES = [
    ("property", '<meta property="og:title" content="T">', "title", "T"),
    ("name instead of property", '<meta name="og:title" content="T">', "title", "T"),
    (
        "og: in name gives way to <title>",
        '<meta name="og:title" content="Shop.pl"><title>Shop.pl Rings, gold</title>',
        "title",
        "Shop.pl Rings, gold",
    ),
    (
        "og: in name gives way to the meta description",
        '<meta name="og:description" content="E"><meta name="description" content="D">',
        "description",
        "D",
    ),
    (
        "og: in name as a last resort",
        '<meta name="og:description" content="E">',
        "description",
        "E",
    ),
    ("property instead of name", '<meta property="twitter:title" content="T">', "title", "T"),
    ("upper-case names", '<META PROPERTY="OG:TITLE" CONTENT="T">', "title", "T"),
    ("mixed-case value", '<meta Property="Og:Title" content="T">', "title", "T"),
    ("content trimmed", '<meta property="og:title" content="  \n T \t ">', "title", "T"),
    (
        "empty content skipped",
        '<meta property="og:title" content=" "><title>T</title>',
        "title",
        "T",
    ),
    ("several properties", '<meta property="og:title twitter:title" content="T">', "title", "T"),
    ("itemprop description", '<meta itemprop="description" content="D">', "description", "D"),
    ("itemprop name", '<meta itemprop="name" content="T">', "title", "T"),
    (
        "stack overflow style",
        '<meta name="twitter:title" property="og:title" itemprop="name" content="T">',
        "title",
        "T",
    ),
    (
        "first wins",
        '<meta name="description" content="D"><meta name="description" content="E">',
        "description",
        "D",
    ),
]


@pytest.mark.parametrize(
    ("head", "field", "expected"), [c[1:] for c in META_CASES], ids=[c[0] for c in META_CASES]
)
def test_meta_tag_matching(head: str, field: str, expected: str) -> None:
    assert getattr(page(head), field) == expected


def test_itemprop_name_of_an_author_is_not_the_title() -> None:
    body = (
        '<div itemscope itemtype="https://schema.org/Article">'
        '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<meta itemprop="name" content="Jane Author"></span></div>'
    )
    assert page("<title>The article</title>", body).title == "The article"


def test_itemprop_meta_in_a_page_scope_counts() -> None:
    body = (
        '<div itemscope itemtype="http://schema.org/VideoObject">'
        '<meta itemprop="name" content="The video"></div>'
    )
    assert page("", body + "<h1>Heading</h1>").title == "The video"


def test_svg_title_is_not_the_page_title() -> None:
    body = '<svg aria-hidden="true"><title>Close</title></svg><h1>Heading</h1>'
    assert page("", body).title == "Heading"


# Charsets.

RUSSIAN = "Банк России сохранил ключевую ставку — «без изменений»"
JAPANESE = "静的サイトで始めるリンク集ブログ、10\uff5e20分で構築"
POLISH = (
    "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144, za\u017c\u00f3\u0142\u0107 "
    "g\u0119\u015bl\u0105 ja\u017a\u0144. Pchn\u0105\u0107 w t\u0119 \u0142\u00f3d\u017a je\u017ca "
    "lub o\u015bm skrzy\u0144 fig."
)
FRENCH = "Élections régionales : « l\u2019abstention » progresse à Besançon"


def html_doc(title: str, head: str = "") -> str:
    return f"<html><head>{head}<title>{title}</title></head><body><p>{title}</p></body></html>"


def test_windows_1251_from_meta_only() -> None:
    body = html_doc(RUSSIAN, '<meta charset="windows-1251">').encode("windows-1251")
    headers = {"Content-Type": "text/html"}
    assert decode_html(body, headers) == html_doc(RUSSIAN, '<meta charset="windows-1251">')
    assert parse_page(body, URL, headers).title == RUSSIAN


def test_http_equiv_meta_charset() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    body = html_doc(RUSSIAN, head).encode("windows-1251")
    assert parse_page(body, URL, {}).title == RUSSIAN


def test_shift_jis_from_header_only() -> None:
    body = html_doc(JAPANESE).encode("cp932")
    headers = {"Content-Type": "text/html; charset=Shift_JIS"}
    assert decode_html(body, headers) == html_doc(JAPANESE)
    assert parse_page(body, URL, headers).title == JAPANESE


def test_utf8_bom_wins_over_a_wrong_header() -> None:
    body = b"\xef\xbb\xbf" + html_doc(FRENCH).encode("utf-8")
    headers = {"Content-Type": "text/html; charset=windows-1252"}
    assert decode_html(body, headers) == html_doc(FRENCH)
    assert parse_page(body, URL, headers).title == FRENCH


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_boms(encoding: str) -> None:
    body = html_doc(FRENCH).encode(encoding)  # Python writes the BOM for these codecs
    assert decode_html(body, {}) == html_doc(FRENCH)


@pytest.mark.parametrize(("text", "encoding"), [(RUSSIAN * 3, "windows-1251"), (FRENCH, "utf-8")])
def test_no_charset_anywhere_is_detected(text: str, encoding: str) -> None:
    body = html_doc(text).encode(encoding)
    assert decode_html(body, {"Content-Type": "text/html"}) == html_doc(text)


@pytest.mark.parametrize(
    ("head", "headers"),
    [
        ('<meta charset="windows-1252">', {}),
        ('<meta http-equiv="content-type" content="text/html;charset=windows-1252">', {}),
        ("", {"Content-Type": "text/html; charset=windows-1252"}),
    ],
)
def test_declared_charset_wins_over_detection(head: str, headers: dict[str, str]) -> None:
    title = "Na\u00efve fa\u00e7ade"  # short: a detector guesses cp1257 ("Na\u013cve fa\u0113ade")
    assert parse_page(html_doc(title, head).encode("cp1252"), URL, headers).title == title


def test_valid_utf8_wins_over_a_meta_that_disagrees() -> None:
    # The template kept an old label; the bytes were saved as UTF-8 (browsers show mojibake).
    body = html_doc(FRENCH, '<meta charset="windows-1251">').encode("utf-8")
    assert parse_page(body, URL, {}).title == FRENCH
    body = html_doc(FRENCH, '<meta charset="iso-8859-15">').encode("utf-8")
    assert parse_page(body, URL, {"Content-Type": "text/html"}).title == FRENCH


def test_pure_ascii_keeps_its_meta_label() -> None:
    head = '<meta charset="windows-1251">'
    assert decode_html(html_doc("Plain", head).encode("ascii"), {}) == html_doc("Plain", head)


def test_utf8_label_over_windows_1252_bytes_is_windows_1252() -> None:
    title = "Gr\u00fc\u00dfe aus Z\u00fcrich \u2013 \u201eSch\u00f6n\u201c"
    body = html_doc(title, '<meta charset="utf-8">').encode("cp1252")
    assert parse_page(body, URL, {}).title == title


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Na\u00efve fa\u00e7ade", "cp1252"),  # detectors guess cp1257: "Na\u013cve"
        ("Caf\u00e9 cr\u00e8me, s\u2019il vous pla\u00eet", "cp1252"),
        (POLISH, "cp1250"),
    ],
)
def test_unlabelled_western_text_defaults_to_windows_1252(text: str, encoding: str) -> None:
    # windows-1252 unless it would put symbols inside words where the guess reads letters.
    assert decode_html(html_doc(text).encode(encoding), {}) == html_doc(text)


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ("\u00c3\u0153ber Uns", "\u00dcber Uns"),
        (
            "\u00c3\u00a9t\u00c3\u00a9 \u00e2\u20ac\u201c caf\u00c3\u00a9",
            "\u00e9t\u00e9 \u2013 caf\u00e9",
        ),
    ],
)
def test_mojibake_on_the_page_is_repaired(broken: str, repaired: str) -> None:
    head = meta("name", "description", broken)
    info = parse_page(html_doc(broken, head).encode("utf-8"), URL, HTML_UTF8)
    assert (info.title, info.description) == (repaired, repaired)


@pytest.mark.parametrize(
    "text", [FRENCH, RUSSIAN, "\u00c0 la carte: Caf\u00e9 \u00c9t\u00e9 \u00c2ge"]
)
def test_clean_text_is_left_alone_by_the_repair(text: str) -> None:
    assert parse_page(html_doc(text).encode("utf-8"), URL, HTML_UTF8).title == text


def test_header_charset_wins_over_meta() -> None:
    body = html_doc(FRENCH, '<meta charset="windows-1251">').encode("utf-8")
    assert parse_page(body, URL, HTML_UTF8).title == FRENCH


def test_unknown_header_label_falls_through_to_meta() -> None:
    body = html_doc(RUSSIAN, '<meta charset="windows-1251">').encode("windows-1251")
    assert parse_page(body, URL, {"Content-Type": "text/html; charset=x-bogus"}).title == RUSSIAN


@pytest.mark.parametrize("label", ["iso-8859-1", "latin-1", "us-ascii", "ISO-8859-1"])
def test_latin1_labels_mean_windows_1252(label: str) -> None:
    title = "„Chatkontrolle“ \u2013 vorerst gestoppt"
    body = html_doc(title).encode("cp1252")
    assert parse_page(body, URL, {"Content-Type": f"text/html; charset={label}"}).title == title


def test_meta_claiming_utf16_is_read_as_utf8() -> None:
    body = html_doc(FRENCH, '<meta charset="utf-16">').encode("utf-8")
    assert parse_page(body, URL, {}).title == FRENCH


def test_headers_are_case_insensitive() -> None:
    body = html_doc(JAPANESE).encode("cp932")
    plain = {"CONTENT-TYPE": "text/html; charset=shift_jis", "Content-Language": "ja"}
    wrapped = httpx.Headers({"content-type": "text/html; charset=shift_jis"})
    assert parse_page(body, URL, plain).title == JAPANESE
    assert parse_page(body, URL, plain).language == "ja"
    assert parse_page(body, URL, wrapped).title == JAPANESE


# Trimming the site name off titles.

TRIM_CASES = [
    ("Headline | Example", URL, "", "Headline"),
    ("Headline - Example News", URL, "Example News", "Headline"),
    ("Headline \u2014 www.Example.com", URL, "", "Headline"),
    ("Headline \u2013 EXAMPLE", URL, "", "Headline"),
    ("Headline · Example", URL, "", "Headline"),
    ("Headline: Example", URL, "", "Headline"),
    ("Headline | Section | Example", URL, "", "Headline | Section"),
    ("Question? - Stack Overflow", "https://stackoverflow.com/q/1", "", "Question?"),
    ("Headline | Other Site", URL, "", "Headline | Other Site"),
    ("Part one - part two", URL, "", "Part one - part two"),
    ("Example", URL, "", "Example"),
    (": Example", URL, "", ": Example"),
]


@pytest.mark.parametrize(("title", "url", "site_name", "expected"), TRIM_CASES)
def test_trim_site_suffix(title: str, url: str, site_name: str, expected: str) -> None:
    head = f"<title>{title}</title>" + (
        meta("property", "og:site_name", site_name) if site_name else ""
    )
    assert page(head, url=url, trim_site_suffix=True).title == expected


@pytest.mark.parametrize(("title", "url", "site_name", "expected"), TRIM_CASES)
def test_titles_are_kept_whole_by_default(
    title: str, url: str, site_name: str, expected: str
) -> None:
    head = f"<title>{title}</title>" + (
        meta("property", "og:site_name", site_name) if site_name else ""
    )
    assert page(head, url=url).title == title


# Normalisation: entities decoded (twice when the page escaped them twice), whitespace
# collapsed, control characters removed.

TEXT_CASES = [
    ("  Tom &amp;amp;\n\t  Jerry  ", "Tom & Jerry"),
    ("&amp;bdquo;H\u00e4rting&amp;rdquo;", "\u201eH\u00e4rting\u201d"),
    ("&amp;lt;b&amp;gt;", "<b>"),
    ("AT&amp;T &amp; Co", "AT&T & Co"),
    ("caf&eacute; &#8212; it&#x2019;s", "café — it\u2019s"),
    ("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>"),
    ("a&nbsp;&nbsp;b", "a b"),
    ("A\x00B\x07C\x1fD", "ABCD"),
    ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
    ("line\r\nbreaks\x0band\x0cfeeds", "line breaks and feeds"),
]


@pytest.mark.parametrize(("raw", "expected"), TEXT_CASES)
def test_title_text_normalisation(raw: str, expected: str) -> None:
    assert page(f"<title>{raw}</title>").title == expected


@pytest.mark.parametrize(("raw", "expected"), TEXT_CASES)
def test_meta_text_normalisation(raw: str, expected: str) -> None:
    assert page(meta("name", "description", raw)).description == expected


def test_json_ld_entities_are_decoded_once() -> None:
    head = ld(
        {"@type": "Article", "headline": "Tom &amp; Jerry &#8217;25", "description": "a&amp;amp;b"}
    )
    info = page(head)
    assert (info.title, info.description) == ("Tom & Jerry \u201925", "a&amp;b")


@pytest.mark.parametrize(
    "head",
    [
        "<title>[Draft] *Bold* &lt;script&gt;alert(1)&lt;/script&gt; ]</title>",
        meta("property", "og:title", "[Draft] *Bold* &lt;script&gt;alert(1)&lt;/script&gt; ]"),
        # Inside a <script> the page must write "<\/script>"; JSON reads it back as "</script>".
        '<script type="application/ld+json">'
        '{"headline": "[Draft] *Bold* <script>alert(1)<\\/script> ]"}</script>',
    ],
)
def test_markdown_and_html_characters_come_back_as_plain_text(head: str) -> None:
    assert page(head).title == "[Draft] *Bold* <script>alert(1)</script> ]"


# Cutting long descriptions.

SENTENCES = "The first sentence ends here. Then a second one that runs on and on."

CUT_CASES = [
    ("fits exactly", SENTENCES, 68, SENTENCES),
    ("sentence boundary after 60%", SENTENCES, 40, "The first sentence ends here."),
    (
        "sentence too early: word boundary",
        SENTENCES,
        50,
        "The first sentence ends here. Then a second one…",
    ),
    ("cut just before a space", "alpha beta gamma", 11, "alpha beta…"),
    ("no space at all", "x" * 20, 10, "x" * 9 + "…"),
    ("trailing comma dropped", "one, two, three four five", 11, "one, two…"),
    (
        "question mark",
        "Is this the real question? " + "word " * 20,
        40,
        "Is this the real question?",
    ),
    (
        "closing quote kept",
        'He said "go home." ' + "word " * 20,
        25,
        "He said \u201cgo home.\u201d",
    ),
    (
        "japanese full stop",
        "これは最初の文です。" + "次の文はとても長くて終わらない" * 3,
        14,
        "これは最初の文です。",
    ),
]


@pytest.mark.parametrize(
    ("text", "limit", "expected"), [c[1:] for c in CUT_CASES], ids=[c[0] for c in CUT_CASES]
)
def test_summary_cut(text: str, limit: int, expected: str) -> None:
    info = page(meta("name", "description", text), max_description=limit)
    assert info.summary == expected
    assert len(info.summary) <= limit
    assert info.description == render_description_text(text)  # data: never cut


def test_default_cut_is_300_characters() -> None:
    text = " ".join(["word"] * 100)
    info = page(meta("name", "description", text))
    assert len(info.summary) <= 300
    assert info.summary.endswith("word…")
    assert info.description == text


# JSON-LD.

JSON_LD_CASES = [
    (
        "graph",
        ld(
            {
                "@context": "https://schema.org",
                "@graph": [
                    {"@type": "WebSite", "name": "Site", "description": "A site about things."},
                    {
                        "@type": "NewsArticle",
                        "headline": "In graph",
                        "description": "Graph summary",
                    },
                ],
            }
        ),
        "In graph",
        "Graph summary",
    ),
    (
        "top-level list",
        ld([{"@type": "BreadcrumbList"}, {"@type": "Article", "headline": "In list"}]),
        "In list",
        "",
    ),
    (
        "invalid then valid",
        '<script type="application/ld+json">{"headline": "broken",}</script>'
        + ld({"@type": "Article", "headline": "Valid"}),
        "Valid",
        "",
    ),
    (
        "invalid only",
        '<script type="application/ld+json">{not json</script><title>Tag</title>',
        "Tag",
        "",
    ),
    ("type list", ld({"@type": ["Thing", "Article"], "name": "By name"}), "By name", ""),
    ("type as URL", ld({"@type": "https://schema.org/VideoObject", "name": "Video"}), "Video", ""),
    (
        "website name is no title",
        ld({"@type": "WebSite", "name": "Site"}) + "<title>Tag</title>",
        "Tag",
        "",
    ),
    (
        "site description is no summary",
        ld({"@type": "WebSite", "description": "Just another WordPress site"}),
        "",
        "",
    ),
    (
        "type attribute case",
        '<script type="Application/LD+JSON">{"headline": "Case"}</script>',
        "Case",
        "",
    ),
]


@pytest.mark.parametrize(
    ("head", "title", "description"),
    [c[1:] for c in JSON_LD_CASES],
    ids=[c[0] for c in JSON_LD_CASES],
)
def test_json_ld(head: str, title: str, description: str) -> None:
    info = page(head)
    assert (info.title, info.description) == (title, description)


def test_json_ld_publisher_by_id_gives_site_name() -> None:
    head = ld(
        {
            "@graph": [
                {"@type": "Article", "headline": "H", "publisher": {"@id": "#org"}},
                {"@type": "Organization", "@id": "#org", "name": "Small Web Weekly"},
            ]
        }
    )
    assert page(head).site_name == "Small Web Weekly"


# The first real paragraph.


@pytest.mark.parametrize(
    "container",
    [
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "noscript",
        'div role="navigation"',
        'div class="cookie-banner"',
        'div id="consent"',
        'div class="comments"',
        "div hidden",
        'div aria-hidden="true"',
    ],
)
def test_first_paragraph_skips_boilerplate(container: str) -> None:
    tag = container.split()[0]
    body = f"<{container}><p>{OTHER}</p></{tag}><p>{LONG}</p>"
    assert page("", body).summary == LONG


@pytest.mark.parametrize(
    "paragraph",
    [
        "Too short to be the summary.",
        "By Jane Doe, senior correspondent covering science and technology in Europe",
        "Published 3 March 2026, updated 4 March 2026 after the minister responded",
        "12 March 2026 — filed from the conference centre in the rain, as usual",
        "We use cookies to improve your experience on our site; please accept or manage them.",
        "This website uses cookies for analytics, advertising and to remember your settings.",
        "",
    ],
)
def test_first_paragraph_skips_short_bylines_dates_and_cookies(paragraph: str) -> None:
    assert page("", f"<p>{paragraph}</p><p>{LONG}</p>").summary == LONG


def test_first_paragraph_drops_reference_marks_and_joins_inline_markup() -> None:
    body = (
        "<p><b>Python</b> is a <a href='/x'>high-level</a>, general-purpose programming "
        "language.<sup class='reference'>[33]</sup> It was designed by Guido van Rossum.</p>"
    )
    expected = (
        "Python is a high-level, general-purpose programming language. "
        "It was designed by Guido van Rossum."
    )
    assert page("", body).summary == expected


def test_no_real_paragraph_gives_no_summary() -> None:
    info = page("", "<nav><p>" + OTHER + "</p></nav><p>Short.</p>")
    assert (info.description, info.summary) == ("", "")


# Walls.

WALL_CASES = [
    (
        "cf header",
        URL,
        {"cf-mitigated": "challenge"},
        "<title>Shop</title>",
        "Cloudflare challenge",
    ),
    ("cf just a moment", URL, {}, "<title>Just a moment...</title>", "Cloudflare challenge"),
    (
        "cf attention",
        URL,
        {},
        "<title>Attention Required! | Cloudflare</title>",
        "Cloudflare challenge",
    ),
    (
        "cf challenge div",
        URL,
        {},
        '<title>x</title><div id="challenge-stage"></div>',
        "Cloudflare challenge",
    ),
    (
        "google consent url",
        "https://consent.google.com/ml?continue=https://www.google.com/",
        {},
        "<title>Google</title>",
        "consent page",
    ),
    (
        "youtube consent url",
        "https://consent.youtube.com/m?continue=x",
        {},
        "<title>YT</title>",
        "consent page",
    ),
    (
        "yahoo guce url",
        "https://guce.yahoo.com/consent?brandType=nonEu",
        {},
        "<title>Yahoo</title>",
        "consent page",
    ),
    (
        "before you continue",
        "https://www.google.com/search?q=x",
        {},
        "<title>Before you continue to Google</title>",
        "consent page",
    ),
    ("access denied", URL, {}, "<title>Access Denied</title>", "access denied"),
    (
        "perimeterx denied",
        URL,
        {},
        "<title>Access to this page has been denied.</title>",
        "access denied",
    ),
    (
        "akamai text",
        URL,
        {},
        "<p>You don't have permission to access /x on this server.</p>",
        "access denied",
    ),
    ("we value your privacy", URL, {}, "<title>We value your privacy</title>", "cookie wall"),
    ("cookie consent title", URL, {}, "<title>Cookie consent - Example</title>", "cookie wall"),
    (
        "cookie wall text",
        URL,
        {},
        "<title>Example</title><h2>We value your privacy</h2><button>Accept all cookies</button>",
        "cookie wall",
    ),
    (
        "enable js and cookies",
        URL,
        {},
        "<title>Example</title><p>Please enable JavaScript and cookies to continue</p>",
        "cookie wall",
    ),
    ("pardon", URL, {}, "<title>Pardon Our Interruption</title>", "bot check"),
    ("robot", URL, {}, "<title>Example</title><h1>Are you a robot?</h1>", "bot check"),
    (
        "human",
        URL,
        {},
        "<title>Example</title><p>Verify you are human by completing the action below.</p>",
        "bot check",
    ),
    (
        "datadome",
        URL,
        {},
        '<title>example.com</title><script src="https://ct.captcha-delivery.com/c.js"></script>',
        "bot check",
    ),
    ("perimeterx", URL, {}, '<title>example.com</title><div id="px-captcha"></div>', "bot check"),
]


@pytest.mark.parametrize(
    ("url", "headers", "markup", "reason"),
    [c[1:] for c in WALL_CASES],
    ids=[c[0] for c in WALL_CASES],
)
def test_walls_are_reported_and_their_text_is_never_used(
    url: str, headers: dict[str, str], markup: str, reason: str
) -> None:
    head = meta("property", "og:title", "Wall title") + meta("name", "description", "Wall text")
    body = f"<html><head>{head}</head><body>{markup}</body></html>".encode()
    info = parse_page(body, url, {**HTML_UTF8, **headers})
    assert (info.blocked, info.title, info.description) == (reason, "", "")
    assert info.content_type == "text/html"


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("How Cloudflare\u2019s \u2018Just a moment\u2019 page works", LONG),
        ("Article", '<div class="cookie-banner"><p>We value your privacy</p></div>' + LONG * 15),
        ("Article", "<p>Are you a robot? Captchas and the people who solve them. " + LONG * 15),
    ],
)
def test_ordinary_pages_are_not_walls(title: str, body: str) -> None:
    info = page(f"<title>{title}</title>", body)
    assert (info.blocked, info.title) == ("", title)


# PDF.


def pdf(info: bytes, *, extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
        + extra
        + b"7 0 obj\n"
        + info
        + b"\nendobj\ntrailer\n<< /Root 1 0 R /Info 7 0 R >>\n%%EOF\n"
    )


PDF_URL = "https://example.com/files/annual-report-2025.pdf"
PDF_CASES = [
    ("literal", pdf(b"<< /Title (Annual Report 2025) /Author (Me) >>"), "Annual Report 2025"),
    (
        "escaped parentheses",
        pdf(rb"<< /Title (Report \(draft\) \\ final) >>"),
        "Report (draft) \\ final",
    ),
    ("balanced parentheses", pdf(b"<< /Title (Report (draft) 2) >>"), "Report (draft) 2"),
    ("octal escape", pdf(rb"<< /Title (Caf\351 \050menu\051) >>"), "Café (menu)"),
    (
        "utf-16be",
        pdf(b"<< /Title (\xfe\xff" + "Café ☕ 東京".encode("utf-16-be") + b") >>"),
        "Café ☕ 東京",
    ),
    ("hex", pdf(b"<< /Title <FEFF00520065 0070006F00720074> >>"), "Report"),
    ("hex bytes", pdf(b"<< /Title <48656C6C6F> >>"), "Hello"),
    (
        "info wins over outline titles",
        pdf(
            b"<< /Title (Real title) >>",
            extra=b"5 0 obj\n<< /Title (Chapter 1) /Parent 4 0 R >>\nendobj\n",
        ),
        "Real title",
    ),
    (
        "xmp",
        pdf(
            b"<< /Producer (x) >>",
            extra=b"<x:xmpmeta><rdf:RDF><rdf:Description>"
            b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">XMP &amp; title</rdf:li></rdf:Alt>'
            b"</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>",
        ),
        "XMP & title",
    ),
    ("empty title", pdf(b"<< /Title () >>"), "annual-report-2025.pdf"),
    ("no title", pdf(b"<< /Producer (LibreOffice) >>"), "annual-report-2025.pdf"),
    (
        "incremental update: newest info",
        pdf(b"<< /Title (Old) >>")
        + b"8 0 obj\n<< /Title (New) >>\nendobj\ntrailer\n<< /Root 1 0 R /Info 8 0 R >>\n",
        "New",
    ),
    ("no info at all", b"%PDF-1.4\n%%EOF\n", "annual-report-2025.pdf"),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in PDF_CASES], ids=[c[0] for c in PDF_CASES]
)
def test_pdf_title(body: bytes, expected: str) -> None:
    assert parse_pdf_title(body, PDF_URL) == expected


def test_pdf_file_name_is_url_decoded() -> None:
    url = "https://example.com/docs/Annual%20Report%C3%A9.pdf?download=1"
    assert parse_pdf_title(b"%PDF-1.4\n", url) == "Annual Reporté.pdf"


@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "application/pdf"}, {"content-type": "application/octet-stream"}, {}],
)
def test_pdf_pages(headers: dict[str, str]) -> None:
    info = parse_page(pdf(b"<< /Title (Annual) >>"), PDF_URL, headers)
    assert info == PageInfo(PDF_URL, "Annual", "", "", "", "", "application/pdf")


# Other media types.


@pytest.mark.parametrize(
    ("url", "content_type", "title"),
    [
        ("https://example.com/img/cat%20photo.png", "image/png", "cat photo.png"),
        ("https://example.com/notes/todo.txt", "text/plain; charset=utf-8", "todo.txt"),
        ("https://api.example.com/v1/items/", "application/json", "items"),
        ("https://www.example.com/", "image/jpeg", "example.com"),
        ("https://example.com", "video/mp4", "example.com"),
    ],
)
def test_other_media_types_are_named_by_file_or_host(
    url: str, content_type: str, title: str
) -> None:
    info = parse_page(b"\x89PNG...", url, {"Content-Type": content_type})
    assert (info.title, info.description) == (title, "")
    assert info.content_type == content_type.split(";")[0]


# oEmbed.

OEMBED_CASES = [
    (
        {"type": "video", "title": "How Do Computers Remember?", "author_name": "Seb"},
        ("How Do Computers Remember?", ""),
    ),
    (
        {"title": "  Spaced\n title ", "description": "A  video\nabout things."},
        ("Spaced title", "A video about things."),
    ),
    ({"title": "It&#8217;s here &amp; now"}, ("It\u2019s here & now", "")),
    ({"title": 42, "description": None}, ("", "")),
    ({}, ("", "")),
]


@pytest.mark.parametrize(("data", "expected"), OEMBED_CASES)
def test_parse_oembed(data: dict[str, object], expected: tuple[str, str]) -> None:
    assert parse_oembed(data) == expected


# Canonical URL, site name, language, content type.


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/posts/hello/">', "https://www.example.com/posts/hello/"),
        ('<link rel="Canonical" href="https://example.com/a">', "https://example.com/a"),
        (meta("property", "og:url", "https://example.com/og"), "https://example.com/og"),
        (
            '<link rel="canonical" href="/c">' + meta("property", "og:url", "/og"),
            "https://www.example.com/c",
        ),
        ("", ""),
    ],
)
def test_canonical_url(head: str, expected: str) -> None:
    assert page(head).canonical_url == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            meta("property", "og:site_name", "OG")
            + meta("name", "application-name", "App")
            + ld({"publisher": {"name": "LD"}}),
            "OG",
        ),
        (meta("name", "application-name", "App") + ld({"publisher": {"name": "LD"}}), "App"),
        (ld({"@type": "Article", "publisher": [{"@type": "Organization", "name": "LD"}]}), "LD"),
        ("", ""),
    ],
)
def test_site_name(head: str, expected: str) -> None:
    assert page(head).site_name == expected


@pytest.mark.parametrize(
    ("html_lang", "header", "locale", "expected"),
    [
        ("fr-FR", "de", "en_GB", "fr-FR"),
        ("", "de-AT, de", "en_GB", "de-AT"),
        ("", "", "en_GB", "en-GB"),
        ("", "", "", ""),
    ],
)
def test_language(html_lang: str, header: str, locale: str, expected: str) -> None:
    head = meta("property", "og:locale", locale) if locale else ""
    markup = f'<html lang="{html_lang}"><head>{head}</head><body></body></html>'
    headers = {"Content-Type": "text/html", "Content-Language": header} if header else {}
    assert parse_page(markup.encode(), URL, headers).language == expected


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Content-Type": "text/html; charset=UTF-8"}, b"<p>x</p>", "text/html"),
        ({"Content-Type": "Application/XHTML+XML"}, b"<p>x</p>", "application/xhtml+xml"),
        ({}, b"  <!doctype html><title>x</title>", "text/html"),
        ({}, b"plain words", "application/octet-stream"),
        ({"Content-Type": "text/html"}, b"%PDF-1.4\n", "application/pdf"),
    ],
)
def test_content_type(headers: dict[str, str], body: bytes, expected: str) -> None:
    assert parse_page(body, URL, headers).content_type == expected


# Saved pages: every expected title and description, exactly.


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_saved_pages(name: str) -> None:
    expected = EXPECTED[name]
    body = (PAGES / name).read_bytes()
    info = parse_page(body, expected["url"], expected["headers"], **expected["options"])
    for field in PageInfo.__dataclass_fields__:
        if field in expected and field != "url":
            assert getattr(info, field) == expected[field], field
    assert info.url == expected["url"]


def test_saved_pages_are_many_and_small() -> None:
    files = [path for path in PAGES.iterdir() if path.name != "expected.json"]
    assert len(EXPECTED) >= 20
    assert sorted(path.name for path in files) == sorted(EXPECTED)
    assert all(path.stat().st_size < 8 * 1024 for path in files)


def test_start_up_defers_what_the_extractor_rarely_needs() -> None:
    code = (
        "import sys; from linkdigest.fetching.extract import parse_page; "
        "print(sorted(m for m in ('soupsieve.css_parser', 'charset_normalizer.api') "
        "if m in sys.modules)); from bs4 import BeautifulSoup; "
        "print(BeautifulSoup('<p class=a>x</p>', 'html.parser').select_one('p.a').text)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "x"]
