"""The digest parser against the spec's edge cases."""

from __future__ import annotations

import random

import pytest

from linkdigest.format.digest import (
    PLAIN_LINK_HEADING,
    Entry,
    is_digest,
    is_entry_link,
    parse_digest,
    parse_front_matter,
    parse_link_heading,
)
from linkdigest.format.markdown import parse_line_links

FRONT = "Title: T\nDate: 2026-03-31\nCategory: summary\n\n"


def only_entry(body: str) -> Entry:
    digest = parse_digest(FRONT + body)
    assert digest.problems == ()
    (entry,) = digest.entries
    return entry


@pytest.mark.parametrize(
    ("heading", "title", "url"),
    [
        ("[Plain title](https://example.org/a)", "Plain title", "https://example.org/a"),
        (
            "[Mutt](https://en.wikipedia.org/wiki/Mutt_(email_client))",
            "Mutt",
            "https://en.wikipedia.org/wiki/Mutt_(email_client)",
        ),
        (
            "[A (b) c](https://example.org/x_(y)_(z)?q=1&r=2#frag)",
            "A (b) c",
            "https://example.org/x_(y)_(z)?q=1&r=2#frag",
        ),
        (
            r"[Why is \[\] faster than list()?](https://example.org/q)",
            "Why is [] faster than list()?",
            "https://example.org/q",
        ),
        (r"[Back\\slash](https://example.org/b)", "Back\\slash", "https://example.org/b"),
        (
            "[Nested [brackets] work](https://example.org/n)",
            "Nested [brackets] work",
            "https://example.org/n",
        ),
        ("[Trailing spaces   ](https://example.org/t)", "Trailing spaces", "https://example.org/t"),
        ("[  Leading](https://example.org/l)", "Leading", "https://example.org/l"),
        (
            "[Пайтон и асинхронность](https://example.ru/статья)",
            "Пайтон и асинхронность",
            "https://example.ru/статья",
        ),
        (
            "[非同期 I/O — asyncio](https://docs.python.org/ja/3/library/asyncio.html)",
            "非同期 I/O — asyncio",
            "https://docs.python.org/ja/3/library/asyncio.html",
        ),
        ("[AT&amp;T &lt;3](https://example.org/e)", "AT&T <3", "https://example.org/e"),
        ("[Angle](<https://example.org/with space>)", "Angle", "https://example.org/with space"),
        (
            '[With title](https://example.org/t "a link title")',
            "With title",
            "https://example.org/t",
        ),
        ("[Closing hashes](https://example.org/h) ###", "Closing hashes", "https://example.org/h"),
    ],
)
def test_link_entry_title_and_url(heading: str, title: str, url: str) -> None:
    entry = only_entry(f"## S\n\n### {heading}\n\n> Summary.\n")
    assert (entry.title, entry.url) == (title, url)


@pytest.mark.parametrize(
    "text",
    [
        "Just words",
        "[title](https://example.org) and more",
        "Before [title](https://example.org)",
        "[one](https://a.example) [two](https://b.example)",
        "[unclosed(https://example.org)",
        "[title] (https://example.org)",
        "[title](https://example.org/has space)",
        "**[bold link](https://example.org)**",
    ],
)
def test_heading_that_is_not_exactly_one_link(text: str) -> None:
    assert parse_link_heading(text) is None


def test_summary_is_the_blockquote_after_the_entry() -> None:
    entry = only_entry("## S\n\n### [T](https://e.org/)\n\n> First line.\n> Second *line*.\n")
    assert entry.summary == "First line.\nSecond *line*."
    assert entry.extra == ""


def test_missing_summary_is_allowed() -> None:
    digest = parse_digest(FRONT + "## S\n\n### [T](https://e.org/)\n\n### [U](https://e.org/u)\n")
    assert digest.problems == ()
    assert [(e.title, e.summary) for e in digest.entries] == [("T", ""), ("U", "")]


def test_markdown_after_the_summary_belongs_to_the_entry() -> None:
    body = (
        "## Videos\n\n### [A talk](https://www.youtube.com/watch?v=abcdefghijk)\n\n"
        '> About caching.\n\n<div class="video-embed"><iframe src="x" title="A talk">'
        "</iframe></div>\n\nA closing remark.\n"
    )
    entry = only_entry(body)
    assert entry.summary == "About caching."
    assert entry.extra.startswith('<div class="video-embed">')
    assert entry.extra.endswith("A closing remark.")
    assert entry.is_video and entry.domain == "youtube.com"


def test_prose_only_sections_stay_as_written() -> None:
    digest = parse_digest(
        FRONT + "# March\n\nIntro *prose*.\n\n## Some thoughts\n\nMore prose.\n"
        "\n## Articles\n\nA note first.\n\n### [T](https://e.org/)\n\n> S.\n"
    )
    assert digest.heading == "March"
    assert digest.intro == "Intro *prose*."
    thoughts, articles = digest.sections
    assert (thoughts.title, thoughts.prose, thoughts.entries) == (
        "Some thoughts",
        "More prose.",
        (),
    )
    assert articles.prose == "A note first."
    assert [e.title for e in articles.entries] == ["T"]


def test_entry_line_numbers_count_the_front_matter() -> None:
    digest = parse_digest(FRONT + "## S\n\n### [T](https://e.org/)\n\n### [U](https://e.org/u)\n")
    assert [e.line for e in digest.entries] == [7, 9]
    assert digest.sections[0].line == 5


def test_headings_inside_code_fences_are_not_entries() -> None:
    digest = parse_digest(FRONT + "## S\n\n```markdown\n### not an entry\n## not a section\n```\n")
    assert digest.problems == ()
    assert len(digest.sections) == 1
    assert "### not an entry" in digest.sections[0].prose


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("## S\n\n### Not a link\n", 7, "not exactly one link"),
        ("## S\n\n### [](https://e.org/)\n", 7, "empty title"),
        ("## S\n\n### [T](/relative/path)\n", 7, "not absolute http(s)"),
        ("## S\n\n### [T](ftp://e.org/file)\n", 7, "not absolute http(s)"),
        (
            "## S\n\n### [T](https://e.org/a)\n\n## R\n\n### [U](https://E.org/a/)\n",
            11,
            "already an entry at line 7",
        ),
        (
            "## S\n\n### [T](http://e.org/a?b=1&c=2)\n\n### [U](https://e.org/a?c=2&b=1)\n",
            9,
            "already an entry at line 7",
        ),
    ],
)
def test_problems_are_reported_with_their_line(body: str, line: int, message: str) -> None:
    (problem,) = parse_digest(FRONT + body).problems
    assert problem.line == line
    assert message in problem.message


def test_malformed_heading_keeps_its_text() -> None:
    digest = parse_digest(FRONT + "## S\n\n### [T](https://e.org/)\n\n> S.\n\n### Oops\n\nText\n")
    assert "### Oops" in digest.entries[0].extra


def test_front_matter_problem_names_the_line() -> None:
    front = parse_front_matter(["Title: T", "Date 2026-01-01", "Category: x", "", "Body"])
    assert front.metadata == {"title": "T", "category": "x"}
    assert front.body_start == 4
    (problem,) = front.problems
    assert problem.line == 2 and "Key: value" in problem.message


def test_front_matter_continuation_lines() -> None:
    front = parse_front_matter(["Summary: one", "    two", "", "Body"])
    assert front.metadata == {"summary": "one two"}


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"category": "summary"}, True),
        ({"category": "Summary"}, True),
        ({"category": "notes"}, False),
        ({"category": "notes", "digest": "yes"}, True),
        ({}, False),
    ],
)
def test_is_digest(metadata: dict[str, str], expected: bool) -> None:
    assert is_digest(metadata) is expected


def read_by_the_lexer(text: str) -> tuple[str, str] | None:
    """``parse_link_heading`` as the Markdown lexer alone answers it."""
    text = text.strip()
    links = parse_line_links(text)
    if not links or links[0].start != 0 or links[0].end != len(text):
        return None
    return (links[0].text.strip(), links[0].url) if is_entry_link(links[0]) else None


PIECES = [
    "a",
    "B",
    " ",
    "  ",
    "(",
    ")",
    "[",
    "]",
    "*",
    "_",
    "`",
    "\\",
    "<",
    ">",
    "&",
    "amp;",
    "!",
    "#",
    ":",
    "/",
    "?",
    "=",
    "%20",
    "'",
    '"',
    "é",
    "\t",
    "{",
    "}",
    "|",
    "~",
    "^",
    "-",
    ".",
    "https://",
    "http://",
    "example.org",
    "www.a.example",
    "1",
]


def test_plain_link_headings_read_without_the_lexer_as_the_lexer_reads_them() -> None:
    rng = random.Random(1234)
    plain = 0
    for _ in range(20_000):
        title = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
        url = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))
        for text in (
            f"[{title}]({url})",
            f"[{title}](https://{url})",
            f" [{title}](http://a.example/{url}) ",
        ):
            if PLAIN_LINK_HEADING.fullmatch(text.strip()):
                plain += 1
            assert parse_link_heading(text) == read_by_the_lexer(text), text
    assert plain > 2_000  # the short way was taken often enough to be tested
