"""Writing digests: round trip, and text from the web escaped."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest

from linkdigest.format.digest import parse_digest
from linkdigest.format.render import entry_from_text, render_digest, render_entry

CONTENT = Path(__file__).resolve().parent.parent / "content"
DIGESTS = sorted(CONTENT.glob("posts/*-links.md"))

HOSTILE = [
    "Hello [world]",
    "*stars* and _underscores_ and `code`",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Trailing backslash \\",
    "AT&T &amp; friends &#x27;",
    "# Not a heading",
    "1. Not a list",
    "- Not a bullet",
    "> Not a quote",
    "[link](javascript:alert(1))",
    "![image](https://evil.example/x.png)",
    "{static}/etc/passwd",
    "Émoji 🎉 and 日本語 and Ελληνικά",
    "Line\nbreaks\tand   spaces",
]


@pytest.mark.parametrize("path", DIGESTS, ids=lambda p: p.name)
def test_example_digests_round_trip(path: Path) -> None:
    digest = parse_digest(path.read_text(encoding="utf-8"))
    again = parse_digest(render_digest(digest))
    assert again == digest
    assert render_digest(again) == render_digest(digest)


@pytest.mark.parametrize("text", HOSTILE)
def test_web_text_round_trips_as_plain_text(text: str) -> None:
    entry = entry_from_text(text, "https://example.org/a_(b)", text)
    parsed = parse_digest(f"## S\n\n{render_entry(entry)}").entries[0]
    assert parsed.title == " ".join(text.split())
    assert parsed.url == "https://example.org/a_(b)"
    assert parsed == entry


@pytest.mark.parametrize("text", HOSTILE)
def test_web_text_cannot_inject_markup(text: str) -> None:
    rendered = markdown.markdown(render_entry(entry_from_text(text, "https://example.org/", text)))
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "javascript:" not in rendered.replace("(javascript:", "")
    assert rendered.count("<a ") == 1
    assert rendered.count("<h3>") == 1
    assert "<ol>" not in rendered and "<ul>" not in rendered and "<h1>" not in rendered
    assert rendered.count("<blockquote>") == 1


def test_destination_with_spaces_is_wrapped() -> None:
    entry = entry_from_text("T", "https://example.org/a b")
    assert "(<https://example.org/a%20b>)" in render_entry(entry)
