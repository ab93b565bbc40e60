"""The monthly drafter: the month's links from every source, as a digest draft.

Candidates are de-duplicated by a loose URL key, links an earlier published digest already
carried are left out, the rest are sorted into sections by rules from the settings file,
completed with fetched titles and summaries, and either written as a new draft or merged
into the existing one: new entries are inserted at the end of their section and every line
already in the file is kept byte for byte.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from linkdigest.drafting.gather import read_sources
from linkdigest.drafting.record import (
    Mark,
    Record,
    RecordLine,
    Settled,
    parse_record,
    parse_removed_lines,
    record_path,
    render_record,
    settle_record,
)
from linkdigest.drafting.sources import (
    DEFAULT_TIMEZONE,
    Candidate,
    Month,
    Skipped,
    SourceSettings,
    parse_source_settings,
)
from linkdigest.errors import ConfigError, ContentError
from linkdigest.fetching.fetch import DAY, FetchOptions, LinkInfo, fetch_many
from linkdigest.files import read_text_exact, write_text_atomic, write_text_with_backup
from linkdigest.format.digest import Digest, Entry, Section, is_digest, parse_digest
from linkdigest.format.render import (
    entry_from_text,
    escape_line_start,
    escape_markdown_text,
    render_digest,
    render_entry,
)
from linkdigest.format.urls import (
    is_http_url,
    is_video_url,
    normalise_for_dedup,
    parse_domain,
    render_clean_url,
    render_embed_url,
)
from linkdigest.net import Fetcher
from linkdigest.net.cache import Cache
from linkdigest.settings import parse_table

STATUS_LINE = re.compile(r"^\s{0,3}status\s*:", re.IGNORECASE)
TEMPLATE_KEYS = ("year", "month", "month_name", "month_slug")


@dataclass(frozen=True)
class SectionRule:
    """``[[draft.rules]]``: links matching any of these go to ``section`` (first rule wins)."""

    section: str = ""
    domains: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    videos: bool = False


@dataclass(frozen=True)
class DraftSettings:
    """The ``[draft]`` table. Text settings may use {year}, {month}, {month_name} and
    {month_slug}; paths are relative to the settings file's folder."""

    path: str = "content/posts/{year}-{month}-links.md"
    content: str = "content"
    title: str = "Month summary - {month_name} {year}"
    slug: str = "{year}-{month_slug}-links"
    category: str = "summary"
    tags: str = "links, month, {year}"
    summary: str = "What caught my eye in {month_name} {year}"
    heading: str = "{month_name} {year}"
    intro: str = ""
    timezone: str = DEFAULT_TIMEZONE
    default_section: str = "Articles"
    sections: tuple[str, ...] = ("Articles", "Videos")
    rules: tuple[SectionRule, ...] = (SectionRule("Videos", videos=True),)
    sources: tuple[SourceSettings, ...] = ()


def parse_draft_settings(data: Mapping[str, Any], source: str = "<settings>") -> DraftSettings:
    """The ``[draft]`` table, checked once at start-up: a bad key or value names the file."""
    table = dict(data.get("draft", {}))
    nested = ("sections", "rules", "sources")
    parse_table(
        {k: v for k, v in table.items() if k not in nested},
        DraftSettings,
        source,
        "draft",
        ignore=nested,
    )
    values: dict[str, Any] = {k: v for k, v in table.items() if k not in nested}
    if "sections" in table:
        values["sections"] = _string_list(table["sections"], source, "[draft] sections")
    if "rules" in table:
        values["rules"] = tuple(_rule(r, source, i) for i, r in enumerate(table["rules"], 1))
    values["sources"] = tuple(
        parse_source_settings(s, source, i) for i, s in enumerate(table.get("sources", []), 1)
    )
    settings = DraftSettings(**values)
    for name in ("path", "title", "tags", "slug", "summary", "heading", "intro"):
        check_template(getattr(settings, name), source, name)  # a bad {placeholder}, once
    return settings


def check_template(template: str, source: str, name: str) -> None:
    """A ConfigError for a ``{placeholder}`` of ``[draft] name`` that no month fills."""
    try:
        render_template(template, Month(2000, 1))
    except (KeyError, IndexError, ValueError) as error:
        known = ", ".join("{" + k + "}" for k in TEMPLATE_KEYS)
        raise ConfigError(
            source, None, f"[draft] {name} = {template!r}: bad placeholder {error}; known: {known}"
        ) from None


def _string_list(value: object, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, None, f"{where} must be a list of strings")
    return tuple(value)


def _rule(table: Mapping[str, Any], source: str, index: int) -> SectionRule:
    where = f"[[draft.rules]] #{index}"
    parse_table(table, SectionRule, source, "draft.rules", ignore=())
    if not table.get("section"):
        raise ConfigError(source, None, f"{where}: every rule needs a section")
    lists = {
        k: _string_list(table[k], source, f"{where} {k}")
        for k in ("domains", "urls", "tags", "keywords")
        if k in table
    }
    return SectionRule(str(table["section"]), videos=bool(table.get("videos")), **lists)


def render_template(template: str, month: Month) -> str:
    """A settings text with the month filled in (``check_template`` vetted it at start-up)."""
    values = {
        "year": month.year,
        "month": f"{month.month:02d}",
        "month_name": month.name,
        "month_slug": month.name.lower(),
    }
    return template.format(**values)


# What earlier digests hold


@dataclass(frozen=True)
class ContentIndex:
    """Published links (dedup key -> ``file:line``) and every post's slug (-> file)."""

    published: Mapping[str, str] = field(default_factory=dict)
    slugs: Mapping[str, str] = field(default_factory=dict)


def read_content_index(content: Path, base: Path, category: str, skip: Path) -> ContentIndex:
    """Every Markdown post under ``content`` except ``skip`` (the draft itself)."""
    published: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for path in sorted(content.rglob("*.md")):
        if path.resolve() == skip.resolve():
            continue
        name = _relative(path, base)
        digest = parse_digest(path.read_text(encoding="utf-8", errors="replace"))
        slugs.setdefault(digest.metadata.get("slug", "").strip(), name)
        if is_digest(digest.metadata, category) and _status(digest) == "published":
            for entry in digest.entries:
                published.setdefault(normalise_for_dedup(entry.url), f"{name}:{entry.line}")
    return ContentIndex(published, slugs)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _status(digest: Digest) -> str:
    return digest.metadata.get("status", "published").strip().lower() or "published"


# Candidates: order, de-duplication, exclusion


def order_candidates(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Sources in settings order; within one source, oldest first, then by line."""
    rank: dict[str, int] = {}
    for candidate in candidates:
        rank.setdefault(candidate.source, len(rank))
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(candidates, key=lambda c: (rank[c.source], c.date or floor, c.line))


def merge_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per link, in order of first sight; duplicates merged into it."""
    groups: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        groups.setdefault(normalise_for_dedup(candidate.url), []).append(candidate)
    return [merge_group(group) for group in groups.values()]


def merge_group(group: Sequence[Candidate]) -> Candidate:
    """The first real title (not empty, not a bare URL), every distinct note, every tag, the
    first section hint and the earliest date; the URL as first written, without tracking."""
    first = group[0]
    titles = [c.title for c in group if c.title and not is_http_url(c.title)]
    dates = [c.date for c in group if c.date]
    hints = [c.section_hint for c in group if c.section_hint]
    note, markdown = _merge_notes(group)
    return replace(
        first,
        url=render_clean_url(first.url),
        title=titles[0] if titles else "",
        note=note,
        note_markdown=markdown,
        section_hint=hints[0] if hints else "",
        tags=tuple(dict.fromkeys(t for c in group for t in c.tags)),
        date=min(dates) if dates else None,
    )


def _merge_notes(group: Sequence[Candidate]) -> tuple[str, bool]:
    notes = [c for c in group if c.note.strip()]
    if len({c.note for c in notes}) <= 1:
        return (notes[0].note, notes[0].note_markdown) if notes else ("", False)
    markdown = any(c.note_markdown for c in notes)
    kept: list[str] = []
    for candidate in notes:
        text = candidate.note
        if markdown and not candidate.note_markdown:
            text = escape_markdown_text(text)
        if not any(text in other for other in kept):  # one note repeating another adds nothing
            kept = [other for other in kept if other not in text] + [text]
    return " ".join(_sentence(k) for k in kept[:-1]) + " " + kept[-1], markdown


def _sentence(note: str) -> str:
    # Notes are often fragments; joined, each ends like a sentence so they do not run on.
    return note if note.rstrip().endswith((".", "!", "?", "…", "。", ")")) else note.rstrip() + "."


@dataclass(frozen=True)
class Plan:
    """What a run will do: the new links, and those left out (already in the draft, removed
    from it by the editor, or published before, with where)."""

    new: tuple[Candidate, ...] = ()
    in_draft: tuple[Candidate, ...] = ()
    published: tuple[tuple[Candidate, str], ...] = ()
    duplicates: int = 0
    removed: tuple[Candidate, ...] = ()


def plan_draft(
    candidates: Sequence[Candidate],
    published: Mapping[str, str],
    existing: Digest | None,
    rejected: Collection[str] = (),
) -> Plan:
    """Each link once: in the draft already, removed by the editor (``rejected`` holds
    dedup keys), published before, or new."""
    merged = merge_candidates(order_candidates(candidates))
    in_draft = {normalise_for_dedup(e.url) for e in existing.entries} if existing else set()
    new, kept, gone, removed = [], [], [], []
    for candidate in merged:
        key = normalise_for_dedup(candidate.url)
        if key in in_draft:
            kept.append(candidate)
        elif key in rejected:
            removed.append(candidate)
        elif key in published:
            gone.append((candidate, published[key]))
        else:
            new.append(candidate)
    duplicates = len(candidates) - len(merged)
    return Plan(tuple(new), tuple(kept), tuple(gone), duplicates, tuple(removed))


# Sections


def choose_section(candidate: Candidate, settings: DraftSettings) -> str:
    """The section a link goes to: the source's own section, else the first matching rule,
    else the default section. Names match the settings' sections whatever their case."""
    if candidate.section_hint:
        return _known_name(candidate.section_hint, settings.sections)
    for rule in settings.rules:
        if rule_matches(rule, candidate):
            return rule.section
    return settings.default_section


def _known_name(name: str, known: Sequence[str]) -> str:
    return next((k for k in known if k.casefold() == name.strip().casefold()), name.strip())


def rule_matches(rule: SectionRule, candidate: Candidate) -> bool:
    url = candidate.url
    return (
        (rule.videos and is_video_url(url))
        or _domain_matches(parse_domain(url), rule.domains)
        or _url_matches(url, rule.urls)
        or _tag_matches(candidate.tags, rule.tags)
        or _keyword_matches(f"{candidate.title} {candidate.note}", rule.keywords)
    )


def _domain_matches(host: str, domains: Sequence[str]) -> bool:
    wanted = (d.lower().removeprefix("www.") for d in domains)
    return any(host == d or host.endswith("." + d) for d in wanted)


def _url_matches(url: str, patterns: Sequence[str]) -> bool:
    bare = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE)
    return any(fnmatchcase(bare.lower(), p.lower()) for p in patterns)


def _tag_matches(tags: Sequence[str], wanted: Sequence[str]) -> bool:
    have = {t.casefold() for tag in tags for t in (tag, *tag.split())}
    return any(w.casefold() in have for w in wanted)


def _keyword_matches(text: str, keywords: Sequence[str]) -> bool:
    folded = text.casefold()
    for keyword in keywords:
        word = keyword.casefold()
        if not word.isascii():
            if word in folded:  # scripts without spaces between words: a substring is a word
                return True
        elif re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded):
            return True
    return False


def order_sections(names: Iterable[str], settings: DraftSettings) -> list[str]:
    """Settings order first, then any other section in order of first appearance."""
    present = list(dict.fromkeys(names))
    known = [s for s in settings.sections if s in present]
    return known + [s for s in present if s not in settings.sections]


# Titles and summaries


@dataclass(frozen=True)
class Completed:
    candidates: tuple[Candidate, ...]
    failures: tuple[tuple[Candidate, str], ...]  # no title and nothing fetched: why


async def complete_candidates(
    candidates: Sequence[Candidate],
    fetcher: Fetcher | None,
    cache: Cache,
    options: FetchOptions,
    progress: Callable[[int], Callable[[LinkInfo], None]] | None = None,
) -> Completed:
    """A source's title and note win; the rest come from the fetch layer. Without a fetcher
    (offline) only fresh cache entries are used and nothing touches the network."""
    needy = [c for c in candidates if not c.title or not c.note]
    urls = [c.url for c in needy]
    tick = progress(len(urls)) if progress and urls and fetcher else None
    infos = await _link_infos(urls, fetcher, cache, options, tick)
    completed = [_complete(c, infos.get(c.url)) for c in candidates]
    failures = tuple((c, _why_untitled(infos.get(c.url))) for c in completed if not c.title)
    return Completed(tuple(completed), failures)


def _why_untitled(info: LinkInfo | None) -> str:
    if info is None:
        return "offline, not in the cache"
    return info.error or "the page gives none"


async def _link_infos(
    urls: list[str],
    fetcher: Fetcher | None,
    cache: Cache,
    options: FetchOptions,
    progress: Callable[[LinkInfo], None] | None,
) -> dict[str, LinkInfo]:
    if fetcher is not None:
        return {i.url: i for i in await fetch_many(fetcher, urls, cache, options, progress)}
    cached = {url: cache.get(url, options.ttl_days * DAY) for url in urls}
    return {url: LinkInfo.from_json(value) for url, value in cached.items() if value}


def _complete(candidate: Candidate, info: LinkInfo | None) -> Candidate:
    if info is None or not info.ok:
        return candidate
    title = candidate.title or info.title
    if candidate.note:
        return replace(candidate, title=title)
    return replace(candidate, title=title, note=info.summary, note_markdown=False)


# Rendering


def render_candidate_entry(candidate: Candidate) -> Entry:
    """A link entry: the title escaped (an empty one for fill mode to complete), the note as
    the summary (web text escaped, the person's Markdown kept), a video's embed."""
    entry = entry_from_text(candidate.title or "", candidate.url)
    if not candidate.title:
        entry = replace(entry, title="", title_markdown="")
    note = " ".join(candidate.note.split())
    summary = escape_line_start(note) if candidate.note_markdown else escape_markdown_text(note)
    return replace(entry, summary=summary, extra=render_embed(candidate.title, candidate.url))


def render_embed(title: str, url: str) -> str:
    """The privacy-enhanced player, exactly as the digest format shows it; "" if no video."""
    embed = render_embed_url(url)
    if not embed:
        return ""
    return (
        f'<div class="video-embed"><iframe src="{html.escape(embed)}"\n'
        f'title="{html.escape(" ".join(title.split()) or url)}" allowfullscreen></iframe></div>'
    )


def group_entries(
    candidates: Sequence[Candidate], settings: DraftSettings
) -> dict[str, list[Entry]]:
    """Entries by section, sections in draft order, entries in candidate order."""
    grouped: dict[str, list[Entry]] = {}
    for candidate in candidates:
        grouped.setdefault(choose_section(candidate, settings), []).append(
            render_candidate_entry(candidate)
        )
    return {name: grouped[name] for name in order_sections(grouped, settings)}


def render_new_draft(
    month: Month, settings: DraftSettings, sections: Mapping[str, Sequence[Entry]]
) -> str:
    """A whole new draft: front matter with ``Status: draft``, heading, intro, sections."""
    metadata = {
        "title": render_template(settings.title, month),
        "date": month.last_day.isoformat(),
        "category": settings.category,
        "tags": render_template(settings.tags, month),
        "slug": render_template(settings.slug, month),
        "summary": render_template(settings.summary, month),
        "status": "draft",
    }
    digest = Digest(
        metadata=metadata,
        heading=render_template(settings.heading, month),
        intro=render_template(settings.intro, month).strip(),
        sections=tuple(Section(name, "", tuple(entries)) for name, entries in sections.items()),
    )
    return render_digest(digest)


def parse_mergeable_draft(text: str, path: str) -> Digest:
    """The existing draft, parsed; a ContentError for a file whose Status is not draft."""
    digest = parse_digest(text)
    status = _status(digest)
    if status != "draft":
        lines = text.splitlines()
        line = next((i + 1 for i, s in enumerate(lines) if STATUS_LINE.match(s)), None)
        raise ContentError(
            path,
            line,
            f"Status is {status}, not draft: a digest that is not "
            "a draft is never changed; set 'Status: draft' to merge into it",
        )
    return digest


def render_merged(
    text: str, digest: Digest, sections: Mapping[str, Sequence[Entry]], settings: DraftSettings
) -> str:
    """``text`` with new entries inserted: at the end of their section, or in a new section
    placed by settings order. No existing line changes."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    inserts: dict[int, list[str]] = {}
    for name, entries in sections.items():
        index, block = _insertion(lines, digest, name, entries, settings, newline)
        inserts.setdefault(index, []).append(block)
    out: list[str] = []
    for index in range(len(lines) + 1):
        out.extend(inserts.get(index, []))
        out.extend(lines[index : index + 1])
    return "".join(out)


def _insertion(
    lines: list[str],
    digest: Digest,
    name: str,
    entries: Sequence[Entry],
    settings: DraftSettings,
    newline: str,
) -> tuple[int, str]:
    body = newline.join(render_entry(e).replace("\n", newline) for e in entries)
    spans = _section_spans(digest, len(lines))
    existing = next((s for s in spans if s[0].casefold() == name.casefold()), None)
    if existing:
        end = _last_text_line(lines, existing[1], existing[2]) + 1
        return end, newline + body
    index = _new_section_index(spans, name, settings, len(lines))
    lead = newline if index and lines[index - 1].strip() else ""
    tail = newline if index < len(lines) else ""
    return index, f"{lead}## {name}{newline}{newline}{body}{tail}"


def _section_spans(digest: Digest, total: int) -> list[tuple[str, int, int]]:
    """(title, first line index, end index) of each titled ``##`` section."""
    titled = [s for s in digest.sections if s.title]
    starts = [s.line - 1 for s in titled] + [total]
    return [(s.title, starts[i], starts[i + 1]) for i, s in enumerate(titled)]


def _last_text_line(lines: list[str], start: int, end: int) -> int:
    index = end - 1
    while index > start and not lines[index].strip():
        index -= 1
    return index


def _new_section_index(
    spans: list[tuple[str, int, int]], name: str, settings: DraftSettings, total: int
) -> int:
    """Where a fresh draft would put section ``name``: after the settings sections ranked
    before it (the last of them in the file, however the editor ordered them), else before
    those ranked after it, else before the editor's own sections; one the settings do not
    name goes at the end."""
    order = [s.casefold() for s in settings.sections]
    if name.casefold() not in order:
        return total
    rank = order.index(name.casefold())
    known = [
        (order.index(t.casefold()), start, end) for t, start, end in spans if t.casefold() in order
    ]
    earlier = [end for r, _, end in known if r < rank]
    if earlier:
        return max(earlier)
    if known:
        return min(start for _, start, _ in known)
    return spans[0][1] if spans else total


# One run


@dataclass(frozen=True)
class RecordUpdate:
    """The draft's record after a run: its path, the text to write before the draft (with
    the links being added marked ``adding``; "" when nothing is added), the text to write
    after it ("" when nothing changes), the removals noticed in this run, and the record
    line of each link kept out (dedup key -> line number in the final text)."""

    path: Path
    before: str = ""
    after: str = ""
    newly_removed: tuple[RecordLine, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DraftRun:
    """The result of planning a draft: where, the text to write ("" when nothing is new),
    whether the file is new, its record, and everything to report."""

    path: Path
    text: str
    created: bool
    plan: Plan
    skipped: tuple[Skipped, ...]
    failures: tuple[tuple[Candidate, str], ...]
    counts: Mapping[str, int]
    record: RecordUpdate


async def build_draft(
    settings: DraftSettings,
    base: Path,
    month: Month,
    fetcher: Fetcher | None,
    cache: Cache,
    options: FetchOptions,
    progress: Callable[[int], Callable[[LinkInfo], None]] | None = None,
) -> DraftRun:
    """Read the sources, plan, complete and render: everything but writing the files."""
    path = base / render_template(settings.path, month)
    existing_text = read_text_exact(path) if path.exists() else None
    existing = (
        parse_mergeable_draft(existing_text, str(path)) if existing_text is not None else None
    )
    record = read_record(record_path(path))
    settled = settle_record(record, _entry_keys(existing))
    index = read_content_index(base / settings.content, base, settings.category, path)
    _check_slug(index, render_template(settings.slug, month), path)
    found = await read_sources(settings.sources, base, month, fetcher, options.max_description)
    plan = plan_draft(found.candidates, index.published, existing, settled.rejected)
    completed = await complete_candidates(plan.new, fetcher, cache, options, progress)
    sections = group_entries(completed.candidates, settings)
    counts = {name: len(entries) for name, entries in sections.items()}
    if not sections:
        text = ""
    elif existing is None:
        text = render_new_draft(month, settings, sections)
    else:
        text = render_merged(existing_text or "", existing, sections, settings)
    update = plan_record(record_path(path), record, settled, completed.candidates, path.name)
    return DraftRun(
        path, text, existing is None, plan, found.skipped, completed.failures, counts, update
    )


def _entry_keys(digest: Digest | None) -> set[str] | None:
    return {normalise_for_dedup(e.url) for e in digest.entries} if digest else None


def read_record(path: Path) -> Record:
    """The draft's record, or an empty one when there is none yet."""
    return parse_record(read_text_exact(path), str(path)) if path.exists() else Record()


def plan_record(
    path: Path, record: Record, settled: Settled, added: Sequence[Candidate], draft_name: str
) -> RecordUpdate:
    """The record's texts around the draft's write: the links added as ``adding``, then
    as ``drafted``; removals noticed now are marked ``removed``."""
    if not added and not settled.changes:
        return RecordUpdate(path, lines={k: v.line for k, v in settled.rejected.items()})
    rows = [(c.url, c.title or " ".join(c.note.split())[:80]) for c in added]  # a hint
    before = render_record(record, settled.changes, [(Mark.ADDING, *r) for r in rows], draft_name)
    after = render_record(record, settled.changes, [(Mark.DRAFTED, *r) for r in rows], draft_name)
    lines = parse_removed_lines(after, str(path))
    return RecordUpdate(path, before if added else "", after, settled.newly_removed, lines)


def write_draft(run: DraftRun, wrote: Callable[[Path], None] = lambda _: None) -> Path | None:
    """Write the draft and its record, each whole, in an order that a run interrupted at
    any point can simply be run again (see ``linkdigest.drafting.record``); ``wrote`` hears
    of each file once it is written. Returns the ``.bak`` of a merged draft."""
    backup = None
    if run.text:
        if run.record.before:
            write_text_atomic(run.record.path, run.record.before)
            wrote(run.record.path)
        if run.created:
            write_text_atomic(run.path, run.text)
        else:
            backup = write_text_with_backup(run.path, run.text)
        wrote(run.path)
    if run.record.after:
        write_text_atomic(run.record.path, run.record.after)
        wrote(run.record.path)
    return backup


def _check_slug(index: ContentIndex, slug: str, path: Path) -> None:
    other = index.slugs.get(slug)
    if other:
        raise ContentError(
            str(path),
            None,
            f"{other} already has the slug {slug!r}; set "
            "[draft] path to that file to merge into it, or change [draft] slug",
        )
