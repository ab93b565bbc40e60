"""The draft's record (``linkdigest.drafting.record``): read as an editor may leave it,
settled against the draft, written back changing only what must change."""

from __future__ import annotations

import pytest

from linkdigest.drafting.record import Mark, parse_record, render_record, settle_record
from linkdigest.errors import ContentError
from linkdigest.format.urls import normalise_for_dedup

EDITED = (
    "# my notes on this month\r\n"
    "drafted https://a.example/kept  Kept\r\n"
    "  Drafted https://a.example/deleted   Deleted, with my words after it\r\n"
    "\r\n"
    "removed https://a.example/out?utm_source=x\r\n"
    "adding https://a.example/written\r\n"
    "adding https://a.example/never-written"
)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("rejected https://a.example/", "x.txt:1: 'rejected' is not a mark: start the line with"),
        ("removed", "x.txt:1: removed with no URL; write 'removed https://…'"),
        ("removed a.example/x", "'a.example/x' is not an http(s) URL; write 'removed https://…'"),
        ("https://a.example/ removed", "'https://a.example/' is not a mark"),
    ],
)
def test_a_line_that_is_not_a_mark_and_a_url_is_named(line: str, message: str) -> None:
    with pytest.raises(ContentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_record(line + "\n", "x.txt")


def test_settling_against_the_draft_changes_only_what_the_editor_did() -> None:
    record = parse_record(EDITED, "x.txt")
    in_draft = {
        normalise_for_dedup(u) for u in ("https://a.example/kept", "https://a.example/written")
    }
    settled = settle_record(record, in_draft)
    assert sorted(settled.rejected) == sorted(
        normalise_for_dedup(u) for u in ("https://a.example/deleted", "https://a.example/out")
    )
    assert [line.url for line in settled.newly_removed] == ["https://a.example/deleted"]
    assert settled.changes == {3: Mark.REMOVED, 6: Mark.DRAFTED, 7: None}
    text = render_record(
        record, settled.changes, [(Mark.ADDING, "https://a.example/new", "")], "d.md"
    )
    assert text == (
        "# my notes on this month\r\n"
        "drafted https://a.example/kept  Kept\r\n"
        "  removed https://a.example/deleted   Deleted, with my words after it\r\n"
        "\r\n"
        "removed https://a.example/out?utm_source=x\r\n"
        "drafted https://a.example/written\r\n"
        "adding https://a.example/new\r\n"
    )


def test_without_a_draft_only_the_removed_lines_hold() -> None:
    settled = settle_record(parse_record(EDITED, "x.txt"), None)
    assert [line.url for line in settled.rejected.values()] == [
        "https://a.example/out?utm_source=x"
    ]
    assert settled.newly_removed == ()
    assert settled.changes == {2: None, 3: None, 6: None, 7: None}


def test_a_new_record_starts_with_how_to_use_it() -> None:
    record = parse_record("", "x.txt")
    text = render_record(record, {}, [(Mark.DRAFTED, "https://a.example/", "A  title\n")], "d.md")
    assert text.startswith("# The links `linkdigest draft` put into d.md")
    assert "To bring one back, delete its line here" in text
    assert text.endswith("\ndrafted https://a.example/  A title\n")
    assert [line.url for line in parse_record(text, "x.txt").lines] == ["https://a.example/"]
