"""The drafter's library: de-duplication, exclusion, sections, rendering and merging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkdigest.drafting.draft import (
    DraftSettings,
    SectionRule,
    choose_section,
    group_entries,
    merge_candidates,
    parse_draft_settings,
    parse_mergeable_draft,
    plan_draft,
    render_embed,
    render_merged,
)
from linkdigest.drafting.sources import Candidate
from linkdigest.errors import ConfigError, ContentError
from linkdigest.format.digest import parse_digest
from linkdigest.format.urls import normalise_for_dedup, normalise_url, render_clean_url


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.org/a?utm_source=x&fbclid=1&gclid=2", "https://example.org/a"),
        ("http://www.example.org:80/a/", "https://example.org/a"),
        ("https://example.org:443/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://youtu.be/abcdefghijk?si=x", "https://www.youtube.com/watch?v=abcdefghijk"),
        ("https://player.vimeo.com/video/36579366?dnt=1", "https://vimeo.com/36579366"),
        ("https://example.org/a#:~:text=quote", "https://example.org/a"),
    ],
)
def test_spellings_of_one_link_share_a_dedup_key(a: str, b: str) -> None:
    assert normalise_for_dedup(a) == normalise_for_dedup(b)


def test_dedup_key_keeps_real_differences_and_normalise_url_is_unchanged() -> None:
    assert normalise_for_dedup("https://a.example/x#one") != normalise_for_dedup(
        "https://a.example/x#two"
    )
    assert normalise_for_dedup("https://a.example/x?page=2") != normalise_for_dedup(
        "https://a.example/x?page=3"
    )
    assert normalise_url("http://example.org/a") == "http://example.org/a"  # the cache key


def test_clean_url_drops_only_tracking() -> None:
    assert render_clean_url("https://Example.org/A/?utm_medium=x&q=%C3%A9&b=1") == (
        "https://Example.org/A/?q=%C3%A9&b=1"
    )
    assert render_clean_url("https://youtu.be/abcdefghijk?si=x&t=30") == (
        "https://youtu.be/abcdefghijk?t=30"
    )


def cand(url: str, **values: object) -> Candidate:
    return Candidate(url, source=str(values.pop("source", "s")), **values)  # type: ignore[arg-type]


def test_duplicates_merge_keeping_the_best_title_and_every_note() -> None:
    merged = merge_candidates(
        [
            cand("https://a.example/x?utm_source=n", note="first note", note_markdown=True),
            cand("https://a.example/x/", title="https://a.example/x", section_hint="Python"),
            cand("http://a.example/x", title="The real title", note="second note", tags=("t",)),
            cand("https://a.example/x", note="first note", date=datetime(2026, 11, 2, tzinfo=UTC)),
        ]
    )
    assert len(merged) == 1
    (one,) = merged
    assert one.url == "https://a.example/x"
    assert one.title == "The real title"
    assert one.note == "first note. second note"
    assert (one.section_hint, one.tags, one.date) == (
        "Python",
        ("t",),
        datetime(2026, 11, 2, tzinfo=UTC),
    )


def test_plan_leaves_out_published_links_and_those_already_in_the_draft() -> None:
    existing = parse_digest("Status: draft\n\n## Articles\n\n### [In](https://a.example/in)\n")
    plan = plan_draft(
        [
            cand("https://a.example/new"),
            cand("https://a.example/in/"),
            cand("https://a.example/old"),
        ],
        {normalise_for_dedup("https://a.example/old"): "content/posts/2026-10-links.md:12"},
        existing,
    )
    assert [c.url for c in plan.new] == ["https://a.example/new"]
    assert [c.url for c in plan.in_draft] == ["https://a.example/in/"]
    assert [(c.url, where) for c, where in plan.published] == [
        ("https://a.example/old", "content/posts/2026-10-links.md:12")
    ]


RULES = DraftSettings(
    sections=("Articles", "Python", "Security", "Videos"),
    rules=(
        SectionRule("Videos", videos=True),
        SectionRule("Python", domains=("python.org",), urls=("github.com/python/*",)),
        SectionRule("Security", tags=("security",), keywords=("csp", "脆弱性")),
    ),
)


@pytest.mark.parametrize(
    ("candidate", "section"),
    [
        (cand("https://www.youtube.com/watch?v=abcdefghijk", title="Python talk"), "Videos"),
        (cand("https://docs.python.org/3/"), "Python"),
        (cand("https://github.com/python/cpython/pull/1"), "Python"),
        (cand("https://github.com/other/repo"), "Articles"),
        (cand("https://a.example/", tags=("Security",)), "Security"),
        (cand("https://a.example/", title="Strict CSP in practice"), "Security"),
        (cand("https://a.example/", title="CSPs are not a word here"), "Articles"),
        (cand("https://a.example/", note="新しい脆弱性について"), "Security"),
        (cand("https://docs.python.org/3/", section_hint="security"), "Security"),
        (cand("https://a.example/", section_hint="Deutsch"), "Deutsch"),
    ],
)
def test_sections_from_hints_then_rules_then_the_default(candidate, section) -> None:
    assert choose_section(candidate, RULES) == section


def test_video_entries_get_the_privacy_enhanced_embed_exactly() -> None:
    assert render_embed('A "talk" & <more>', "https://youtu.be/abcdefghijk") == (
        '<div class="video-embed"><iframe src="https://www.youtube-nocookie.com/embed/abcdefghijk"\n'
        'title="A &quot;talk&quot; &amp; &lt;more&gt;" allowfullscreen></iframe></div>'
    )
    assert "player.vimeo.com/video/36579366?dnt=1" in render_embed(
        "t", "https://vimeo.com/36579366"
    )
    assert render_embed("t", "https://a.example/") == ""


def test_web_text_is_escaped_and_the_persons_markdown_kept() -> None:
    groups = group_entries(
        [
            cand("https://a.example/1", title="# <script>x</script> [a]", note="*web* <b>"),
            cand(
                "https://a.example/2",
                title="T",
                note="my *own* [note](https://b.example)",
                note_markdown=True,
            ),
        ],
        RULES,
    )
    web, own = groups["Articles"]
    assert web.title_markdown == "\\# &lt;script&gt;x&lt;/script&gt; \\[a\\]"
    assert web.summary == "\\*web\\* &lt;b&gt;"
    assert own.summary == "my *own* [note](https://b.example)"


EDITED = """\
Title: Month summary - November 2026\r
Status: draft\r
\r
# November 2026\r
\r
My own intro, edited by hand.\r
\r
## Some thoughts\r
\r
Prose I wrote.\r
\r
## Articles\r
\r
### [A title I rewrote](https://a.example/first)\r
\r
> My own summary.\r
\r
\r
## Videos\r
\r
### [A talk](https://youtu.be/abcdefghijk)\r
"""


def test_merge_inserts_entries_and_sections_and_keeps_every_line() -> None:
    settings = DraftSettings(sections=("Articles", "Python", "Videos", "Security"))
    additions = group_entries(
        [
            cand("https://a.example/second", title="Second"),
            cand("https://a.example/py", title="Py", section_hint="Python"),
            cand("https://a.example/sec", title="Sec", section_hint="Security"),
        ],
        settings,
    )
    merged = render_merged(EDITED, parse_digest(EDITED), additions, settings)
    assert merged.replace("\r\n", "\n").split("\n## ")[2:] == [
        "Articles\n\n### [A title I rewrote](https://a.example/first)\n\n> My own summary.\n\n"
        "### [Second](https://a.example/second)\n\n",  # the blank lines stay after it
        "Python\n\n### [Py](https://a.example/py)\n",
        "Videos\n\n### [A talk](https://youtu.be/abcdefghijk)\n",
        "Security\n\n### [Sec](https://a.example/sec)\n",
    ]
    old_lines = EDITED.splitlines(keepends=True)
    new_lines = merged.splitlines(keepends=True)
    assert all(line.endswith("\r\n") for line in new_lines)
    it = iter(new_lines)
    assert all(line in it for line in old_lines)  # every old line, in order, byte for byte
    assert not parse_digest(merged).problems


def test_only_a_draft_may_be_merged_into() -> None:
    with pytest.raises(ContentError, match=r"x.md:2: Status is published, not draft"):
        parse_mergeable_draft("Title: T\nStatus: published\n\nBody\n", "x.md")
    with pytest.raises(ContentError, match="Status is published"):
        parse_mergeable_draft("Title: T\n\nNo status means published\n", "x.md")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"colour": "red"}, "unknown setting 'colour'"),
        ({"sections": "Articles"}, "sections must be a list of strings"),
        ({"sources": [{"type": "mailbox", "path": "x"}]}, "type must be one of"),
        ({"sources": [{"type": "inbox"}]}, "give a path"),
        ({"sources": [{"type": "inbox", "url": "https://a.example/"}]}, "give a path"),
        ({"rules": [{"domains": ["a.example"]}]}, "every rule needs a section"),
        ({"rules": [{"section": "X", "domain": ["a.example"]}]}, "unknown setting 'domain'"),
        ({"path": "content/{yaer}.md"}, "bad placeholder"),
    ],
)
def test_bad_draft_settings_name_the_file(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_draft_settings({"draft": table}, "linkdigest.toml")
