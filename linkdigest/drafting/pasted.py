"""A pasted page: the month's links from text copied out of a feed reader or show notes.

The text is plain: URLs among lines of prose. A link's title is the text beside it on its
line, else the line above it (a feed reader shows the title, then the address); what
follows a titled URL on its line is its note. A line that holds a date
("3 November 2026", "Nov 3", "2026-11-03") dates the links of its paragraph, or, standing
alone, the links after it: links dated in another month are left out, undated ones kept
(the file is the month's own). A line ending with a colon heads a list: it is no title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from linkdigest.drafting.sources import (
    MONTH_NAMES,
    Candidate,
    Month,
    SourceResult,
)
from linkdigest.format.markdown import URL_TRAIL, Kind, parse_bare_urls, parse_line_links
from linkdigest.format.urls import is_http_url

CLOCK = re.compile(r"(?<!\d)(?:\d{1,2}:)?\d{1,2}:\d{2}(?!\d)")  # show notes' 00:12:30
LEAD = re.compile(r"^\s*(?:[-*+•·>]|\d{1,3}[.)])\s+")
LEADING = re.compile(r"^[\s\-\u2013\u2014:|·•*_)\]]+")  # dashes too
TRAILING = re.compile(r"[\s\-\u2013\u2014:|·•*_(\[]+$")
CONNECTIVES = frozenset({"and", "or", "&", "+", "/", "und", "et", "y", "e"})
MONTHS = {name.lower()[:3]: number for number, name in enumerate(MONTH_NAMES, 1)}
MONTH_WORD = r"(?P<name>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATES = (
    re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)"),
    re.compile(
        rf"(?<!\w)(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{MONTH_WORD}(?:,?\s+(?P<year>\d{{4}}))?(?!\w)",
        re.I,
    ),
    re.compile(
        rf"(?<!\w){MONTH_WORD}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?(?!\w)",
        re.I,
    ),
)


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    urls: tuple[tuple[int, int, str], ...]  # (start, end, url) in ``text``
    date: datetime | None


@dataclass
class _Block:
    """A paragraph: its lines, the date one of them gives, and titles already taken."""

    lines: list[_Line] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    @property
    def date(self) -> datetime | None:
        return next((line.date for line in self.lines if line.date and not line.urls), None)


def parse_pasted(text: str, source: str, month: Month) -> SourceResult:
    """Every http(s) link of the pasted text dated in ``month`` or not dated at all."""
    candidates: list[Candidate] = []
    standing: datetime | None = None  # the last date that stood on a line of its own
    for block in _blocks(text, month):
        alone = len(block.lines) == 1 and not block.lines[0].urls
        if alone and block.lines[0].date:
            standing = block.lines[0].date
            continue
        when = block.date or standing
        if when is not None and not month.contains(when):
            continue
        candidates.extend(_block_links(block, when, source))
    return SourceResult(tuple(candidates))


def _blocks(text: str, month: Month) -> list[_Block]:
    blocks, current = [], _Block()
    for number, raw in enumerate(text.splitlines(), 1):
        line = _unlink(raw.strip())
        if not line:
            if current.lines:
                blocks.append(current)
            current = _Block()
            continue
        current.lines.append(
            _Line(number, line, tuple(parse_bare_urls(line)), parse_pasted_date(line, month))
        )
    if current.lines:
        blocks.append(current)
    return blocks


def _unlink(line: str) -> str:
    """Each ``[title](url)`` as "title url", so that its URL is found among the prose."""
    for link in reversed(parse_line_links(line)):
        if link.kind is Kind.INLINE and not link.image and link.text and is_http_url(link.url):
            line = f"{line[: link.start]}{link.text} {link.url}{line[link.end :]}"
    return line


def parse_pasted_date(text: str, month: Month) -> datetime | None:
    """The first date on a line (noon UTC, so a time zone cannot move it to another
    month); one without a year is in the draft's year. None when there is none."""
    for pattern in DATES:
        match = pattern.search(text)
        if not match:
            continue
        number = match.groupdict().get("month") or MONTHS[match["name"][:3].lower()]
        year = int(match["year"]) if match["year"] else month.year
        try:
            return datetime(year, int(number), int(match["day"]), 12, tzinfo=UTC)
        except ValueError:
            continue
    return None


def _block_links(block: _Block, when: datetime | None, source: str) -> list[Candidate]:
    out = []
    for index, line in enumerate(block.lines):
        for position, (*_, url) in enumerate(line.urls):
            title, note = _beside(line, position)
            if not title:
                title = _nearby_title(block, index)
            else:
                block.used.add(index)
            out.append(Candidate(url, title, note, date=when, source=source, line=line.number))
    return out


def _beside(line: _Line, position: int) -> tuple[str, str]:
    """Text before the URL (since the previous one) as its title, or else after it; what
    follows the last URL of a titled line is its note."""
    start, end, _ = line.urls[position]
    previous_end = line.urls[position - 1][1] if position else 0
    following = line.urls[position + 1][0] if position + 1 < len(line.urls) else len(line.text)
    before = _clean(line.text[previous_end:start])
    after = _clean(line.text[end:following])
    if before:
        return before, after if position + 1 == len(line.urls) else ""
    return after, ""


def _nearby_title(block: _Block, index: int) -> str:
    """The nearest line above (past lines that give a date, as a reader's "site · Nov 3"
    does) that has no link and is no other link's title already; never a heading."""
    other = index - 1
    while other >= 0 and other not in block.used:
        line = block.lines[other]
        if line.urls or line.text.rstrip().endswith((":", "：")):  # noqa: RUF001 (CJK colon)
            return ""  # "Links mentioned:" heads a list, it names none of its links
        title = _clean(line.text)
        if line.date is None and title:
            block.used.add(other)
            return title
        other -= 1
    return ""


def _clean(text: str) -> str:
    text = CLOCK.sub(" ", LEAD.sub("", text)).strip(URL_TRAIL + " ")
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    text = " ".join(TRAILING.sub("", LEADING.sub("", text)).split())
    return "" if text.casefold() in CONNECTIVES else text
