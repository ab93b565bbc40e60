"""Bad input: the build names the file and line; production fails; content is untouched."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

GOOD_DIGEST = """\
Title: Month summary - March 2026
Date: 2026-03-31
Category: summary
Tags: links
Slug: 2026-march-links
Status: {status}

# March 2026

Intro.

## Articles

### [How queues fail](https://example.org/queues)

> Summary.

{extra}
"""

CASES = [
    ("### Not a link at all", 18, "not exactly one link"),
    ("### [](https://example.org/empty)", 18, "empty title"),
    ("### [Relative](/not/absolute)", 18, "not absolute http(s)"),
    ("### [Twice](https://EXAMPLE.org/queues/)", 18, "already an entry at line 14"),
    ("![Missing]({static}/images/nope.jpg)", 18, "does not exist"),
]


@pytest.mark.parametrize(("extra", "line", "message"), CASES)
def test_malformed_digest_is_reported_with_file_and_line(
    tiny_site, extra: str, line: int, message: str
) -> None:
    files = {"posts/march.md": GOOD_DIGEST.format(status="published", extra=extra)}
    local = tiny_site(files)
    assert local.returncode == 0
    assert f"posts/march.md:{line}: " in local.log and message in local.log
    production = tiny_site(files, production=True, fatal=True)
    assert production.returncode != 0
    assert f"posts/march.md:{line}: " in production.log


def test_warm_cache_still_reports_problems(tiny_site) -> None:
    files = {"posts/march.md": GOOD_DIGEST.format(status="published", extra=CASES[0][0])}
    tiny_site(files)
    again = tiny_site({})
    assert "posts/march.md:18: " in again.log


def test_problems_in_a_draft_do_not_fail_production(tiny_site) -> None:
    files = {
        "posts/march.md": GOOD_DIGEST.format(status="draft", extra=CASES[0][0]),
        "posts/ok.md": "Title: Fine\nDate: 2026-01-01\nCategory: notes\n\nText.\n",
    }
    assert "posts/march.md:18: " in tiny_site(files).log
    assert tiny_site(files, production=True, fatal=True).returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Title: T\nDate 2026-01-01\nCategory: notes\n\nBody.\n",
            "posts/post.md:2: front matter line is not 'Key: value'",
        ),
        ("Title: T\nDate: 2026-01-01\nStatus: publishd\n\nBody.\n", "Unknown status 'publishd'"),
        ("Date: 2026-01-01\n\nBody.\n", "could not find information about 'title'"),
        (
            "Title: T\nDate: 2026-01-01\nHeader_Cover: /images/none.jpg\n\nBody.\n",
            "Header_Cover image '/images/none.jpg' does not exist",
        ),
    ],
)
def test_broken_posts_fail_the_production_build(tiny_site, text: str, expected: str) -> None:
    files = {"posts/post.md": text, "posts/ok.md": "Title: Fine\nDate: 2026-01-01\n\nText.\n"}
    local = tiny_site(files)
    assert expected in local.log
    production = tiny_site(files, production=True, fatal=True)
    assert production.returncode != 0
    assert "post.md" in production.log


def test_build_never_changes_content(tiny_site, tmp_path) -> None:
    text = GOOD_DIGEST.format(status="published", extra=CASES[0][0])
    tiny_site({"posts/march.md": text}, production=True, fatal=True)
    assert (tmp_path / "content" / "posts" / "march.md").read_text(encoding="utf-8") == text
    assert sorted(p.name for p in (tmp_path / "content").rglob("*")) == ["march.md", "posts"]
