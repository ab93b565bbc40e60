"""The draft's record: what the drafter put into a draft and what its editor removed, in a
plain text file beside the draft that the editor can read and edit.

``content/posts/2026-11-links.md`` has ``content/posts/2026-11-links.drafted.txt``, one
line per link::

    drafted https://example.org/queues  How queues fail under load
    removed https://example.org/hype    A link I did not want

Only links the drafter itself wrote into the draft are ``drafted``; when the editor deletes
such an entry, the next run marks its line ``removed`` and leaves the link out of every
later merge of that month. Deleting a ``removed`` line (or pasting the entry back into the
draft) brings the link back; a ``removed`` line written by hand keeps a link out before it
is ever drafted. A link never drafted is never taken for a removal.

A run writes the record in two steps around the draft, each whole: first with the links it
is adding marked ``adding``, then, once the draft is written, as ``drafted``. A run that is
interrupted in between leaves ``adding`` lines, which the next run settles by the draft:
there, they were drafted; missing, they were never written, and are drafted again. Lines
are kept as the editor left them (comments, words after a URL, line ends); only the mark
of a line changes, a settled line goes, and new ones are added at the end.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from linkdigest.errors import ContentError
from linkdigest.format.urls import is_http_url, normalise_for_dedup

RECORD_SUFFIX = ".drafted.txt"
LINE = re.compile(r"^(?P<mark>\S+)(?:\s+(?P<url>\S+))?(?:\s+(?P<rest>.*?))?\s*$")
HEADER = """\
# The links `linkdigest draft` put into {draft}, one a line: drafted, or removed.
# "removed": you deleted the entry from the draft, so later runs leave the link out.
# To bring one back, delete its line here (the next run drafts it again) or paste the
# entry back into the draft. A "removed URL" line of your own keeps a link out.
"""


class Mark(StrEnum):
    DRAFTED = "drafted"
    REMOVED = "removed"
    ADDING = "adding"  # written just before the draft; settled by the next run


@dataclass(frozen=True)
class RecordLine:
    """One link of the record: its line number, mark, URL and the words after it."""

    line: int
    mark: Mark
    url: str
    rest: str = ""

    @property
    def key(self) -> str:
        return normalise_for_dedup(self.url)


@dataclass(frozen=True)
class Record:
    """A record as read: its text (``""`` when there is no file yet) and its link lines."""

    text: str = ""
    lines: tuple[RecordLine, ...] = ()


def record_path(draft: Path) -> Path:
    """Where the record of ``draft`` lives: beside it, named after it."""
    return draft.with_name(draft.stem + RECORD_SUFFIX)


def parse_record(text: str, path: str) -> Record:
    """A record's link lines; a ContentError naming the line for one that is not
    ``drafted URL``, ``removed URL`` or ``adding URL`` (blank and ``#`` lines are free)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            lines.append(_parse_line(stripped, path, number))
    return Record(text, tuple(lines))


def _parse_line(text: str, path: str, number: int) -> RecordLine:
    match = LINE.match(text)
    word = match["mark"] if match else text
    try:
        mark = Mark(word.lower())
    except ValueError:
        raise ContentError(
            path,
            number,
            f"{word!r} is not a mark: start the line with 'drafted' or 'removed' and the "
            "URL, or start it with '#' to keep it as a comment",
        ) from None
    url = (match["url"] if match else "") or ""
    if not is_http_url(url):
        what = f"{url!r} is not an http(s) URL" if url else "no URL"
        raise ContentError(path, number, f"{word} with {what}; write '{word} https://…'")
    return RecordLine(number, mark, url, (match["rest"] if match else "") or "")


@dataclass(frozen=True)
class Settled:
    """A record against the draft as the editor left it: the links kept out (dedup key ->
    record line), the ``drafted`` lines whose entries were deleted since the last run, and
    what changes in the record (line number -> new mark, or None to drop the line)."""

    rejected: Mapping[str, RecordLine]
    newly_removed: tuple[RecordLine, ...]
    changes: Mapping[int, Mark | None]


def settle_record(record: Record, in_draft: Collection[str] | None) -> Settled:
    """Which links the editor removed. ``in_draft`` holds the dedup keys of the draft's
    entries, or is None when there is no draft (then nothing was removed from it: its
    ``drafted`` lines are dropped, its ``removed`` ones still hold)."""
    rejected: dict[str, RecordLine] = {}
    newly: list[RecordLine] = []
    changes: dict[int, Mark | None] = {}
    for line in record.lines:
        present = in_draft is not None and line.key in in_draft
        mark = _settled_mark(line.mark, present, in_draft is not None)
        if mark is not line.mark:
            changes[line.line] = mark
        if mark is Mark.REMOVED:
            rejected.setdefault(line.key, line)
            if line.mark is Mark.DRAFTED:
                newly.append(line)
    return Settled(rejected, tuple(newly), changes)


def _settled_mark(mark: Mark, present: bool, draft_exists: bool) -> Mark | None:
    if present:
        return Mark.DRAFTED  # in the draft: drafted, even if once removed and pasted back
    if mark is Mark.REMOVED:
        return Mark.REMOVED
    if mark is Mark.DRAFTED and draft_exists:
        return Mark.REMOVED  # the drafter wrote it, the editor deleted it
    return None  # an interrupted run's link never written, or a draft that is gone


def render_record(
    record: Record,
    changes: Mapping[int, Mark | None],
    added: Sequence[tuple[Mark, str, str]],
    draft_name: str,
) -> str:
    """The record's text with ``changes`` made and ``added`` (mark, URL, title) lines at
    the end; every other line as it was. A new record starts with a header saying how to
    use it."""
    text = record.text or HEADER.format(draft=draft_name)
    newline = "\r\n" if "\r\n" in text else "\n"
    out: list[str] = []
    for number, raw in enumerate(text.splitlines(keepends=True), 1):
        if number not in changes:
            out.append(raw if raw.endswith(("\n", "\r")) else raw + newline)
        elif (mark := changes[number]) is not None:
            out.append(_remark(raw, mark, newline))
    for mark, url, title in added:
        words = " ".join(title.split())
        out.append(f"{mark.value} {url}{'  ' + words if words else ''}{newline}")
    return "".join(out)


def _remark(raw: str, mark: Mark, newline: str) -> str:
    body = raw.rstrip("\r\n")
    indent = body[: len(body) - len(body.lstrip())]
    rest = body.lstrip().split(None, 1)
    return f"{indent}{mark.value}{' ' + rest[1] if len(rest) > 1 else ''}{newline}"


def parse_removed_lines(text: str, path: str) -> Mapping[str, int]:
    """Dedup key -> line number of each ``removed`` line of a record's text, for messages."""
    return {
        line.key: line.line for line in parse_record(text, path).lines if line.mark is Mark.REMOVED
    }
