"""The digest format: values, and the pure parser from Markdown text to a Digest.

See ``docs/digest-format.md``. The parser is forgiving of whitespace and strict about
meaning: it never raises for malformed content, it records a Problem with the line number
and keeps the text, so a build can warn and a script can report every problem at once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from linkdigest.format.markdown import Kind, Link, iter_lines_with_code, parse_line_links
from linkdigest.format.urls import is_http_url, is_video_url, normalise_for_dedup, parse_domain

DEFAULT_CATEGORY = "summary"
STATUSES = ("draft", "published", "hidden")

META_LINE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
META_CONTINUATION = re.compile(r"^[ ]{4,}(?P<value>.*)$")
HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
QUOTE = re.compile(r"^ {0,3}> ?(?P<text>.*)$")
BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# A link heading with nothing in it for Markdown's inline syntax to act on: a title without
# brackets, escapes, code, emphasis, HTML or entities, an http(s) URL without spaces, quotes,
# parentheses or escapes. The lexer (``parse_line_links``) reads every other heading; on
# these it gives the same answer (tested), at a fortieth of the cost.
PLAIN_LINK_HEADING = re.compile(
    r"\[(?P<title>[^\[\]\\`<>*_&!{}~=^|\"]*)\]\((?P<url>https?://[^\s()<>\\\"'`&]+)\)"
)


@dataclass(frozen=True)
class Problem:
    """Something wrong in a digest, at a 1-based line of its file."""

    line: int
    message: str


@dataclass(frozen=True)
class Entry:
    """One link entry: ``### [title](url)``, its quoted summary and any other Markdown."""

    title: str
    url: str
    summary: str = ""
    extra: str = ""
    line: int = field(default=0, compare=False)
    title_markdown: str = ""

    @property
    def domain(self) -> str:
        return parse_domain(self.url)

    @property
    def is_video(self) -> bool:
        return is_video_url(self.url)


@dataclass(frozen=True)
class Section:
    """A ``##`` section: its name, the prose before its first entry, and its entries."""

    title: str
    prose: str = ""
    entries: tuple[Entry, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Digest:
    """A parsed digest post. ``metadata`` keys are lower case, as Pelican reads them."""

    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    heading: str = ""
    intro: str = ""
    sections: tuple[Section, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(entry for section in self.sections for entry in section.entries)


@dataclass(frozen=True)
class FrontMatter:
    """``Key: value`` lines at the top of a post, where the body starts, and what was wrong."""

    metadata: Mapping[str, str]
    body_start: int
    problems: tuple[Problem, ...] = ()
    # Each key's 1-based line, and the key as written (``Header_Cover``), for messages.
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    written: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def is_digest(metadata: Mapping[str, object], category: str = DEFAULT_CATEGORY) -> bool:
    """A post is a digest when its category is the digest category or it says ``Digest: yes``."""
    if str(metadata.get("digest", "")).strip().lower() in ("yes", "true", "1"):
        return True
    return str(metadata.get("category", "")).strip().lower() == category.lower()


def parse_front_matter(lines: list[str]) -> FrontMatter:
    """Read Pelican's ``Key: value`` block (continuations indented by four spaces).

    A line that is neither ends Pelican's own reading of the block (the lines after it
    become body text), but not this one: it is recorded as a Problem and reading goes on,
    so a later ``Status: draft`` is still known to the caller."""
    metadata: dict[str, str] = {}
    where: dict[str, int] = {}
    written: dict[str, str] = {}
    problems: list[Problem] = []
    key = ""
    for index, line in enumerate(lines):
        if not line.strip():
            return _front(metadata, index + 1, problems, where, written)
        match = META_LINE.match(line)
        continuation = META_CONTINUATION.match(line)
        if match:
            key = match["key"].lower()
            metadata[key] = match["value"].strip()
            where.setdefault(key, index + 1)
            written.setdefault(key, match["key"])
        elif continuation and key:
            metadata[key] = f"{metadata[key]} {continuation['value'].strip()}".strip()
        elif index == 0:
            return FrontMatter(MappingProxyType({}), 0)
        else:
            problems.append(
                Problem(
                    index + 1,
                    f"front matter line is not 'Key: value': {line!r}; "
                    "add the missing colon or a blank line before the body",
                )
            )
    return _front(metadata, len(lines), problems, where, written)


def _front(
    metadata: dict[str, str],
    body_start: int,
    problems: list[Problem],
    where: dict[str, int],
    written: dict[str, str],
) -> FrontMatter:
    return FrontMatter(
        MappingProxyType(metadata),
        body_start,
        tuple(problems),
        MappingProxyType(where),
        MappingProxyType(written),
    )


def parse_digest(text: str) -> Digest:
    """Parse a whole digest file (front matter and body) into a Digest."""
    lines = text.splitlines()
    front = parse_front_matter(lines)
    builder = _DigestBuilder()
    for number, level, heading_text, raw in _iter_blocks(lines, front.body_start):
        builder.feed(number, level, heading_text, raw)
    return builder.finish(front)


def _iter_blocks(lines: list[str], start: int) -> Iterator[tuple[int, int, str, str]]:
    """Yield (line number, heading level or 0, heading text, raw line) outside code fences."""
    for index, line, is_code in iter_lines_with_code(lines, start):
        heading = None if is_code else HEADING.match(line)
        if heading:
            yield index + 1, len(heading["level"]), (heading["text"] or "").strip(), line
        else:
            yield index + 1, 0, "", line


class _DigestBuilder:
    """Accumulates blocks into sections and entries; the only stateful part of parsing."""

    def __init__(self) -> None:
        self.heading = ""
        self.intro: list[str] = []
        self.sections: list[Section] = []
        self.section: tuple[str, int] | None = None
        self.prose: list[str] = []
        self.entries: list[Entry] = []
        self.entry: tuple[str, str, str, int] | None = None
        self.body: list[str] = []
        self.problems: list[Problem] = []
        self.seen_urls: dict[str, int] = {}

    def feed(self, number: int, level: int, text: str, raw: str) -> None:
        if level == 1 and not self.heading and self.section is None and not _has_text(self.intro):
            self.heading = text
        elif level == 2:
            self._close_section()
            self.section = (text, number)
        elif level == 3:
            self._start_entry(number, text, raw)
        else:
            self._append(raw)

    def _append(self, line: str) -> None:
        if self.entry is not None:
            self.body.append(line)
        elif self.section is not None:
            self.prose.append(line)
        else:
            self.intro.append(line)

    def _start_entry(self, number: int, text: str, raw: str) -> None:
        link = parse_link_heading(text)
        if link is None:
            self.problems.append(
                Problem(
                    number, f"level-3 heading is not exactly one link '### [title](url)': {text!r}"
                )
            )
            self._append(raw)
            return
        self._close_entry()
        title_markdown, url = link
        self._check_entry(number, title_markdown, url)
        self.entry = (title_markdown, url, "", number)
        self.body = []

    def _check_entry(self, number: int, title_markdown: str, url: str) -> None:
        if not parse_title(title_markdown):
            self.problems.append(Problem(number, "link entry has an empty title"))
        if not is_http_url(url):
            self.problems.append(Problem(number, f"URL is not absolute http(s): {url!r}"))
            return
        key = normalise_for_dedup(url)  # the drafter's idea of the same link
        if key in self.seen_urls:
            self.problems.append(
                Problem(
                    number, f"the same URL is already an entry at line {self.seen_urls[key]}: {url}"
                )
            )
        else:
            self.seen_urls[key] = number

    def _close_entry(self) -> None:
        if self.entry is None:
            return
        title_markdown, url, _, number = self.entry
        summary, extra = split_summary(self.body)
        self.entries.append(
            Entry(
                title=parse_title(title_markdown),
                url=url,
                summary=summary,
                extra=extra,
                line=number,
                title_markdown=title_markdown,
            )
        )
        self.entry = None
        self.body = []

    def _close_section(self) -> None:
        self._close_entry()
        if self.section is None and not self.entries:
            return
        title, number = self.section or ("", 0)
        self.sections.append(Section(title, _join(self.prose), tuple(self.entries), number))
        self.prose, self.entries = [], []

    def finish(self, front: FrontMatter) -> Digest:
        self._close_section()
        return Digest(
            metadata=front.metadata,
            heading=self.heading,
            intro=_join(self.intro),
            sections=tuple(self.sections),
            problems=front.problems + tuple(self.problems),
        )


def parse_link_heading(text: str) -> tuple[str, str] | None:
    """Split ``[title](url)`` (the whole heading text) into raw title Markdown and URL."""
    text = text.strip()
    plain = PLAIN_LINK_HEADING.fullmatch(text)
    if plain:  # what the lexer finds in it, without the lexer (most headings of a digest)
        return plain["title"].strip(), plain["url"]
    links = parse_line_links(text)
    if not links or links[0].start != 0 or links[0].end != len(text):
        return None
    return (links[0].text.strip(), links[0].url) if is_entry_link(links[0]) else None


def is_entry_link(link: Link) -> bool:
    """A link a digest entry can be: an inline link (not an image) whose URL has no spaces
    unless written in angle brackets."""
    if link.kind is not Kind.INLINE or link.image:
        return False
    return link.bracketed or not any(char.isspace() for char in link.url)


def parse_title(title_markdown: str) -> str:
    """The plain text of a link title: backslash escapes and entities decoded, spaces collapsed."""
    text = html.unescape(BACKSLASH_ESCAPE.sub(r"\1", title_markdown))
    return " ".join(text.split())


def split_summary(body: list[str]) -> tuple[str, str]:
    """Split an entry's body into its summary (the leading blockquote) and the rest."""
    index = 0
    while index < len(body) and not body[index].strip():
        index += 1
    quoted: list[str] = []
    while index < len(body):
        match = QUOTE.match(body[index])
        if match:
            quoted.append(match["text"].rstrip())
        elif body[index].strip() and quoted and quoted[-1]:
            quoted.append(body[index].strip())  # a lazy continuation line
        else:
            break
        index += 1
    return _join(quoted), _join(body[index:])


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def _has_text(lines: list[str]) -> bool:
    return any(line.strip() for line in lines)


def render_readable_front_matter(lines: list[str], front: FrontMatter) -> str:
    """The front matter as Pelican can read it whole: without the lines that are not
    ``Key: value`` (which would end Pelican's reading there and turn the rest into body)."""
    broken = {problem.line for problem in front.problems}
    return "\n".join(
        line for number, line in enumerate(lines[: front.body_start], 1) if number not in broken
    ).rstrip("\n")
