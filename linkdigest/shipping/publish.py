"""What `make publish` checks and records: gates on a built site, pre-compressed copies,
the per-target deploy record and the closing summary.

Gates return results and never raise for a problem in the site: the command-line layer
shows every failed gate at once and deploys nothing when one failed.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser

from linkdigest.checking.cache import LinkCache
from linkdigest.checking.internal import check_internal_links, read_built_pages
from linkdigest.checking.places import LinkRef
from linkdigest.checking.report import CheckReport, render_reason
from linkdigest.checking.run import Progress, check_places, read_check_places
from linkdigest.checking.verdicts import CheckOptions
from linkdigest.errors import ConfigError, ContentError, UsageError
from linkdigest.files import read_content_text, write_text_atomic
from linkdigest.format.digest import Problem, is_digest, parse_digest, parse_front_matter
from linkdigest.net import Fetcher, HttpSettings
from linkdigest.shipping.deploy import MARKER, Changes
from linkdigest.site.buildrecord import RECORD_NAME
from linkdigest.site.postchecks import check_front_matter

try:  # optional: .br copies only when the module is installed
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

GATES = ("output", "drafts", "internal", "feeds", "content", "links")
TEXT_SUFFIXES = frozenset({".html", ".css", ".js", ".xml", ".json", ".txt", ".svg"})
COMPRESSED_SUFFIXES = (".gz", ".br")
FEED_SETTINGS = (
    "FEED_ALL_ATOM",
    "FEED_ALL_RSS",
    "FEED_ATOM",
    "FEED_RSS",
    "CATEGORY_FEED_ATOM",
    "CATEGORY_FEED_RSS",
    "TAG_FEED_ATOM",
    "TAG_FEED_RSS",
    "AUTHOR_FEED_ATOM",
    "AUTHOR_FEED_RSS",
    "TRANSLATION_FEED_ATOM",
    "TRANSLATION_FEED_RSS",
)
# Listing folders whose sub-folders are named after a tag, category or author: a draft
# whose slug equals such a name is not leaking through them.
LISTINGS = frozenset({"tag", "tags", "category", "categories", "author", "authors"})
STATUS_DRAFT = re.compile(r"^\s*status:\s*draft\s*$", re.IGNORECASE | re.MULTILINE)
PLACEHOLDER = re.compile(r"\{[^}]*\}|%s")


@dataclass(frozen=True)
class GateResult:
    """One gate's outcome: what it looked at, and every problem it found."""

    name: str
    problems: tuple[str, ...] = ()
    note: str = ""
    skipped: bool = False
    warnings: tuple[str, ...] = ()  # shown loudly, but the gate passes

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SiteFacts:
    """What the gates need to know from the production settings."""

    site_url: str
    output: Path
    content: Path
    feed_globs: tuple[str, ...] = ()
    required: tuple[str, ...] = ("index.html",)
    slug_subs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Draft:
    path: str
    title: str
    slug: str


@dataclass(frozen=True)
class DeployRecord:
    """What the last successful deploy to one target left behind: when, where, and the
    hash of each post whose links the links gate passed (so only new or changed posts are
    checked next time; a skipped links gate adds nothing)."""

    target: str
    deployed_at: str = ""
    site_url: str = ""
    checked: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Precompressed:
    gz: int = 0
    br: int = 0
    brotli: bool = brotli is not None


@dataclass(frozen=True)
class SiteStats:
    pages: int
    feeds: int
    files: int
    bytes: int


# --- settings -----------------------------------------------------------------------------


def read_site_facts(pelican_settings: Path, output: Path | None = None) -> SiteFacts:
    """Output folder, content folder, SITEURL and feed paths from a Pelican settings file."""
    from pelican.settings import read_settings  # Pelican is slow to import; only here

    try:
        settings = read_settings(str(pelican_settings))
    except (OSError, SyntaxError, ImportError, NameError) as error:
        raise ConfigError(str(pelican_settings), None, f"cannot read settings: {error}") from error
    feeds = [settings[name] for name in FEED_SETTINGS if settings.get(name)]
    return SiteFacts(
        site_url=str(settings.get("SITEURL", "")).rstrip("/"),
        output=Path(output or settings["OUTPUT_PATH"]),
        content=Path(settings["PATH"]),
        feed_globs=tuple(PLACEHOLDER.sub("*", feed) for feed in feeds),
        required=("index.html", *(f for f in feeds if not PLACEHOLDER.search(f))),
        slug_subs=tuple(tuple(pair) for pair in settings.get("SLUG_REGEX_SUBSTITUTIONS", ())),
    )


def parse_skip_gates(text: str) -> tuple[str, ...]:
    """Gate names from ``SKIP_GATES`` (comma separated); a typo is an error, not a no-op."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in GATES]
    if unknown:
        known = ", ".join(GATES)
        raise UsageError(f"SKIP_GATES: unknown gate {unknown[0]!r}; gates: {known}")
    return names


# --- gates --------------------------------------------------------------------------------


def iter_site_files(output: Path) -> Iterable[Path]:
    """The site's own files: no pre-compressed copies, no deploy marker, no build record."""
    for path in sorted(output.rglob("*")):
        own = path.relative_to(output).as_posix() not in (MARKER, RECORD_NAME)
        if own and path.is_file() and path.suffix not in COMPRESSED_SUFFIXES:
            yield path


def check_output(site: SiteFacts) -> GateResult:
    """The output exists, is not empty, and has the home page and the site-wide feeds."""
    if not site.output.is_dir() or not any(site.output.iterdir()):
        return GateResult("output", (f"{site.output}: empty or missing: build the site first",))
    missing = [name for name in site.required if not (site.output / name).is_file()]
    problems = tuple(f"{site.output / name}: missing" for name in missing)
    return GateResult("output", problems, f"{', '.join(site.required)} present")


def parse_draft(text: str, path: str, slug_subs: Iterable[tuple[str, str]] = ()) -> Draft | None:
    """The title and slug of a post whose front matter says ``Status: draft``."""
    from pelican.utils import slugify

    meta = parse_front_matter(text.splitlines()).metadata
    if meta.get("status", "").strip().lower() != "draft":
        return None
    title = meta.get("title", "").strip()
    slug = meta.get("slug", "").strip() or slugify(title, regex_subs=list(slug_subs))
    return Draft(path, title, slug)


def render_path(path: Path) -> str:
    """``path`` relative to the working folder when it is below it, for messages."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def read_drafts(content: Path, slug_subs: Iterable[tuple[str, str]] = ()) -> list[Draft]:
    drafts = []
    for path in sorted(content.rglob("*.md")):
        draft = parse_draft(read_content_text(path), render_path(path), slug_subs)
        if draft:
            drafts.append(draft)
    return drafts


def find_draft_traces(page: str, text: str, drafts: Iterable[Draft]) -> list[str]:
    """How drafts show in one output file (``page`` is its site path): a file written under
    the draft's slug, its title as a heading, link or page title, or raw front matter."""
    found = []
    if page.startswith("drafts/"):
        found.append(f"{page}: a draft page was written")
    if text and STATUS_DRAFT.search(text):
        found.append(f"{page}: contains a 'Status: draft' line")
    parts = page.split("/")
    for draft in drafts:
        where = f"{page}: draft {draft.path!r}"
        if draft.slug and _has_slug(parts, draft.slug):
            found.append(f"{where}: written under its slug {draft.slug!r}")
        if draft.title and _has_title(text, draft.title):
            found.append(f"{where}: its title {draft.title!r} appears")
    return found


def _has_slug(parts: list[str], slug: str) -> bool:
    for index, part in enumerate(parts):
        named = part == slug or part == f"{slug}.html"
        if named and not (index and parts[index - 1] in LISTINGS):
            return True
    return False


def _has_title(text: str, title: str) -> bool:
    escaped = {html.escape(title, quote=False), html.escape(title)}
    needles = [f">{t}<" for t in escaped] + [f"<title>{t}" for t in escaped]
    return any(n in text for n in needles) or json.dumps(title)[1:-1] in _json_strings(text)


def _json_strings(text: str) -> set[str]:
    return set(re.findall(r'"((?:[^"\\]|\\.)*)"', text)) if text.lstrip()[:1] in "[{" else set()


def check_drafts(site: SiteFacts) -> GateResult:
    """No draft anywhere in the output: not its page, title, slug or front matter."""
    drafts = read_drafts(site.content, site.slug_subs)
    problems: list[str] = []
    for path in iter_site_files(site.output):
        page = path.relative_to(site.output).as_posix()
        is_text = path.suffix in TEXT_SUFFIXES
        text = path.read_text(encoding="utf-8", errors="replace") if is_text else ""
        problems += find_draft_traces(page, text, drafts)
    return GateResult("drafts", tuple(problems), f"{len(drafts)} draft(s) in {site.content}")


def check_internal(site: SiteFacts) -> GateResult:
    """Every internal link and #fragment of every page the build wrote (its record; every
    page in the output when there is none) resolves."""
    pages = read_built_pages(site.output)
    broken = check_internal_links(site.output, site.site_url, pages)
    problems = tuple(f"{b.page}: {b.url}: {b.reason}" for b in broken)
    return GateResult("internal", problems, "internal links and fragments")


def find_feeds(site: SiteFacts) -> list[Path]:
    found = {path for pattern in site.feed_globs for path in site.output.glob(pattern)}
    return sorted(path for path in found if path.is_file())


def parse_feed_problem(data: bytes) -> str:
    """Why feed readers would choke on a feed; "" when feedparser reads it cleanly."""
    parsed = feedparser.parse(data)
    if parsed.get("bozo"):
        return f"not well-formed: {parsed.get('bozo_exception')}"
    if not parsed.get("version"):
        return "not recognised as RSS or Atom"
    return ""


def check_feeds(site: SiteFacts) -> GateResult:
    """Every feed the settings produce parses with feedparser without ``bozo``."""
    feeds = find_feeds(site)
    problems = []
    for feed in feeds:
        if problem := parse_feed_problem(feed.read_bytes()):
            problems.append(f"{feed.relative_to(site.output).as_posix()}: {problem}")
    return GateResult("feeds", tuple(problems), f"{len(feeds)} feeds")


def check_content(site: SiteFacts, category: str = "summary") -> GateResult:
    """Every post and page to be published reads whole and follows the digest format: the
    build's own checks, named file:line (drafts are the author's business until then)."""
    problems: list[str] = []
    posts = 0
    for path in sorted(site.content.rglob("*.md")):
        where = render_path(path)
        try:
            text = read_content_text(path)
        except ContentError as error:
            posts += 1
            problems.append(f"{where}:{error.line}: {error.message}")
            continue
        if parse_draft(text, str(path)) is not None:
            continue
        posts += 1
        found = find_content_problems(text, category)
        problems += [f"{where}:{problem.line}: {problem.message}" for problem in found]
    return GateResult("content", tuple(problems), f"{posts} posts and pages")


def find_content_problems(text: str, category: str) -> list[Problem]:
    front = parse_front_matter(text.splitlines())
    problems = list(check_front_matter(front).problems)
    if is_digest(front.metadata, category):
        problems += [p for p in parse_digest(text).problems if p not in front.problems]
    return sorted(problems, key=lambda p: p.line)


# --- links since the last deploy ----------------------------------------------------------


def read_post_hashes(content: Path) -> dict[str, str]:
    """{path relative to content: SHA-256} for every post and page that is not a draft."""
    hashes = {}
    for path in sorted(content.rglob("*.md")):
        data = path.read_bytes()
        if parse_draft(data.decode("utf-8", errors="replace"), str(path)) is None:
            hashes[path.relative_to(content).as_posix()] = hashlib.sha256(data).hexdigest()
    return hashes


def render_changed_posts(current: Mapping[str, str], checked: Mapping[str, str]) -> list[str]:
    """Posts new or changed since their links last passed the gate."""
    return sorted(path for path, digest in current.items() if checked.get(path) != digest)


def read_changed_links(content: Path, posts: Iterable[str]) -> list[LinkRef]:
    """Every link written in the posts (paths relative to ``content``), with file and
    line: http(s), intrasite references and mailto, as ``make links`` reads them."""
    return read_check_places(content, [content / path for path in posts])


@dataclass(frozen=True)
class LinksGate:
    """The links gate's result, and the files (as the places name them) with a link that
    is dead or could not be verified: those are not recorded as checked, so the next
    publish checks them again."""

    result: GateResult
    unchecked: frozenset[str] = frozenset()


async def check_links(
    refs: list[LinkRef],
    posts: int,
    http: HttpSettings,
    options: CheckOptions,
    cache: LinkCache,
    allow_unverified: bool = False,
    progress: Progress | None = None,
    content: Path | None = None,
    fetcher: Fetcher | None = None,
) -> LinksGate:
    """No dead link among ``refs``, and none unverified unless ``allow_unverified``: the
    same check as ``make links``, every problem at the file:line where it is written."""
    note = f"{len({r.url for r in refs})} links in {posts} new or changed posts"
    if not refs:
        return LinksGate(GateResult("links", note=note))
    report = await check_places(
        refs, http, cache, options, content=content, progress=progress, fetcher=fetcher
    )
    return judge_links_gate(report, note, allow_unverified)


def judge_links_gate(report: CheckReport, note: str, allow_unverified: bool) -> LinksGate:
    dead = [render_gate_problem(p, f.check.url, "dead", f) for f in report.dead for p in f.places]
    unverified = [
        render_gate_problem(p, f.check.url, "could not be verified", f)
        for f in report.unverified
        for p in f.places
    ]
    unchecked = frozenset(p.path for f in [*report.dead, *report.unverified] for p in f.places)
    if unverified:
        note += (
            f"; {len(report.unverified)} could NOT be verified"
            + (", published anyway (allow_unverified): their posts are checked again next time"
               if allow_unverified else "; publish once they can be, or allow them with "
               "ALLOW_UNVERIFIED=1 (their posts are checked again next time)")
        )  # fmt: skip
    problems = dead + ([] if allow_unverified else unverified)
    warnings = unverified if allow_unverified else []
    result = GateResult("links", tuple(problems), note, warnings=tuple(warnings))
    return LinksGate(result, unchecked)


def render_gate_problem(place: LinkRef, url: str, what: str, finding: object) -> str:
    check = finding.check  # type: ignore[attr-defined]
    return f"{render_path(Path(place.path))}:{place.line}: {url}: {what} ({render_reason(check)})"


# --- pre-compression ----------------------------------------------------------------------


def render_gzip(data: bytes) -> bytes:
    """gzip level 9 with mtime 0 and no file name: the same bytes on every build."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def write_precompressed(output: Path) -> Precompressed:
    """A ``.gz`` (and ``.br`` when brotli imports) beside every text file, for servers that
    serve pre-compressed copies; a copy that would not be smaller is not written."""
    gz = br = 0
    for path in iter_site_files(output):
        if path.suffix not in TEXT_SUFFIXES:
            continue
        data = path.read_bytes()
        gz += _write_smaller(path.with_name(path.name + ".gz"), data, render_gzip(data))
        if brotli is not None:
            br += _write_smaller(path.with_name(path.name + ".br"), data, brotli.compress(data))
    return Precompressed(gz, br)


def _write_smaller(target: Path, original: bytes, compressed: bytes) -> int:
    if len(compressed) >= len(original):
        target.unlink(missing_ok=True)
        return 0
    target.write_bytes(compressed)
    return 1


# --- deploy record ------------------------------------------------------------------------


def read_deploy_record(path: Path, target: str) -> DeployRecord:
    """The record of the last deploy to ``target``; a missing file means none yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DeployRecord(
            target, str(data["deployed_at"]), str(data["site_url"]), dict(data["checked"])
        )
    except FileNotFoundError:
        return DeployRecord(target)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ContentError(
            str(path),
            None,
            f"unreadable deploy record ({error}): delete it, and every post's "
            "links are checked again on the next publish",
        ) from error


def write_deploy_record(path: Path, record: DeployRecord) -> None:
    document: dict[str, Any] = {
        "target": record.target,
        "deployed_at": record.deployed_at or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "site_url": record.site_url,
        "checked": dict(sorted(record.checked.items())),
    }
    write_text_atomic(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


# --- summary ------------------------------------------------------------------------------


def read_site_stats(site: SiteFacts) -> SiteStats:
    files = list(iter_site_files(site.output))
    return SiteStats(
        pages=sum(1 for path in files if path.suffix == ".html"),
        feeds=len(find_feeds(site)),
        files=len(files),
        bytes=sum(path.stat().st_size for path in files),
    )


def select_site_changes(changes: Changes) -> Changes:
    """The changes without pre-compressed copies, which follow their originals."""

    def keep(paths: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for p in paths if not p.endswith(COMPRESSED_SUFFIXES) and p != MARKER)

    return Changes(keep(changes.added), keep(changes.changed), keep(changes.removed))


def render_change_lines(changes: Changes) -> list[str]:
    """``+ path``, ``~ path``, ``- path``: what a deploy changes (or would)."""
    return (
        [f"+ {p}" for p in changes.added]
        + [f"~ {p}" for p in changes.changed]
        + [f"- {p}" for p in changes.removed]
    )


def render_summary(
    stats: SiteStats, changes: Changes, site_url: str, precompressed: Precompressed
) -> list[str]:
    """The closing lines: size of the site, what changed, where readers find it."""
    site = select_site_changes(changes)
    copies = f"plus {precompressed.gz} .gz"
    copies += f" and {precompressed.br} .br copies" if precompressed.brotli else " copies"
    return [
        f"{stats.pages} pages, {stats.feeds} feeds, {stats.files} files, {stats.bytes:,} bytes"
        f" ({copies})",
        f"since the last deploy: {len(site.added)} added, {len(site.changed)} changed, "
        f"{len(site.removed)} removed",
        f"public URL: {site_url}/",
    ]
