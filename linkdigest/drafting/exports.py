"""Exports of reading and bookmarking services: Pocket, Pinboard, Raindrop.io, Instapaper,
Firefox's and Chrome's bookmarks, and OPML lists of feeds.

Each parser reads one export as its service writes it into ``Saved`` items, then
``select_saved`` keeps those added in the month and in the chosen folders, as the bookmarks
source does: the folder below a chosen one is the section hint, every folder name and tag a
tag for the section rules. A malformed file is reported with its line (and column) and an
item that cannot be drafted with its own line; the rest of the export is still read.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from xml.parsers import expat

from linkdigest.drafting.sources import (
    MAX_SUMMARY,
    NOT_LINKS,
    Candidate,
    Month,
    Skipped,
    SourceKind,
    SourceResult,
    SourceSettings,
    _match_folder,
    _quote,
    fetch_feed_source,
)
from linkdigest.format.urls import is_http_url
from linkdigest.net import Fetcher

CHROME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)  # Chrome counts microseconds from here
FIREFOX_ROOTS = {  # the names Firefox shows for the roots its backups name by role
    "bookmarksMenuFolder": "Bookmarks Menu",
    "toolbarFolder": "Bookmarks Toolbar",
    "unfiledBookmarksFolder": "Other Bookmarks",
    "mobileFolder": "Mobile Bookmarks",
}
FIREFOX_LZ4 = b"mozLz40\0"
ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class Saved:
    """One link as an export holds it: folders outermost first, the moment it was added
    (or, when unreadable, ``date_problem`` saying why), and its line in the file."""

    url: str
    title: str = ""
    note: str = ""
    folders: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    added: datetime | None = None
    date_problem: str = ""
    line: int = 0


def select_saved(
    items: Sequence[Saved], source: str, month: Month, folders: Sequence[str] = ()
) -> SourceResult:
    """The items added in ``month`` in the chosen folders (all when none are named)."""
    results = [_select(item, source, month, folders) for item in items]
    return SourceResult(
        tuple(r for r in results if isinstance(r, Candidate)),
        tuple(r for r in results if isinstance(r, Skipped)),
    )


def _select(
    item: Saved, source: str, month: Month, folders: Sequence[str]
) -> Candidate | Skipped | None:
    chosen, hint = _match_folder(list(item.folders), folders)
    if not chosen or item.url.lower().startswith(NOT_LINKS):
        return None
    label = _quote(item.title or item.url or "untitled")
    if item.added is not None and not month.contains(item.added):
        return None  # another month's: whatever its URL, not this draft's business
    if not is_http_url(item.url):
        what = f"{_quote(item.url, 40)} is not a web link (http or https)" if item.url else "no URL"
        return Skipped(source, item.line, f"{label}: {what}; skipped")
    if item.added is None:
        why = item.date_problem or "no date"
        return Skipped(
            source,
            item.line,
            f"{label}: {why}, so its month is unknown; put {item.url} in the inbox instead",
        )
    if not month.contains(item.added):
        return None
    tags = tuple(dict.fromkeys(item.folders + item.tags))
    return Candidate(item.url, item.title, item.note, hint, tags, item.added, source, item.line)


def _not_an_export(source: str, line: int, what: str) -> SourceResult:
    return SourceResult((), (Skipped(source, line, what),))


# Dates as exports write them


def parse_epoch(value: object, unit: int = 1) -> datetime | None:
    """Seconds since 1970 (``unit`` 1_000_000 for microseconds); None when not a number."""
    text = str(value).strip()
    if not text.isdigit() or int(text) == 0:
        return None
    return datetime.fromtimestamp(int(text) / unit, UTC)


def parse_iso_date(value: str) -> datetime | None:
    """An ISO 8601 moment (``Z`` or an offset; none means UTC); None when it is not one."""
    text = value.strip()
    if not ISO_DATE.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dated(
    value: object, parsed: datetime | None, name: str, expected: str
) -> tuple[datetime | None, str]:
    """The moment, or why there is none: ``name`` is the export's field, for the message."""
    if parsed is not None:
        return parsed, ""
    text = "" if value is None else str(value).strip()
    return None, f"{name} {text!r} is not {expected}" if text else f"no {name}"


def _split_tags(text: str, separator: str | None = ",") -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(separator) if t.strip())


def _plain(text: object) -> str:
    return " ".join(str(text or "").split())


# JSON exports


def parse_json_document(text: str, source: str, what: str) -> tuple[Any, Skipped | None]:
    """The document, or a Skipped naming the line and column where it stops being JSON."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, Skipped(
            source,
            error.lineno,
            f"not valid JSON at column {error.colno} ({error.msg}); export {what} again",
        )


class LineFinder:
    """Lines of URLs in a JSON text, found in document order (``json`` keeps no positions;
    PHP exports such as Pinboard's write ``/`` as ``\\/``). Each search starts where the
    last one ended and lines are counted as it goes, so a whole export costs one pass."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.slashes = "\\/" in text

    def line_of(self, url: str) -> int:
        for ascii_only in (False, True):
            needle = json.dumps(url, ensure_ascii=ascii_only)
            if self.slashes:
                needle = needle.replace("/", "\\/")
            found = self.text.find(needle, self.offset)
            if found >= 0:
                self.line += self.text.count("\n", self.offset, found)
                self.offset = found + 1  # the same URL twice: the next one
                return self.line
        return 0


def parse_pinboard(text: str, source: str, month: Month) -> SourceResult:
    """Pinboard's JSON export (``/export/format:json/``): a list of posts with ``href``,
    ``description`` (the title), ``extended`` (the note), ``time`` and ``tags``."""
    data, problem = parse_json_document(text, source, "from pinboard.in/settings/backup")
    if problem:
        return SourceResult((), (problem,))
    if not isinstance(data, list):
        return _not_an_export(
            source, 1, "not a Pinboard JSON export (a list of bookmarks); export it again as JSON"
        )
    lines = LineFinder(text)
    items = [_pinboard_post(p, lines) for p in data if isinstance(p, dict)]
    return select_saved(items, source, month)


def _pinboard_post(post: Mapping[str, Any], lines: LineFinder) -> Saved:
    url = str(post.get("href") or "").strip()
    raw = str(post.get("time") or "")
    added, problem = _dated(raw, parse_iso_date(raw), "time", "an ISO 8601 time")
    return Saved(
        url=url,
        title=_plain(post.get("description")),
        note=_plain(post.get("extended")),
        tags=_split_tags(str(post.get("tags") or ""), None),
        added=added,
        date_problem=problem,
        line=lines.line_of(url) if url else 0,
    )


def parse_firefox(
    raw: bytes, text: str, source: str, month: Month, folders: Sequence[str]
) -> SourceResult:
    """Firefox's JSON backup (``bookmarks-YYYY-MM-DD.json``): a tree of ``text/x-moz-place``
    bookmarks in ``text/x-moz-place-container`` folders, ``dateAdded`` in microseconds."""
    if raw.startswith(FIREFOX_LZ4):
        return _not_an_export(
            source,
            0,
            "a compressed .jsonlz4 backup, which is not read; in Firefox choose Bookmarks, "
            "Manage bookmarks, Import and Backup, Backup… to save a .json one",
        )
    data, problem = parse_json_document(text, source, "from Firefox (Import and Backup, Backup…)")
    if problem:
        return SourceResult((), (problem,))
    if not isinstance(data, dict) or "children" not in data:
        return _not_an_export(
            source, 1, "not a Firefox bookmarks backup (JSON with children); back them up again"
        )
    items = list(_firefox_items(data, (), LineFinder(text)))
    return select_saved(items, source, month, folders)


def _firefox_items(
    node: Mapping[str, Any], path: tuple[str, ...], lines: LineFinder
) -> Iterator[Saved]:
    for child in node.get("children") or []:
        if not isinstance(child, dict):
            continue
        kind = child.get("type")
        if kind == "text/x-moz-place-container":
            name = FIREFOX_ROOTS.get(str(child.get("root", "")), "") or _plain(child.get("title"))
            yield from _firefox_items(child, (*path, name) if name else path, lines)
        elif kind == "text/x-moz-place":
            yield _firefox_bookmark(child, path, lines)


def _firefox_bookmark(item: Mapping[str, Any], path: tuple[str, ...], lines: LineFinder) -> Saved:
    url = str(item.get("uri") or "").strip()
    raw = item.get("dateAdded")
    expected = "microseconds since 1970"
    added, problem = _dated(raw, parse_epoch(raw, 1_000_000), "dateAdded", expected)
    return Saved(
        url=url,
        title=_plain(item.get("title")),
        note=_firefox_description(item),
        folders=path,
        tags=_split_tags(str(item.get("tags") or "")),
        added=added,
        date_problem=problem,
        line=lines.line_of(url) if url else 0,
    )


def _firefox_description(item: Mapping[str, Any]) -> str:
    # Older backups keep a bookmark's description among its annotations.
    for anno in item.get("annos") or []:
        if isinstance(anno, dict) and anno.get("name") == "bookmarkProperties/description":
            return _plain(anno.get("value"))
    return ""


def parse_chrome(text: str, source: str, month: Month, folders: Sequence[str]) -> SourceResult:
    """Chrome's ``Bookmarks`` file (also Edge, Brave, Vivaldi): ``roots`` of folders and
    ``url`` nodes, ``date_added`` in microseconds since 1601-01-01 UTC."""
    data, problem = parse_json_document(text, source, "(copy the Bookmarks file again)")
    if problem:
        return SourceResult((), (problem,))
    roots = data.get("roots") if isinstance(data, dict) else None
    if not isinstance(roots, dict):
        return _not_an_export(
            source, 1, "not a Chrome Bookmarks file (JSON with roots); copy it from the profile"
        )
    lines = LineFinder(text)
    items = [
        item
        for root in roots.values()
        if isinstance(root, dict)
        for item in _chrome_items(root, (), lines)
    ]
    return select_saved(items, source, month, folders)


def _chrome_items(
    node: Mapping[str, Any], path: tuple[str, ...], lines: LineFinder
) -> Iterator[Saved]:
    if node.get("type") == "url":
        yield _chrome_bookmark(node, path, lines)
        return
    name = _plain(node.get("name"))
    inside = (*path, name) if name else path
    for child in node.get("children") or []:
        if isinstance(child, dict):
            yield from _chrome_items(child, inside, lines)


def _chrome_bookmark(node: Mapping[str, Any], path: tuple[str, ...], lines: LineFinder) -> Saved:
    url = str(node.get("url") or "").strip()
    raw = str(node.get("date_added") or "").strip()
    moment = CHROME_EPOCH + timedelta(microseconds=int(raw)) if raw.isdigit() and int(raw) else None
    expected = "microseconds since 1601"
    added, problem = _dated(raw, moment, "date_added", expected)
    return Saved(
        url=url,
        title=_plain(node.get("name")),
        folders=path,
        added=added,
        date_problem=problem,
        line=lines.line_of(url) if url else 0,
    )


# CSV exports


@dataclass(frozen=True)
class CsvRows:
    """The rows of a CSV export by their header's names (folded to lower case), each with
    the line it starts on, and the problems met (a row that breaks the format ends it)."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]
    skipped: tuple[Skipped, ...]


def parse_csv_rows(text: str, source: str, what: str) -> CsvRows:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, Mapping[str, str]]] = []
    skipped: list[Skipped] = []
    header: tuple[str, ...] = ()
    start = 1
    try:
        for fields in reader:
            if not header:
                header = tuple(f.strip().lower() for f in fields)
            elif len(fields) != len(header) and any(f.strip() for f in fields):
                skipped.append(_row_size(source, start, len(fields), len(header)))
            elif any(f.strip() for f in fields):
                rows.append((start, dict(zip(header, fields, strict=True))))
            start = reader.line_num + 1
    except csv.Error as error:
        skipped.append(
            Skipped(source, start, f"not valid CSV from here on ({error}); export {what} again")
        )
    return CsvRows(header, tuple(rows), tuple(skipped))


def _row_size(source: str, line: int, fields: int, columns: int) -> Skipped:
    return Skipped(
        source,
        line,
        f"row has {fields} fields but the header has {columns} columns; left out, "
        "check the quotes on this line",
    )


def _missing_columns(
    table: CsvRows, needed: Sequence[str], source: str, what: str
) -> Skipped | None:
    missing = [c for c in needed if c not in table.header]
    if not missing:
        return None
    return Skipped(
        source,
        1,
        f"no {', '.join(missing)} column in the header; is this {what}? export it again",
    )


RAINDROP_EXPORT = "Raindrop.io's CSV export (id,title,note,excerpt,url,folder,tags,created,…)"
INSTAPAPER_EXPORT = "Instapaper's CSV export (URL,Title,Selection,Folder,Timestamp)"


def parse_raindrop(text: str, source: str, month: Month, folders: Sequence[str]) -> SourceResult:
    """Raindrop.io's CSV backup: ``url``, ``title``, ``note``, ``excerpt``, ``folder``
    (nested collections as ``Parent / Child``), ``tags`` and ``created`` (ISO 8601)."""
    table = parse_csv_rows(text, source, "from app.raindrop.io/settings/backups")
    missing = _missing_columns(table, ("url", "created"), source, RAINDROP_EXPORT)
    if missing:
        return SourceResult((), (missing,))
    items = [_raindrop_row(line, row) for line, row in table.rows]
    return select_saved(items, source, month, folders) + SourceResult((), table.skipped)


def _raindrop_row(line: int, row: Mapping[str, str]) -> Saved:
    raw = row.get("created", "")
    when = parse_iso_date(raw) or parse_epoch(raw)
    added, problem = _dated(raw, when, "created", "an ISO 8601 time")
    folder = row.get("folder", "")
    separator = " / " if " / " in folder else "/"
    return Saved(
        url=row["url"].strip(),
        title=_plain(row.get("title")),
        note=_plain(row.get("note")) or _plain(row.get("excerpt")),
        folders=_split_tags(folder, separator),
        tags=_split_tags(row.get("tags", "")),
        added=added,
        date_problem=problem,
        line=line,
    )


def parse_instapaper(text: str, source: str, month: Month, folders: Sequence[str]) -> SourceResult:
    """Instapaper's CSV export: ``URL``, ``Title``, ``Selection`` (the highlighted text, the
    note here), ``Folder`` (Unread, Archive, Starred or one's own), ``Timestamp`` (epoch
    seconds) and, in newer exports, ``Tags`` as a JSON list."""
    table = parse_csv_rows(text, source, "from instapaper.com/user")
    missing = _missing_columns(table, ("url", "timestamp"), source, INSTAPAPER_EXPORT)
    if missing:
        return SourceResult((), (missing,))
    items = [_instapaper_row(line, row) for line, row in table.rows]
    return select_saved(items, source, month, folders) + SourceResult((), table.skipped)


def _instapaper_row(line: int, row: Mapping[str, str]) -> Saved:
    raw = row.get("timestamp", "")
    added, problem = _dated(raw, parse_epoch(raw), "Timestamp", "seconds since 1970")
    folder = row.get("folder", "").strip()
    return Saved(
        url=row["url"].strip(),
        title=_plain(row.get("title")),
        note=_plain(row.get("selection")),
        folders=(folder,) if folder else (),
        tags=_instapaper_tags(row.get("tags", "")),
        added=added,
        date_problem=problem,
        line=line,
    )


def _instapaper_tags(text: str) -> tuple[str, ...]:
    try:
        tags = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        return _split_tags(text)
    return tuple(str(t).strip() for t in tags if str(t).strip()) if isinstance(tags, list) else ()


# Pocket's HTML export


POCKET_LISTS = {"unread": "Unread", "archive": "Read Archive"}  # the CSV's status, as in HTML


def parse_pocket(text: str, source: str, month: Month, folders: Sequence[str]) -> SourceResult:
    """Pocket's ``ril_export.html``: an ``<h1>`` per list (Unread, Read Archive), then
    ``<a href time_added tags>`` items, ``time_added`` in epoch seconds, tags by commas.
    Pocket's last exports (2025) were CSV instead: ``title,url,time_added,tags,status``."""
    if text.lstrip().lower().startswith("title,url,time_added"):
        return parse_pocket_csv(text, source, month, folders)
    reader = _PocketReader()
    reader.feed(text)
    reader.close()
    if not reader.items and "pocket" not in text[:1000].lower():
        return _not_an_export(
            source, 1, "not a Pocket export (ril_export.html); export it again from Pocket"
        )
    return select_saved(reader.items, source, month, folders)


def parse_pocket_csv(text: str, source: str, month: Month, folders: Sequence[str]) -> SourceResult:
    """A ``part_000000.csv`` of Pocket's CSV export: tags by ``|``, status unread or archive."""
    table = parse_csv_rows(text, source, "from Pocket")
    items = [_pocket_row(line, row) for line, row in table.rows]
    return select_saved(items, source, month, folders) + SourceResult((), table.skipped)


def _pocket_row(line: int, row: Mapping[str, str]) -> Saved:
    raw = row.get("time_added", "")
    added, problem = _dated(raw, parse_epoch(raw), "time_added", "seconds since 1970")
    url, title = row.get("url", "").strip(), _plain(row.get("title"))
    status = row.get("status", "").strip().lower()
    listed = POCKET_LISTS.get(status, status)
    return Saved(
        url=url,
        title="" if title == url else title,
        folders=(listed,) if listed else (),
        tags=_split_tags(row.get("tags", ""), "|"),
        added=added,
        date_problem=problem,
        line=line,
    )


class _PocketReader(HTMLParser):
    """One pass over the export (a heavy reader's holds tens of thousands of links): each
    link with the list heading above it, its attributes, its text and its line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Saved] = []
        self.listed = ""
        self.open: str | None = None  # "h1" or "a" while inside one
        self.attrs: dict[str, str] = {}
        self.line = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "a"):
            self.close_open()
            self.open, self.text, self.line = tag, [], self.getpos()[0]
            self.attrs = {k: v or "" for k, v in attrs}

    def handle_data(self, data: str) -> None:
        if self.open:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self.open:
            self.close_open()

    def close(self) -> None:
        super().close()
        self.close_open()

    def close_open(self) -> None:
        text = _plain(" ".join(self.text))
        if self.open == "h1":
            self.listed = text
        elif self.open == "a":
            self.items.append(_pocket_item(self.attrs, text, self.listed, self.line))
        self.open = None


def _pocket_item(attrs: Mapping[str, str], title: str, listed: str, line: int) -> Saved:
    url = attrs.get("href", "").strip()
    raw = attrs.get("time_added", "")
    added, problem = _dated(raw, parse_epoch(raw), "time_added", "seconds since 1970")
    return Saved(
        url=url,
        title="" if title == url else title,  # Pocket writes the URL when it had no title
        folders=(listed,) if listed else (),
        tags=_split_tags(attrs.get("tags", "")),
        added=added,
        date_problem=problem,
        line=line,
    )


# OPML: a list of feeds, each then read as a feed source


@dataclass(frozen=True)
class ListedFeed:
    """A feed an OPML file lists: its URL, title, the outlines around it and its line."""

    url: str
    title: str
    folders: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class FeedList:
    feeds: tuple[ListedFeed, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def parse_opml(text: str, source: str, folders: Sequence[str] = ()) -> FeedList:
    """The feeds of an OPML subscription list in the chosen folders (outlines holding
    others); a feed URL that is not http(s) is reported, an XML error names line and column."""
    reader = _OpmlReader()
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: reader.start(name, attrs, parser)
    parser.EndElementHandler = lambda name: reader.end(name)
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        reader.skipped.append(
            Skipped(
                source,
                error.lineno,
                f"not well-formed OPML at column {error.offset + 1} "
                f"({expat.ErrorString(error.code)}); read the feeds before it, fix the file",
            )
        )
    if not reader.seen_opml and not reader.skipped:
        reader.skipped.append(Skipped(source, 1, "not an OPML file (no <opml>); export it again"))
    chosen = [f for f in reader.feeds if _match_folder(list(f.folders), folders)[0]]
    bad = [_bad_feed(f, source) for f in chosen if not is_http_url(f.url)]
    good = tuple(f for f in chosen if is_http_url(f.url))
    return FeedList(good, tuple(sorted([*reader.skipped, *bad], key=lambda s: s.line)))


def _bad_feed(feed: ListedFeed, source: str) -> Skipped:
    label = _quote(feed.title or feed.url)
    return Skipped(
        source, feed.line, f"feed {label}: xmlUrl {feed.url!r} is not an http(s) URL; fix it"
    )


class _OpmlReader:
    """Outlines as expat meets them: a stack of folder names, feeds with their lines."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.feeds: list[ListedFeed] = []
        self.skipped: list[Skipped] = []
        self.seen_opml = False

    def start(self, name: str, attrs: dict[str, str], parser: expat.XMLParserType) -> None:
        self.seen_opml = self.seen_opml or name.lower() == "opml"
        if name.lower() != "outline":
            return
        title = _plain(attrs.get("title") or attrs.get("text"))
        url = attrs.get("xmlUrl", attrs.get("xmlurl", "")).strip()
        self.stack.append("" if url else title)
        if url:
            folders = tuple(n for n in self.stack[:-1] if n)
            self.feeds.append(ListedFeed(url, title, folders, parser.CurrentLineNumber))

    def end(self, name: str) -> None:
        if name.lower() == "outline" and self.stack:
            self.stack.pop()


async def fetch_opml_feeds(
    listed: FeedList,
    name: str,
    folders: Sequence[str],
    fetcher: Fetcher | None,
    month: Month,
    max_summary: int = MAX_SUMMARY,
) -> SourceResult:
    """Each feed of the list ``name`` read as a feed source (concurrently, politely), its
    entries placed as the list's folders say; offline, one Skipped for the whole list."""
    if fetcher is None and listed.feeds:
        count = len(listed.feeds)
        offline = Skipped(
            name, 0, f"offline: {count} feeds not read; run without --offline to include them"
        )
        return SourceResult((), (*listed.skipped, offline))
    specs = [SourceSettings(SourceKind.FEED, url=f.url) for f in listed.feeds]
    results = await asyncio.gather(
        *(fetch_feed_source(spec, fetcher, month, max_summary) for spec in specs)
    )
    total = SourceResult((), listed.skipped)
    for feed, result in zip(listed.feeds, results, strict=True):
        total += _placed(result, feed, name, folders)
    return total


def _placed(
    result: SourceResult, feed: ListedFeed, name: str, folders: Sequence[str]
) -> SourceResult:
    """A feed's entries with the list's folders as tags and hint; a feed that could not be
    read is named by its line in the list, where it can be fixed or removed."""
    _, hint = _match_folder(list(feed.folders), folders)
    candidates = tuple(
        replace(
            c,
            section_hint=c.section_hint or hint,
            tags=tuple(dict.fromkeys(feed.folders + c.tags)),
        )
        for c in result.candidates
    )
    skipped = tuple(
        Skipped(name, feed.line, f"{feed.url}: {s.message}") if not s.line else s
        for s in result.skipped
    )
    return SourceResult(candidates, skipped)
