"""Where the month's links were saved: inbox files, feeds, reading lists and bookmarks exports.

Each parser turns one source into Candidates (a URL with whatever the source knows: title,
note, section hint, tags, date, and where it was found) and Skipped items (what was wrong,
where, and what to do). Parsers never raise for bad content: one broken line, entry or
bookmark is reported and the rest of the source is still read.
"""

from __future__ import annotations

import calendar
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import feedparser
from bs4 import BeautifulSoup, Tag

from linkdigest.errors import ConfigError, DigestError
from linkdigest.fetching.extract import render_summary_cut
from linkdigest.fetching.fetch import FetchOptions
from linkdigest.format.linklist import LinkLine, parse_link_line, parse_link_list, render_quoted
from linkdigest.format.markdown import iter_lines_with_code
from linkdigest.format.text import render_plain_text
from linkdigest.format.urls import is_http_url
from linkdigest.net import Fetcher

MAX_SUMMARY = FetchOptions().max_description  # the [fetch] setting; draft passes its value
MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")
MONTH_NAMES = tuple(calendar.month_name[1:])  # English, whatever the locale says
LIST_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d{1,9}[.)])\s+(?P<text>.*)$")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
NAME_LINE = re.compile(r"^\s*(?P<name>[^\s:#>][^:]{0,79}?)\s*[:：]\s*$")  # noqa: RUF001 (full-width marks end URLs and notes in CJK text)
EMPHASIS_EDGE = re.compile(r"^[*_\s]+|[*_\s]+$")
FEED_ITEM = re.compile(r"<(?:[\w-]+:)?(?:item|entry)[\s>/]", re.IGNORECASE)
DEFAULT_TIMEZONE = "UTC"
NOT_LINKS = ("place:",)  # Firefox's smart folders ("Most Visited"): queries, not links
FOLDER_PARTS = ["dl", "dt", "dd", "a"]  # what a bookmarks folder holds after its name
DATE_KEYS = ("published_parsed", "updated_parsed", "created_parsed")


class SourceKind(StrEnum):
    INBOX = "inbox"
    FEED = "feed"
    READING_LIST = "reading-list"
    BOOKMARKS = "bookmarks"
    # exports (linkdigest.drafting.exports)
    POCKET = "pocket"
    PINBOARD = "pinboard"
    RAINDROP = "raindrop"
    INSTAPAPER = "instapaper"
    FIREFOX = "firefox"
    CHROME = "chrome"
    OPML = "opml"
    # services over their APIs (linkdigest.drafting.services)
    MINIFLUX = "miniflux"
    GOOGLE_READER = "google-reader"
    MASTODON = "mastodon"
    # a pasted page (linkdigest.drafting.pasted)
    PASTED = "pasted"


API_KINDS = frozenset({SourceKind.MINIFLUX, SourceKind.GOOGLE_READER, SourceKind.MASTODON})
# Kinds whose items sit in folders (or lists, collections, categories, labels): the ones
# ``folders`` can choose from. Pinboard and Mastodon have tags only.
FOLDER_KINDS = frozenset(SourceKind) - {
    SourceKind.INBOX,
    SourceKind.FEED,
    SourceKind.READING_LIST,
    SourceKind.PINBOARD,
    SourceKind.MASTODON,
    SourceKind.PASTED,
}
MASTODON_COLLECTIONS = ("bookmarks", "favourites")


@dataclass(frozen=True)
class Month:
    """A calendar month in a time zone: which moments belong to it, and its names."""

    year: int
    month: int
    zone: str = DEFAULT_TIMEZONE

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def name(self) -> str:
        return MONTH_NAMES[self.month - 1]

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (naive means UTC) falls in this month in its time zone."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(self.zone))
        return (local.year, local.month) == (self.year, self.month)


def parse_month(text: str, zone: str = DEFAULT_TIMEZONE) -> Month:
    """``2026-11`` as a Month; DigestError says what is expected."""
    match = MONTH.match(text.strip())
    if not match:
        raise DigestError(f"month {text!r} is not YYYY-MM (for example 2026-11)")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise DigestError(f"time zone {zone!r} is unknown; use an IANA name") from error
    return Month(int(match["year"]), int(match["month"]), zone)


@dataclass(frozen=True)
class Candidate:
    """A link found in one source. ``title`` is plain text; ``note`` is plain text, or the
    person's own Markdown when ``note_markdown`` (inbox and reading lists)."""

    url: str
    title: str = ""
    note: str = ""
    section_hint: str = ""
    tags: tuple[str, ...] = ()
    date: datetime | None = None
    source: str = ""
    line: int = 0
    note_markdown: bool = False

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass(frozen=True)
class Skipped:
    """Something a source holds that could not be drafted: where, what, and what to do."""

    source: str
    line: int
    message: str

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass(frozen=True)
class SourceResult:
    candidates: tuple[Candidate, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def __add__(self, other: SourceResult) -> SourceResult:
        return SourceResult(self.candidates + other.candidates, self.skipped + other.skipped)


@dataclass(frozen=True)
class SourceSettings:
    """One ``[[draft.sources]]`` entry of the settings file."""

    kind: SourceKind
    path: str = ""
    url: str = ""
    section: str = ""
    folders: tuple[str, ...] = ()
    user: str = ""  # google-reader: the account's user name
    token_env: str = ""  # API kinds: the environment variable holding the token ("": default)
    collection: str = ""  # mastodon: bookmarks or favourites

    @property
    def name(self) -> str:
        return self.url or self.path


SOURCE_KEYS = frozenset(
    {"type", "path", "url", "section", "folders", "user", "token_env", "collection"}
)


def parse_source_settings(table: Mapping[str, Any], source: str, index: int) -> SourceSettings:
    """One source's settings, checked: its type, exactly one of path or url (url for feeds)."""
    where = f"[[draft.sources]] #{index}"
    unknown = sorted(set(table) - SOURCE_KEYS)
    if unknown:
        known = ", ".join(sorted(SOURCE_KEYS))
        raise ConfigError(source, None, f"{where}: unknown key {unknown[0]!r}; known: {known}")
    kinds = ", ".join(k.value for k in SourceKind)
    try:
        kind = SourceKind(str(table.get("type", "")))
    except ValueError:
        raise ConfigError(source, None, f"{where}: type must be one of {kinds}") from None
    path, url = str(table.get("path", "")), str(table.get("url", ""))
    if kind in API_KINDS:
        if path or not is_http_url(url):
            raise ConfigError(source, None, f"{where}: a {kind} source needs the http(s) url")
    elif bool(path) == bool(url) or (url and kind is not SourceKind.FEED):
        raise ConfigError(source, None, f"{where}: give a path (or, for a feed, a url)")
    folders = table.get("folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise ConfigError(source, None, f"{where}: folders must be a list of strings")
    if folders and kind not in FOLDER_KINDS:
        raise ConfigError(source, None, f"{where}: a {kind} source has no folders")
    options = _source_options(table, kind, source, where)
    return SourceSettings(kind, path, url, str(table.get("section", "")), tuple(folders), **options)


def _source_options(
    table: Mapping[str, Any], kind: SourceKind, source: str, where: str
) -> dict[str, str]:
    """``user``, ``token_env`` and ``collection``: each only where its kind reads it."""
    options = {k: str(table[k]).strip() for k in ("user", "token_env", "collection") if k in table}
    allowed = {
        "user": kind is SourceKind.GOOGLE_READER,
        "token_env": kind in API_KINDS,
        "collection": kind is SourceKind.MASTODON,
    }
    for key in options:
        if not allowed[key]:
            raise ConfigError(source, None, f"{where}: a {kind} source takes no {key}")
    if kind is SourceKind.GOOGLE_READER and not options.get("user"):
        raise ConfigError(source, None, f"{where}: a google-reader source needs its user")
    collection = options.setdefault(
        "collection", "bookmarks" if kind is SourceKind.MASTODON else ""
    )
    if kind is SourceKind.MASTODON and collection not in MASTODON_COLLECTIONS:
        raise ConfigError(
            source, None, f"{where}: collection must be bookmarks or favourites, not {collection!r}"
        )
    return options


def render_source_path(path: str, month: Month) -> str:
    """A source path with ``{year}`` and ``{month}`` filled in (one file per month)."""
    return path.replace("{year}", str(month.year)).replace("{month}", f"{month.month:02d}")


# Lines with a link: the inbox format (linkdigest.format.linklist), shared with reading lists


def _strip_emphasis(text: str) -> str:
    return EMPHASIS_EDGE.sub("", text)


def _candidate(link: LinkLine, source: str, line: int, hint: str) -> Candidate:
    return Candidate(
        url=link.url,
        title=link.title,
        note=link.note,
        section_hint=hint,
        source=source,
        line=line,
        note_markdown=True,
    )


# The inbox


def parse_inbox(text: str, source: str) -> SourceResult:
    """One URL a line with an optional note after it; ``## Section`` lines set the section
    of the URLs below them; other ``#`` lines are comments (``parse_link_list``)."""
    listed = parse_link_list(text)
    candidates = tuple(_candidate(i.link, source, i.line, i.section) for i in listed.links)
    skipped = tuple(Skipped(source, p.line, p.message) for p in listed.problems)
    return SourceResult(candidates, skipped)


_quote = render_quoted


# Reading lists (Markdown or plain text)


@dataclass
class _ListState:
    """Where the reader is in a reading list: its group and open list items."""

    group: str = ""
    items: list[tuple[int, str]] = field(default_factory=list)  # (indent, label)
    last: int | None = None  # index of the candidate a continuation line extends

    def hint(self) -> str:
        labels = [label for _, label in self.items if label]
        return labels[-1] if labels else self.group

    def open_item(self, indent: int, label: str) -> None:
        while self.items and self.items[-1][0] >= indent:
            self.items.pop()
        self.items.append((indent, label))


def parse_reading_list(text: str, source: str) -> SourceResult:
    """Links from a Markdown or plain-text list: bullets and numbers, nested groups under a
    heading, a ``Name:`` line or a link-less item, ``[title](url)`` or bare URLs, with notes."""
    state = _ListState()
    candidates: list[Candidate] = []
    skipped: list[Skipped] = []
    for index, line, is_code in iter_lines_with_code(text.splitlines(), 0):
        if is_code:
            continue
        result = _read_list_line(line, index + 1, source, state, candidates)
        if isinstance(result, Skipped):
            skipped.append(result)
    return SourceResult(tuple(candidates), tuple(skipped))


def _read_list_line(
    line: str, number: int, source: str, state: _ListState, out: list[Candidate]
) -> Skipped | None:
    if not line.strip():
        state.last = None
        return None
    heading, item = HEADING.match(line), LIST_ITEM.match(line)
    if heading and not item:
        state.group, state.items, state.last = _strip_emphasis(heading["text"]), [], None
        return None
    text = item["text"] if item else line
    link = parse_link_line(text)
    if link is None:
        _read_text_line(line, text, item, state, out)
        return None
    if link.error:
        return Skipped(source, number, f"{link.error}, then run the draft again")
    if item:
        state.open_item(len(item["indent"].expandtabs(4)), "")
    out.append(_candidate(link, source, number, state.hint()))
    state.last = len(out) - 1
    return None


def _read_text_line(
    line: str, text: str, item: re.Match[str] | None, state: _ListState, out: list[Candidate]
) -> None:
    """A line without a link: a group label, or more of the previous item's note."""
    if item:
        label = _strip_emphasis(text).rstrip(":：").strip()  # noqa: RUF001 (full-width marks end URLs and notes in CJK text)
        state.open_item(len(item["indent"].expandtabs(4)), _strip_emphasis(label))
        state.last = None
    elif (name := NAME_LINE.match(line)) and not line.startswith((" ", "\t")):
        state.group, state.items, state.last = _strip_emphasis(name["name"]), [], None
    elif state.last is not None:
        previous = out[state.last]
        note = f"{previous.note} {line.strip()}".strip()
        out[state.last] = replace(previous, note=note)


# Feeds (RSS 0.9x/1.0/2.0, Atom)


def parse_feed(
    body: bytes, source: str, month: Month, max_summary: int = MAX_SUMMARY
) -> SourceResult:
    """The entries of a feed dated in ``month``. An entry without a link or a readable date
    is reported; a feed that is not well-formed is reported and read as far as it goes."""
    parsed = feedparser.parse(body, resolve_relative_uris=False)
    problem = _feed_problem(parsed, source)
    if problem and not parsed.entries:
        return SourceResult((), (problem,))
    lines = _entry_lines(body)
    results = [
        _feed_entry(entry, source, lines[i] if i < len(lines) else 0, month, max_summary)
        for i, entry in enumerate(parsed.entries)
    ]
    candidates = tuple(r for r in results if isinstance(r, Candidate))
    skipped = tuple(r for r in results if isinstance(r, Skipped))
    return SourceResult(candidates, ((problem,) if problem else ()) + skipped)


def _feed_problem(parsed: Any, source: str) -> Skipped | None:
    error = parsed.get("bozo_exception")
    if not parsed.get("bozo") or isinstance(error, feedparser.CharacterEncodingOverride):
        return None
    line = error.getLineNumber() if hasattr(error, "getLineNumber") else 0
    what = f"not a well-formed feed ({_describe_feed_error(error)})"
    if parsed.entries:
        return Skipped(
            source,
            line,
            f"{what}; read {len(parsed.entries)} entries anyway, check the feed for missing ones",
        )
    return Skipped(source, line, f"{what}; nothing read, check the file or URL")


def _describe_feed_error(error: object) -> str:
    message = getattr(error, "getMessage", None)
    return str(message() if callable(message) else error).strip() or type(error).__name__


def _entry_lines(body: bytes) -> list[int]:
    """The line of each ``<item>``/``<entry>`` tag, in order: where to point at an entry."""
    text = body.decode("utf-8", "replace")
    return [text.count("\n", 0, match.start()) + 1 for match in FEED_ITEM.finditer(text)]


def _feed_entry(
    entry: Any, source: str, line: int, month: Month, max_summary: int
) -> Candidate | Skipped | None:
    title = _feed_text(entry, "title")
    link = str(entry.get("link", "")).strip()
    label = _quote(title or link or "untitled")
    if not is_http_url(link):
        return Skipped(source, line, f"entry {label} has no http(s) link; skipped")
    when = _feed_date(entry)
    if when is None:
        raw = entry.get("published") or entry.get("updated") or ""
        what = f"date {raw!r} is not a date feedparser reads" if raw else "no date"
        return Skipped(source, line, f"entry {label}: {what}; put {link} in the inbox instead")
    if not month.contains(when):
        return None
    tags = tuple(str(t.get("term") or t.get("label") or "").strip() for t in entry.get("tags", []))
    summary = render_summary_cut(_feed_text(entry, "summary"), max_summary)
    return Candidate(link, title, summary, "", tuple(t for t in tags if t), when, source, line)


def _feed_text(entry: Any, key: str) -> str:
    """Plain text of a feed field; HTML titles and summaries lose their markup."""
    value = str(entry.get(key, "") or "")
    kind = str(entry.get(f"{key}_detail", {}).get("type", ""))
    return render_plain_text(value) if "html" in kind else " ".join(value.split())


def _feed_date(entry: Any) -> datetime | None:
    with warnings.catch_warnings():  # feedparser warns about its own updated/published alias
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = next((entry[k] for k in DATE_KEYS if entry.get(k)), None)
    if not parsed:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# Browser bookmarks (the Netscape HTML export)


def parse_bookmarks(
    text: str, source: str, month: Month, folders: Sequence[str] = ()
) -> SourceResult:
    """Bookmarks added in ``month``, from the chosen folders (all when none are named); the
    first folder below a chosen one is the section hint, every folder name a tag. A folder
    name without its ``</H3>`` is reported and read up to the next tag."""
    soup = BeautifulSoup(text, "html.parser")
    anchors = soup.find_all("a")
    if not anchors and "netscape-bookmark-file" not in text[:500].lower():
        return SourceResult(
            (),
            (
                Skipped(
                    source,
                    1,
                    "not a bookmarks export (Netscape HTML); export the bookmarks again as HTML",
                ),
            ),
        )
    results = [_bookmark(a, source, month, folders) for a in anchors if isinstance(a, Tag)]
    candidates = tuple(r for r in results if isinstance(r, Candidate))
    skipped = tuple(r for r in results if isinstance(r, Skipped))
    return SourceResult(candidates, _unclosed_folders(soup, source) + skipped)


def _unclosed_folders(soup: BeautifulSoup, source: str) -> tuple[Skipped, ...]:
    return tuple(
        Skipped(
            source,
            h3.sourceline or 0,
            f"folder {_quote(_folder_name(h3))} has no </H3>; its name is read up to the "
            "next tag and its bookmarks are kept in it: add </H3> after the name, or export "
            "the bookmarks again",
        )
        for h3 in soup.find_all("h3")
        if isinstance(h3, Tag) and h3.find(FOLDER_PARTS) is not None
    )


def _bookmark(
    anchor: Tag, source: str, month: Month, folders: Sequence[str]
) -> Candidate | Skipped | None:
    href = str(anchor.get("href", "")).strip()
    path = _folder_path(anchor)
    chosen, hint = _match_folder(path, folders)
    if not chosen:
        return None
    title, line = _anchor_text(anchor), anchor.sourceline or 0
    raw_date = str(anchor.get("add_date", "")).strip()
    added = _added_date(raw_date)
    if href.lower().startswith(NOT_LINKS):
        return None
    if href and not href.lower().startswith(("http:", "https:")):
        if added is not None and not month.contains(added):
            return None
        return Skipped(
            source,
            line,
            f"bookmark {_quote(title)}: {_quote(href, 40)} is not a web link (http or "
            "https); skipped",
        )
    if not is_http_url(href):
        what = f"{href!r} is not a URL" if href else "its HREF is empty"
        return Skipped(source, line, f"bookmark {_quote(title)}: {what}; fix it or delete it")
    if added is None:
        what = f": ADD_DATE {raw_date!r} is not epoch seconds" if raw_date else " has no ADD_DATE"
        return Skipped(
            source,
            line,
            f"bookmark {_quote(title)}{what}, so its month is unknown; "
            f"put {href} in the inbox instead",
        )
    if not month.contains(added):
        return None
    tags = tuple(path) + tuple(
        t.strip() for t in str(anchor.get("tags", "")).split(",") if t.strip()
    )
    return Candidate(href, title, _bookmark_note(anchor), hint, tags, added, source, line)


def _anchor_text(anchor: Tag) -> str:
    # An unclosed <A> swallows the bookmarks after it: their text is not its title.
    own = (s for s in anchor.find_all(string=True) if s.find_parent("a") is anchor)
    return " ".join(" ".join(own).split())


def _folder_path(anchor: Tag) -> list[str]:
    """Folder names from the outermost in: each enclosing ``<DL>`` follows its ``<H3>``."""
    names = []
    for dl in anchor.find_parents("dl"):
        header = dl.find_previous(["h3", "h1"])
        if isinstance(header, Tag) and header.name == "h3":
            names.append(_folder_name(header))
    return names[::-1]


def _folder_name(h3: Tag) -> str:
    # An <H3> without its </H3> holds the folder's bookmarks and subfolders: only the text
    # before the first of them is its name.
    own = (s for s in h3.find_all(string=True) if s.find_parent(["h3", *FOLDER_PARTS]) is h3)
    return " ".join(" ".join(own).split())


def _match_folder(path: list[str], folders: Sequence[str]) -> tuple[bool, str]:
    if not folders:
        return True, ""
    folded = [name.casefold() for name in path]
    for folder in folders:
        parts = [p.strip().casefold() for p in folder.split("/") if p.strip()]
        for start in range(len(folded) - len(parts) + 1):
            if folded[start : start + len(parts)] == parts:
                below = path[start + len(parts) : start + len(parts) + 1]
                return True, below[0] if below else ""
    return False, ""


def _added_date(value: str) -> datetime | None:
    """ADD_DATE is epoch seconds; some exporters write milli- or microseconds."""
    if not value.strip().isdigit():
        return None
    number = int(value)
    while number > 100_000_000_000:
        number //= 1000
    return datetime.fromtimestamp(number, UTC) if number else None


def _bookmark_note(anchor: Tag) -> str:
    description = anchor.find_next_sibling("dd")
    if description is None:
        return ""
    # An unclosed <DD> swallows the bookmarks after it: only its own text counts.
    own = description.find_all(string=True, recursive=False)
    return " ".join(" ".join(str(s) for s in own).split())


# Reading sources from disk or the network


def read_source(
    spec: SourceSettings, base: Path, month: Month, max_summary: int = MAX_SUMMARY
) -> SourceResult:
    """Read one file source; an unreadable file is a Skipped, not an error."""
    name = render_source_path(spec.path, month)
    try:
        raw = (base / name).read_bytes()
    except OSError as error:
        return SourceResult(
            (),
            (
                Skipped(
                    name,
                    0,
                    f"cannot read ({error.strerror or error}); fix the path in [[draft.sources]]",
                ),
            ),
        )
    if spec.kind is SourceKind.FEED:
        return apply_source_section(parse_feed(raw, name, month, max_summary), spec)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return SourceResult((), (Skipped(name, line, "not UTF-8 text; save it as UTF-8"),))
    return apply_source_section(parse_text_source(spec, text, name, month), spec)


def parse_text_source(spec: SourceSettings, text: str, name: str, month: Month) -> SourceResult:
    if spec.kind is SourceKind.INBOX:
        return parse_inbox(text, name)
    if spec.kind is SourceKind.READING_LIST:
        return parse_reading_list(text, name)
    return parse_bookmarks(text, name, month, spec.folders)


def apply_source_section(result: SourceResult, spec: SourceSettings) -> SourceResult:
    """A source's own ``section`` setting wins over anything its items suggest."""
    if not spec.section:
        return result
    candidates = tuple(replace(c, section_hint=spec.section) for c in result.candidates)
    return SourceResult(candidates, result.skipped)


async def fetch_feed_source(
    spec: SourceSettings, fetcher: Fetcher | None, month: Month, max_summary: int = MAX_SUMMARY
) -> SourceResult:
    """A feed at an http(s) URL, through the polite fetcher; without one (offline), a Skipped."""
    if fetcher is None:
        return SourceResult(
            (),
            (Skipped(spec.url, 0, "offline: feed not read; run without --offline to include it"),),
        )
    result = await fetcher.fetch(spec.url)
    if result.error or result.status != 200:
        why = result.describe()
        return SourceResult(
            (), (Skipped(spec.url, 0, f"feed not read ({why}); check the URL or try again later"),)
        )
    return apply_source_section(parse_feed(result.body, spec.url, month, max_summary), spec)
