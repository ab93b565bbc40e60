"""Hostile text never becomes markup: every output file of real builds, scanned.

Two ways hostile text reaches a site. Fetched text (a page's ``<title>`` and description)
goes through ``scripts/fetch.py`` into Markdown, which must build cleanly even with
``--fatal warnings`` and show the text as text. Text an author pasted into a post by hand
(titles, summaries, notes, sections, tags, URLs, front matter) may hold raw HTML, script
URLs and template syntax: the build warns with file:line, production refuses it, and no
output file carries any of it live.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from linkdigest.fetching.extract import parse_page
from linkdigest.format.render import Entry, entry_from_text, render_entry
from tests.scan import EVALUATED, TEMPLATE_PAYLOAD, scan_html, scan_json, scan_site

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

# Breaks out of an attribute (either quote), opens tags, runs script, evaluates templates.
PAYLOAD = (
    "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"
    f"<svg onload=alert(3)> {TEMPLATE_PAYLOAD} {{% if 1 %}}TPL{{% endif %}} & &amp; &lt;b&gt;"
)
HOSTILE_URL = "https://evil.example/a?q=\"><script>alert('url')</script>&x='y'"
# Valid in a Markdown destination (no space), and out of an attribute if printed raw.
BREAKOUT_URL = 'https://d.example/x?"onmouseover="alert(1)'
ODD_HOST = "https://<b>.example/"  # a domain that reads as a tag

FETCHED_TITLE = "&lt;script&gt;alert(1)&lt;/script&gt;"  # what a page's <title> text holds


def hostile_page(url: str, head: str, body: str = "") -> Entry:
    """An entry as fetch writes it from a hostile page, read by the real extractor."""
    info = parse_page(f"<html><head>{head}</head><body>{body}</body></html>".encode(), url, {})
    return entry_from_text(info.title, url, info.summary)


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def extracted_entries() -> list[Entry]:
    """Entries whose text came through the site rules, templates and repairs."""
    twice = escaped(escaped(PAYLOAD))  # entities escaped twice are decoded twice
    return [
        hostile_page(
            "https://www.amazon.com/dp/B0",
            f'<title>Amazon.com: x</title><meta name=description content="{twice}">',
            f'<span id="productTitle">{escaped(PAYLOAD)}</span>',
        ),
        hostile_page(
            "https://x.com/%3Cscript%3E/status/1",
            f'<meta property="og:title" content="{escaped(PAYLOAD)} on X: &quot;{twice}&quot;">',
        ),
        hostile_page(
            "https://www.tiktok.com/@evil/video/1",
            f'<meta property="og:title" content="{escaped(PAYLOAD)} on TikTok">',
        ),
        hostile_page(
            "https://journal.example/a",
            f'<meta name="citation_title" content="{twice}"><meta property="og:title" content="x">'
            f'<meta name="citation_abstract" content="\u00c3\u00a9 {escaped(PAYLOAD)}">',
        ),
    ]


def fetched_digest() -> str:
    """A digest as the fetch helper writes it from hostile pages (titles and descriptions
    as the pages gave them, decoded to text)."""
    entries = [
        entry_from_text("<script>alert(1)</script>", "https://a.example/one", PAYLOAD),
        entry_from_text(PAYLOAD, 'https://b.example/two?x=1&y="2"', FETCHED_TITLE),
        entry_from_text(PAYLOAD, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", PAYLOAD),
        entry_from_text("{{ 7*1919191 }} [x](javascript:alert(1))", HOSTILE_URL, "plain"),
        entry_from_text("Breakout", BREAKOUT_URL, "Leaves the attribute if printed raw."),
        *extracted_entries(),
    ]
    return (
        "Title: Month summary - March 2026\nDate: 2026-03-31\nCategory: summary\n"
        "Slug: fetched\n\n## Read\n\n" + "\n".join(render_entry(e) for e in entries)
    )


HAND_WRITTEN_DIGEST = f"""\
Title: Digest {PAYLOAD}
Date: 2026-04-30
Category: summary
Tags: {PAYLOAD.replace(",", " ")}, calm
Slug: hand-written
Author: Sam {PAYLOAD}
Summary: Summary {PAYLOAD} [s](javascript:alert('summary'))
Header_Cover_Alt: {PAYLOAD}

# Heading {PAYLOAD}

Intro {PAYLOAD} [intro](javascript:alert('intro')) <a href="JaVaScRiPt&#58;alert(4)">x</a>

## Section {PAYLOAD}

Prose <iframe src="javascript:alert('prose')"></iframe> <form action="javascript:alert(5)">

### [Title {PAYLOAD.replace("[", "(").replace("]", ")")}](https://c.example/x?q="'<>)

> Quote {PAYLOAD} [q](javascript:alert('quote')) <a href="vbscript:x">v</a>

Note {PAYLOAD} <object data="javascript:alert(6)"></object> <base href="javascript:alert(7)">

### [Odd host]({ODD_HOST})

> A domain that reads as a tag.

### [Script link](javascript:alert('entry'))

> Entry with a script URL.

### [Data link](data:text/html,<script>alert(8)</script>)

> Entry with a data URL.
"""

HAND_WRITTEN_POST = f"""\
Title: Post {PAYLOAD}
Date: 2026-04-02
Category: notes {PAYLOAD}
Tags: {PAYLOAD.replace(",", " ")}
Slug: post
Summary: {PAYLOAD}

Body {PAYLOAD} <a href=" javascript:alert(9)">x</a> <img src="x" onerror="alert(10)">

<div onclick="alert(11)" style="background:url(javascript:alert(12))">div</div>

```html
<script>alert('code is text')</script>
```
"""


def visible_text(page: str, separator: str = " ") -> str:
    return BeautifulSoup(page, "html.parser").get_text(separator)


@pytest.mark.parametrize("production", [False, True], ids=["preview", "production"])
def test_fetched_hostile_text_builds_cleanly_and_is_shown_as_text(
    tiny_site, production: bool
) -> None:
    build = tiny_site(
        {"posts/fetched.md": fetched_digest()}, production=production, fatal=production
    )
    assert build.returncode == 0, build.log
    assert "WARNING" not in build.log, build.log
    assert scan_site(build.output) == []
    page = build.read("posts/2026/03/fetched/index.html")
    text = visible_text(page)
    assert "<script>alert(1)</script>" in text  # shown, not run and not dropped
    assert TEMPLATE_PAYLOAD in text
    links = visible_text(build.read("links/index.html"))
    assert "<script>alert(1)</script>" in links and TEMPLATE_PAYLOAD in links
    data = json.loads(build.read("links.json"))
    assert data["links"][0]["title"] == "<script>alert(1)</script>"


def test_hand_written_hostile_content_is_never_live(tiny_site) -> None:
    files = {"posts/hand.md": HAND_WRITTEN_DIGEST, "posts/post.md": HAND_WRITTEN_POST}
    preview = tiny_site(files)
    assert preview.returncode == 0, preview.log
    assert scan_site(preview.output) == []
    # The author is told, with the file and line, what was taken out.
    assert "hand.md:12: " in preview.log and "javascript:" in preview.log
    assert "post.md:8: " in preview.log
    page = visible_text(preview.read("posts/2026/04/hand-written/index.html"))
    assert "<b>.example" in page  # the domain beside the link, as text
    assert "<b>.example" in visible_text(preview.read("links/index.html"))
    code = visible_text(preview.read("posts/2026/04/post/index.html"), "")
    assert "<script>alert('code is text')</script>" in code


def test_hand_written_hostile_content_production(tiny_site) -> None:
    files = {"posts/hand.md": HAND_WRITTEN_DIGEST, "posts/post.md": HAND_WRITTEN_POST}
    production = tiny_site(files, production=True)
    assert scan_site(production.output) == []
    assert production.returncode == 0
    fatal = tiny_site(files, production=True, fatal=True)
    assert fatal.returncode != 0  # at the first warning, from whichever post Pelican read first
    assert "hand.md:" in fatal.log or "post.md:" in fatal.log


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ('<a href="javascript:alert(1)">x</a>', "script URL"),
        ('<a href=" JaVa\tScript:alert(1)">x</a>', "script URL"),
        ("<img src=x onerror=alert(1)>", "event handler"),
        ("<script>alert(1)</script>", "<script"),
        ('<iframe src="https://evil.example/"></iframe>', "<iframe"),
        ("<svg onload=alert(1)>", "event handler"),
        ('<script type="application/ld+json">{"a": "</script><script>x"}</script>', "JSON-LD"),
    ],
)
def test_the_scanner_sees_each_kind_of_payload(html: str, kind: str) -> None:
    findings = scan_html(html, "page.html")
    assert any(kind in finding for finding in findings), findings


def test_the_scanner_reads_json_as_embeddable() -> None:
    assert scan_json('{"title": "\\u003cscript\\u003e"}', "x.json") == []
    assert scan_json('{"title": "<script>"}', "x.json")
    assert scan_json('{"url": "javascript:alert(1)"}', "x.json")


def test_the_scanner_finds_evaluated_templates(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(f"<p>{EVALUATED}</p>", encoding="utf-8")
    assert scan_site(tmp_path)
