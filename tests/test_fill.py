"""Fill mode: only entries lacking a title or summary change; re-running changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkdigest.fetching.fill import Filled, parse_fill_targets, render_filled
from linkdigest.format.digest import parse_digest
from scripts.fetch import main
from tests.test_fetch import sites  # noqa: F401 - the local sites fixture

DRAFT = """\
Title: Month summary - March 2026
Date: 2026-03-31
Category: summary
Status: draft

# March 2026

My own intro, with a link to {base} inside the sentence.

## Articles

{ok}

### {ok2}

### [My own title]({base}mine)

> My own summary, which must survive.

### [Needs a summary]({base}needs)

>

### []({base}untitled)

> A summary I wrote for an untitled entry.

```
{base}in-a-code-block
```
"""


@pytest.mark.parametrize(
    ("line", "urls"),
    [
        ("https://example.org/a", ["https://example.org/a"]),
        ("  <https://example.org/a>  ", ["https://example.org/a"]),
        ("### https://example.org/h", ["https://example.org/h"]),
        ("### <https://example.org/h>", ["https://example.org/h"]),
        ("### [Title](https://example.org/t)", ["https://example.org/t"]),
        ("### [Title](https://example.org/t)\n\n> Summary.", []),
        ("Text https://example.org/a in a sentence", []),
        ("- https://example.org/list-item", []),
        ("## https://example.org/section", []),
        ("ftp://example.org/file", []),
    ],
)
def test_targets(line: str, urls: list[str]) -> None:
    assert [t.url for t in parse_fill_targets(f"Title: T\n\n## S\n\n{line}\n")] == urls


def test_render_keeps_everything_a_person_wrote() -> None:
    text = DRAFT.format(
        ok="https://a.example/one", ok2="https://a.example/two", base="https://example.org/"
    )
    targets = parse_fill_targets(text)
    assert [t.url for t in targets] == [
        "https://a.example/one",
        "https://a.example/two",
        "https://example.org/needs",
        "https://example.org/untitled",
    ]
    filled = {
        t.url: Filled(f"Fetched <{t.url[-3:]}> [x]", f"About *{t.url[-3:]}*.") for t in targets
    }
    result = render_filled(text, targets, filled)
    digest = parse_digest(result)
    assert digest.problems == ()
    by_url = {e.url: e for e in digest.entries}
    assert by_url["https://a.example/one"].title == "Fetched <one> [x]"
    assert by_url["https://a.example/one"].summary == r"About \*one\*."
    assert by_url["https://example.org/mine"].summary == "My own summary, which must survive."
    assert by_url["https://example.org/needs"].title == "Needs a summary"
    assert by_url["https://example.org/needs"].summary == r"About \*eds\*."
    assert by_url["https://example.org/untitled"].title == "Fetched <led> [x]"
    assert by_url["https://example.org/untitled"].summary.startswith("A summary I wrote")
    assert "https://example.org/in-a-code-block\n```" in result
    assert "My own intro, with a link to https://example.org/ inside the sentence." in result
    assert render_filled(result, parse_fill_targets(result), filled) == result


def test_crlf_files_keep_their_line_endings() -> None:
    text = "Title: T\r\n\r\n## S\r\n\r\nhttps://a.example/x\r\n\r\nEnd.\r\n"
    result = render_filled(
        text, parse_fill_targets(text), {"https://a.example/x": Filled("X", "About x.")}
    )
    assert (
        result == "Title: T\r\n\r\n## S\r\n\r\n### [X](https://a.example/x)\r\n\r\n"
        "> About x.\r\n\r\nEnd.\r\n"
    )


def test_fill_command_in_place_with_backup(sites, tmp_path: Path, capsys) -> None:  # noqa: F811
    pages, _, settings = sites
    draft = tmp_path / "2026-03-links.md"
    pages.routes["/needs"] = pages.routes["/ok"]
    pages.routes["/untitled"] = pages.routes["/ok"]
    original = DRAFT.format(ok=pages.url("/ok"), ok2=pages.url("/missing"), base=pages.url("/"))
    draft.write_text(original, encoding="utf-8")
    args = ["--fill", str(draft), "--settings", str(settings), "--cache", str(tmp_path / "c")]
    assert main(args) == 2  # /missing is a 404 and stays as it was
    text = draft.read_text(encoding="utf-8")
    entries = {e.url: e for e in parse_digest(text).entries}
    assert entries[pages.url("/ok")].title == "How queues fail"
    assert f"### {pages.url('/missing')}" in text
    (backup,) = tmp_path.glob("2026-03-links.md.*.bak")
    assert backup.read_text(encoding="utf-8") == original
    assert "left as it was" in capsys.readouterr().err
    assert main(args) == 2
    assert draft.read_text(encoding="utf-8") == text
    assert len(list(tmp_path.glob("*.bak"))) == 1
