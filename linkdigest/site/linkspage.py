"""Links across digests: "featured before in" notes, the site-wide links page and links.json."""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from linkdigest.format.text import render_plain_text
from linkdigest.format.urls import render_site_url
from linkdigest.site.feeds import render_embeddable_json
from linkdigest.site.html import DigestHtml, DigestRef


@dataclass(frozen=True)
class DigestSource:
    """One digest as the site sees it: where it lives, its links, and whether readers see it."""

    ref: DigestRef
    digest: DigestHtml
    published: bool


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One line of the links page."""

    title: str
    url: str
    domain: str
    section: str
    summary: str
    digest: DigestRef
    anchor: str = ""  # the entry's id on its digest page


@dataclass(frozen=True)
class MonthGroup:
    """The links of one month, newest month first on the links page."""

    key: str
    label: str
    rows: tuple[LinkRow, ...]


def find_featured_before(sources: Sequence[DigestSource]) -> dict[str, DigestHtml]:
    """For each digest (by URL) a copy whose entries know the earlier published digests
    that carried the same link (the same as the drafter's: http or https, parameter order
    and tracking parameters aside). Digests without any repeat are left out of the result."""
    seen: dict[str, list[DigestRef]] = {}
    result: dict[str, DigestHtml] = {}
    for source in sorted(sources, key=lambda s: s.ref.date):
        keys = [entry.same_link for entry in source.digest.entries if entry.same_link]
        if any(key in seen for key in keys):
            result[source.ref.url] = _with_featured(source.digest, seen)
        if source.published:
            for key in dict.fromkeys(keys):
                seen.setdefault(key, []).append(source.ref)
    return result


def _with_featured(digest: DigestHtml, seen: dict[str, list[DigestRef]]) -> DigestHtml:
    sections = tuple(
        replace(
            section,
            entries=tuple(
                replace(entry, featured_before=tuple(seen.get(entry.same_link, ())))
                for entry in section.entries
            ),
        )
        for section in digest.sections
    )
    return replace(digest, sections=sections)


def collect_link_rows(sources: Iterable[DigestSource]) -> list[LinkRow]:
    """Every link of every published digest, newest digest first, in the digest's order."""
    return [row for source in order_published(sources) for row in list_digest_rows(source)]


def order_published(sources: Iterable[DigestSource]) -> list[DigestSource]:
    """The published digests, newest first (digests of one date in the order given)."""
    return sorted((s for s in sources if s.published), key=lambda s: s.ref.date, reverse=True)


def list_digest_rows(source: DigestSource) -> tuple[LinkRow, ...]:
    """One digest's links page rows, in its order."""
    return tuple(
        LinkRow(
            entry.title,
            entry.url,
            entry.domain,
            section.title,
            render_plain_text(entry.summary_html),
            source.ref,
            entry.anchor,
        )
        for section in source.digest.sections
        for entry in section.entries
        if entry.url  # an entry without an http(s) URL is no link (the build reports it)
    )


@dataclass(frozen=True)
class RowInputs:
    """What ``collect_link_rows`` reads of one digest (its intro, or the source lines its
    entries came from, are not): equal inputs make equal rows."""

    ref: DigestRef
    published: bool
    sections: tuple[tuple[str, tuple[tuple[str, str, str, str, str], ...]], ...]


def list_row_inputs(sources: Iterable[DigestSource]) -> list[RowInputs]:
    return [
        RowInputs(
            source.ref,
            source.published,
            tuple(
                (
                    section.title,
                    tuple(
                        (e.title, e.url, e.domain, e.summary_html, e.anchor)
                        for e in section.entries
                    ),
                )
                for section in source.digest.sections
            ),
        )
        for source in sources
    ]


def count_digest_rows(source: DigestSource) -> int:
    """``len(list_digest_rows(source))``, without making the rows."""
    return sum(1 for section in source.digest.sections for entry in section.entries if entry.url)


def count_month_groups(sources: Iterable[DigestSource]) -> int:
    """``len(group_rows_by_month(...))`` of the sources' rows, without making them."""
    return len({source.ref.date[:7] for source in sources if count_digest_rows(source)})


def iter_month_groups(
    sources: Iterable[DigestSource], rows_of: Callable[[DigestSource], Sequence[LinkRow]]
) -> Iterator[MonthGroup]:
    """``group_rows_by_month`` of the sources' rows (``rows_of`` each), one month's rows
    made at a time, as it is reached: the groups are never all held."""
    months: dict[str, list[DigestSource]] = {}
    for source in sources:
        if count_digest_rows(source):
            months.setdefault(source.ref.date[:7], []).append(source)
    for key, members in months.items():
        rows = tuple(row for source in members for row in rows_of(source))
        yield MonthGroup(key, render_month_label(key), rows)


def group_rows_by_month(rows: Iterable[LinkRow]) -> list[MonthGroup]:
    """Consecutive rows of one month (``YYYY-MM`` of the digest's date) become one group."""
    groups: dict[str, list[LinkRow]] = {}
    for row in rows:
        groups.setdefault(row.digest.date[:7], []).append(row)
    return [MonthGroup(key, render_month_label(key), tuple(items)) for key, items in groups.items()]


def render_month_label(key: str) -> str:
    """``2026-05`` becomes ``May 2026``."""
    year, month = key.split("-")[:2]
    return f"{calendar.month_name[int(month)]} {year}"


def render_links_json(rows: Sequence[LinkRow], site_url: str = "") -> str:
    """The links page as JSON: stable key order, no timestamps, so unchanged input gives
    byte-identical output."""
    return "".join(iter_links_json(rows, site_url))


def iter_links_json(rows: Sequence[LinkRow], site_url: str = "") -> Iterator[str]:
    """``render_links_json`` in pieces, one link each (a document of dicts for 30,000 links
    cost several times the size of its text)."""
    return iter_joined_links_json([(1, _render_link_json(row, site_url)) for row in rows])


def render_rows_json(rows: Sequence[LinkRow], site_url: str = "") -> str:
    """Some rows of ``links.json``'s list (one digest's, say), comma-joined."""
    return ",".join(_render_link_json(row, site_url) for row in rows)


def iter_joined_links_json(
    parts: Iterable[tuple[int, str]], total: int | None = None
) -> Iterator[str]:
    """``links.json`` from (row count, ``render_rows_json``) parts, in order (one digest's
    rows each, say), written as they come: the one place that knows the document's frame.
    Given the ``total`` count of rows, ``parts`` is read once, as written (each part made
    only when its turn comes); without, it is read twice."""
    if total is None:
        parts = list(parts)
        total = sum(count for count, _ in parts)
    yield f'{{"version":1,"count":{total},"links":['
    first = True
    for count, text in parts:
        if count:
            yield text if first else "," + text
            first = False
    yield "]}\n"


def _render_link_json(row: LinkRow, site_url: str) -> str:
    link = {
        "title": row.title,
        "url": row.url,
        "domain": row.domain,
        "section": row.section,
        "summary": row.summary,
        "digest": {
            "title": row.digest.title,
            "url": render_site_url(site_url, row.digest.url),
            "date": row.digest.date,
        },
    }
    # No indent: json's C encoder only runs without one.
    text = json.dumps(link, ensure_ascii=False, separators=(",", ":"))
    return render_embeddable_json(text).removesuffix("\n")
