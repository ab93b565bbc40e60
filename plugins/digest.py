"""digest: gives digest posts ``article.digest`` and writes the links page and links.json.

Thin glue over ``linkdigest``; every rule of the format lives there. Signals, and why:

- ``initialized``: the content cache goes in a folder named after a hash of the code that
  writes it (the library, this plugin) and the Markdown settings, so a cache written by other
  code is never read back: Pelican itself only compares file times.
- ``readers_init``: our reader replaces the Markdown reader, so the parsed and rendered
  digest is part of what Pelican's content cache stores: a warm rebuild neither parses nor
  renders an unchanged digest, and each digest goes through Markdown once, not twice.
- ``article_generator_context`` / ``page_generator_context``: sent for every file on every
  build, cached or not, even for a file Pelican then skips; problems the reader found (kept
  in the cached metadata) are logged here, so an unchanged file still reports them.
- ``article_generator_finalized``: the first moment every article is known, so "featured
  before in" is computed here.
- ``article_generator_finalized`` also links each published digest to the newer and older
  digest (and each other post to its neighbours), names the latest digest for the index, and
  the periods around each year and month archive (``period_archives`` is set just before).
- ``generator_init``: adds the ``reading_minutes`` template filter.
- ``get_generators``: the links page is written by a generator of its own, the way Pelican
  writes every other page, so it gets the theme, the writer and RELATIVE_URLS for free.

Settings (defaults below): DIGEST_CATEGORY, DIGEST_LINKS_SAVE_AS, DIGEST_LINKS_URL,
DIGEST_LINKS_JSON_SAVE_AS, DIGEST_WARN_DRAFTS.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markdown import Markdown
from pelican import signals
from pelican.generators import Generator
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

import linkdigest
from linkdigest.digest import Problem, is_digest, parse_digest, parse_front_matter
from linkdigest.files import read_fingerprint, write_text_atomic
from linkdigest.html import (
    DigestHtml,
    DigestRef,
    list_fragments,
    map_digest_html,
    render_article_html,
    render_digest_html,
    render_reading_minutes,
)
from linkdigest.images import read_image_size, render_image_attributes, resolve_content_image
from linkdigest.links import (
    DigestSource,
    collect_link_rows,
    find_featured_before,
    group_rows_by_month,
    render_links_json,
)
from linkdigest.navigation import pair_neighbours
from linkdigest.references import check_header_cover, check_references

logger = logging.getLogger(__name__)

INTRASITE_MARKERS = (
    "{static}",
    "{filename}",
    "{attach}",
    "{index}",
    "{tag}",
    "{category}",
    "{author}",
    "|static|",
    "|filename|",
    "|attach|",
)

DEFAULTS: dict[str, Any] = {
    "DIGEST_CATEGORY": "summary",
    "DIGEST_LINKS_SAVE_AS": "links/index.html",
    "DIGEST_LINKS_URL": "links/",
    "DIGEST_LINKS_JSON_SAVE_AS": "links.json",
    "DIGEST_WARN_DRAFTS": True,
}


def setting(settings: dict[str, Any], name: str) -> Any:
    return settings.get(name, DEFAULTS[name])


@dataclass(frozen=True)
class SourceReport:
    """What was wrong in one source file; kept in the cached metadata and logged every build."""

    path: str
    problems: tuple[Problem, ...]


class DigestReader(MarkdownReader):
    """Pelican's Markdown reader, which renders digest posts from their parsed structure."""

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        self._source_path = source_path
        self._md = Markdown(**self.settings["MARKDOWN"])
        with pelican_open(source_path) as text:
            lines = text.splitlines()
        front = parse_front_matter(lines)
        problems = self._check_files(text, source_path, front.metadata)
        if is_digest(front.metadata, setting(self.settings, "DIGEST_CATEGORY")):
            self._md.convert("\n".join(lines[: front.body_start]))
            metadata = self._parse_metadata(self._md.Meta)  # also stops Meta eating fragments
            digest = self._size_images(render_digest_html(parse_digest(text), self._convert))
            metadata["digest"] = digest
            content = render_article_html(digest)
            problems = [*digest.problems, *problems]  # digest.problems has the front matter's
        else:
            content = render_image_attributes(self._md.convert(text), self._image_size, eager=1)
            metadata = self._parse_metadata(self._md.Meta)
            problems = [*front.problems, *problems]
        metadata["source_report"] = SourceReport(source_path, tuple(problems))
        return content, metadata

    def _check_files(self, text: str, source_path: str, front: Any) -> list[Problem]:
        root = self.settings["PATH"]
        return [
            *check_references(text, source_path, root),
            *check_header_cover(front.get("header_cover", ""), root),
        ]

    def _size_images(self, digest: DigestHtml) -> DigestHtml:
        # The intro's first image may be on screen at once; every later one loads lazily.
        if not any("<img" in fragment for fragment in list_fragments(digest)):
            return digest
        sized = map_digest_html(digest, lambda f: render_image_attributes(f, self._image_size))
        intro = render_image_attributes(digest.intro_html, self._image_size, eager=1)
        return replace(sized, intro_html=intro)

    def _image_size(self, src: str) -> tuple[int, int] | None:
        path = resolve_content_image(src, self.settings["PATH"], self._source_path)
        return read_image_size(path) if path else None

    def _convert(self, text: str) -> str:
        self._md.reset()
        return self._md.convert(text)


class ResolvedDigest:
    """``article.digest`` as templates see it: the cached DigestHtml with ``{static}`` and
    ``{filename}`` links resolved for the page being written, as ``article.content`` is.

    Resolving is skipped for values that hold no HTML (``link_count``) and for digests
    whose fragments have no intrasite link, which is most of them: an article is shown on
    many pages (index, tags, archives), each with its own relative site URL."""

    PLAIN = frozenset({"heading", "problems", "link_count", "reading_minutes"})

    def __init__(self, article: Any, digest: DigestHtml) -> None:
        self.article = article
        self.raw = digest
        self._needs_resolving = has_intrasite_links(digest)
        self._siteurl: str | None = None
        self._resolved = digest

    def __getattr__(self, name: str) -> Any:
        if name in self.PLAIN or not self._needs_resolving:
            return getattr(self.raw, name)
        siteurl = self.article.get_siteurl()
        if siteurl != self._siteurl:
            self._resolved = map_digest_html(
                self.raw, lambda fragment: self.article._update_content(fragment, siteurl)
            )
            self._siteurl = siteurl
        return getattr(self._resolved, name)


def has_intrasite_links(digest: DigestHtml) -> bool:
    fragments = list_fragments(digest)
    return any(marker in fragment for fragment in fragments for marker in INTRASITE_MARKERS)


def version_cache(pelican: Any) -> None:
    settings = pelican.settings
    code = [*Path(linkdigest.__file__).parent.glob("*.py"), Path(__file__)]
    name = f"digest-{read_fingerprint(code, repr(settings.get('MARKDOWN')))}"
    settings["CACHE_PATH"] = os.path.join(settings["CACHE_PATH"], name)


def add_reader(readers: Any) -> None:
    for extension in DigestReader.file_extensions:
        readers.reader_classes[extension] = DigestReader


def every_article(generator: Any) -> list[Any]:
    return [
        *generator.articles,
        *generator.translations,
        *generator.hidden_articles,
        *generator.hidden_translations,
        *generator.drafts,
        *generator.drafts_translations,
    ]


def digest_source(article: Any) -> DigestSource:
    ref = DigestRef(article.title, article.url, article.date.isoformat())
    return DigestSource(ref, article.digest, article.status == "published")


def finalize_articles(generator: Any) -> None:
    articles = every_article(generator)
    sources = [
        digest_source(a) for a in articles if isinstance(getattr(a, "digest", None), DigestHtml)
    ]
    featured = find_featured_before(sources)
    for article in articles:
        if isinstance(getattr(article, "digest", None), DigestHtml):
            article.digest = ResolvedDigest(article, featured.get(article.url, article.digest))
    # The links page generator runs later and sees only the shared context.
    generator.context["digest_sources"] = [s for s in sources if s.published]
    link_neighbours(generator.articles)
    digests = [a for a in generator.articles if getattr(a, "digest", None)]
    generator.context["latest_digest"] = digests[0] if digests else None
    generator.context["period_around"] = find_period_neighbours(generator.context)


def find_period_neighbours(context: dict[str, Any]) -> dict[tuple[int, ...], dict[str, Any]]:
    """Each year and month archive's URL and the periods around it, by ``period_num``:
    computed once here, because finding them in each period's template costs a pass over
    every period per page (a thousand months make that a million steps)."""
    around: dict[tuple[int, ...], dict[str, Any]] = {}
    for granularity in ("year", "month"):
        archives = context.get("period_archives", {}).get(granularity, [])
        for archive, (newer, older) in zip(archives, pair_neighbours(archives), strict=True):
            around[tuple(archive["period_num"])] = {
                "url": archive["url"],
                "newer": newer,
                "older": older,
            }
    return around


def link_neighbours(published: list[Any]) -> None:
    """``article.newer``/``article.older``: digests among digests, other posts among posts."""
    newest_first = sorted(published, key=lambda a: a.date, reverse=True)
    for is_digest_kind in (True, False):
        kind = [a for a in newest_first if bool(getattr(a, "digest", None)) is is_digest_kind]
        for article, (newer, older) in zip(kind, pair_neighbours(kind), strict=True):
            article.newer, article.older = newer, older


def reading_minutes(article: Any) -> int:
    """The template filter: a digest knows its own; other posts are measured here."""
    digest = getattr(article, "digest", None)
    return digest.reading_minutes if digest else render_reading_minutes(article.content)


def add_filters(generator: Any) -> None:
    generator.env.filters["reading_minutes"] = reading_minutes


def report_problems(generator: Any, metadata: dict[str, Any]) -> None:
    # Sent for every file on every build, cached or not, even for files Pelican then skips.
    report = metadata.get("source_report")
    if not isinstance(report, SourceReport):
        return
    quiet = metadata.get("status") == "draft" and not setting(
        generator.settings, "DIGEST_WARN_DRAFTS"
    )
    for problem in report.problems:
        where = f"{report.path}:{problem.line}" if problem.line else report.path
        logger.log(
            logging.INFO if quiet else logging.WARNING, "digest: %s: %s", where, problem.message
        )


class LinksPageGenerator(Generator):
    """Writes the site-wide links page (template ``links``) and ``links.json``."""

    def generate_output(self, writer: Any) -> None:
        rows = collect_link_rows(self.context.get("digest_sources", []))
        settings = self.settings
        writer.write_file(
            setting(settings, "DIGEST_LINKS_SAVE_AS"),
            self.get_template("links"),
            self.context,
            relative_urls=settings["RELATIVE_URLS"],
            url=setting(settings, "DIGEST_LINKS_URL"),
            page_name="links",
            link_rows=rows,
            link_groups=group_rows_by_month(rows),
        )
        json_path = os.path.join(self.output_path, setting(settings, "DIGEST_LINKS_JSON_SAVE_AS"))
        write_text_atomic(json_path, render_links_json(rows, settings.get("SITEURL", "")))
        logger.info("digest: wrote %d links to %s", len(rows), json_path)


def get_generators(_pelican: Any) -> type[Generator]:
    return LinksPageGenerator


def register() -> None:
    signals.initialized.connect(version_cache)
    signals.readers_init.connect(add_reader)
    signals.article_generator_finalized.connect(finalize_articles)
    signals.article_generator_context.connect(report_problems)
    signals.page_generator_context.connect(report_problems)
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
