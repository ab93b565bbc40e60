"""digest: gives digest posts ``article.digest`` and writes the links page and links.json.

Thin glue over ``linkdigest``; every rule of the format lives there. Signals, and why:

- ``initialized``: the ``DIGEST_*`` defaults go into the settings before any template is
  rendered, so a theme can print ``DIGEST_LINKS_URL`` that the blog's settings never name;
  and the content cache goes in a folder named after a hash of the code that writes it (the
  library, this plugin) and the Markdown settings, so a cache written by other code is never
  read back: Pelican itself only compares file times.
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
- ``generator_init``: the moment each generator's Jinja environment exists and no template
  is loaded yet: adds the ``reading_minutes`` filter, turns on autoescaping for themes that
  ask for it, and puts the plugin's ``links`` template behind the theme's, so that a theme
  without one (Pelican's own) still gets the links page, extending its ``base.html``.
- ``get_generators``: the links page is written by a generator of its own, the way Pelican
  writes every other page, so it gets the theme, the writer and RELATIVE_URLS for free.

Settings (defaults below): DIGEST_CATEGORY, DIGEST_LINKS_SAVE_AS, DIGEST_LINKS_URL,
DIGEST_LINKS_JSON_SAVE_AS, DIGEST_WARN_DRAFTS.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    FileSystemBytecodeCache,
    FileSystemLoader,
    pass_context,
)
from jinja2.bccache import Bucket
from markdown import Markdown
from markupsafe import Markup
from pelican import signals
from pelican.contents import Content
from pelican.generators import Generator, PelicanTemplateNotFound
from pelican.readers import DUPLICATES_DEFINITIONS_ALLOWED, MarkdownReader, ensure_metadata_list
from pelican.utils import slugify

import linkdigest
from linkdigest.errors import ConfigError
from linkdigest.files import read_fingerprint, remove_stale_folders, write_chunks_atomic
from linkdigest.format.digest import (
    Problem,
    is_digest,
    parse_digest,
    parse_front_matter,
    render_readable_front_matter,
)
from linkdigest.format.urls import clear_url_caches, render_site_url
from linkdigest.site.html import (
    DigestHtml,
    DigestRef,
    count_reading_minutes,
    list_fragments,
    map_digest_html,
    render_article_html,
    render_digest_html,
)
from linkdigest.site.images import read_image_size, render_image_attributes, resolve_content_image
from linkdigest.site.linkspage import (
    DigestSource,
    LinkRow,
    RowInputs,
    count_digest_rows,
    count_month_groups,
    find_featured_before,
    iter_joined_links_json,
    iter_month_groups,
    list_digest_rows,
    list_row_inputs,
    order_published,
    render_rows_json,
)
from linkdigest.site.navigation import pair_neighbours
from linkdigest.site.pagememo import DerivedView, Unfingerprintable, render_plain_fingerprint
from linkdigest.site.postchecks import (
    HELD_BACK,
    SourceCheck,
    check_cover,
    check_front_matter,
    check_names_have_slugs,
    check_rendered_markdown,
    check_unread_sources,
    parse_cover,
    read_markdown_paths,
    read_post_source,
)
from linkdigest.site.references import check_references
from linkdigest.site.sanitize import check_unsafe_html, render_safe_digest, render_safe_html

from .readahead import READS, take_read_ahead
from .writer import note_fingerprint

logger = logging.getLogger(__name__)

FALLBACK_TEMPLATES = Path(__file__).parent / "templates"

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
MARKER = re.compile("|".join(map(re.escape, INTRASITE_MARKERS)))

# Metadata whose values get pages of their own, and the kind Pelican's settings name them by.
NAMED_KEYS = {"tags": "TAG", "category": "CATEGORY", "author": "AUTHOR", "authors": "AUTHOR"}
LIST_KEYS = ("tags", "authors")

DEFAULTS: dict[str, Any] = {
    "DIGEST_CATEGORY": "summary",
    "DIGEST_LINKS_SAVE_AS": "links/index.html",
    "DIGEST_LINKS_URL": "links/",
    "DIGEST_LINKS_JSON_SAVE_AS": "links.json",
    "DIGEST_WARN_DRAFTS": True,
    # Front-matter keys your theme reads, beyond Pelican's and ours: never called typos.
    "DIGEST_METADATA_KEYS": (),
}


def setting(settings: dict[str, Any], name: str) -> Any:
    return settings.get(name, DEFAULTS[name])


@dataclass(frozen=True)
class SourceReport:
    """What was wrong in one source file; kept in the cached metadata and logged every build.
    ``held``: the post could not be read whole and was held back as a draft; that is never
    quiet, even in a build that keeps drafts' problems to itself (production fails on it)."""

    path: str
    problems: tuple[Problem, ...]
    held: bool = False


# Keys Pelican reads as one string, though its own reader lets a second line make them a
# list: a title given twice became a list that broke the pages and the search index.
SINGLE_VALUED = frozenset({"title", "lang", "template", "translation"})


class DigestReader(MarkdownReader):
    """Pelican's Markdown reader, which renders digest posts from their parsed structure,
    sanitizes every post's HTML, and holds back as a draft any post it cannot read fully."""

    reads_ahead = True  # readahead may call read_here in worker processes

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        READS[0] += 1  # Pelican asks only for posts its content cache does not serve
        ahead = take_read_ahead(source_path)
        return ahead if ahead is not None else self.read_here(source_path)

    def read_here(self, source_path: str) -> tuple[str, dict[str, Any]]:
        self._path = source_path
        self._markdown = Markdown(**self.settings["MARKDOWN"])
        text, problems = read_post_source(source_path)
        lines = text.splitlines()
        front = parse_front_matter(lines)
        check = check_front_matter(front, setting(self.settings, "DIGEST_METADATA_KEYS"))
        hold = check.must_hold or bool(problems)
        problems += [*check.problems, *check_references(text, source_path, self.settings["PATH"])]
        readable = render_readable_front_matter(lines, front)
        if is_digest(front.metadata, setting(self.settings, "DIGEST_CATEGORY")):
            self._markdown.convert(readable)
            metadata = self._read_metadata(check, hold, front, problems)
            digest = render_digest_html(parse_digest(text), self._convert)
            digest = render_safe_digest(self._size_images(digest), text, front.body_start + 1)
            metadata["digest"] = digest
            # Made here once, in a read-ahead worker, and cached with the post: every build
            # fingerprints every digest for its page memo, and a warm one would pickle all.
            metadata["digest_fingerprint"] = render_plain_fingerprint(digest)
            content = render_article_html(digest)
            problems += [p for p in digest.problems if p not in front.problems]
        else:
            body = "\n".join(lines[front.body_start :])
            rendered = self._markdown.convert(f"{readable}\n\n{body}" if readable else text)
            metadata = self._read_metadata(check, hold, front, problems)
            rendered = render_image_attributes(rendered, self._image_size, eager=1)
            problems += check_unsafe_html(rendered, text, front.body_start + 1)
            content = render_safe_html(rendered)
        problems += check_rendered_markdown(content, text)
        problems += self._read_cover(front, metadata)
        problems += self._check_summary(front, metadata, text)
        if hold and front.metadata.get("status", "").strip().lower() != "draft":
            problems.append(Problem(problems[0].line, HELD_BACK))
        metadata["source_report"] = SourceReport(source_path, tuple(problems), hold)
        return content, metadata

    def _read_metadata(
        self, check: SourceCheck, hold: bool, front: Any, problems: list[Problem]
    ) -> dict[str, Any]:
        meta = {
            k: v for k, v in getattr(self._markdown, "Meta", {}).items() if k not in check.bad_keys
        }
        if hold:
            meta["status"] = ["draft"]
        problems += self._drop_names_without_slugs(meta, front)
        metadata = self._process_meta(meta)
        if isinstance(metadata.get("title"), str):
            # Titles are text: a character reference an author wrote is what it stands for.
            metadata["title"] = html.unescape(metadata["title"])
        return metadata

    def _process_meta(self, meta: dict[str, list[str]]) -> dict[str, Any]:
        """Metadata as Pelican's own Markdown reader makes it (its method for that is private):
        formatted fields rendered, one value unwrapped, a second value of a key that allows
        one dropped with a warning, each value through Pelican's public process_metadata."""
        # Every later conversion is a fragment of the body: no metadata in it.
        self._markdown.preprocessors.deregister("meta")
        metadata = {}
        for key, values in meta.items():
            name = key.lower()
            if name in self.settings["FORMATTED_FIELDS"]:
                self._markdown.reset()
                value: Any = self._markdown.convert("\n".join(values))
            elif len(values) > 1 and (
                name in SINGLE_VALUED or not DUPLICATES_DEFINITIONS_ALLOWED.get(name, True)
            ):
                logger.warning(
                    "Duplicate definition of `%s` for %s. Using first one.", name, self._path
                )
                value = values[0]
            else:
                value = values if len(values) > 1 else values[0]
            metadata[name] = self.process_metadata(name, value)
        return metadata

    def _drop_names_without_slugs(self, meta: dict[str, list[str]], front: Any) -> list[Problem]:
        """Tags, categories and authors Pelican could give no address, taken out before it
        reads them (its own warning names neither the post nor the line)."""
        problems = []
        for key, kind in NAMED_KEYS.items():
            if key not in meta:
                continue
            names = ensure_metadata_list(meta[key][0]) if key in LIST_KEYS else [meta[key][0]]
            slugs = {name: self._slug(kind, name) for name in names}
            found = check_names_have_slugs(key, slugs, front)
            if found:
                kept = [name for name in names if slugs[name].strip("-_")]
                separator = "; " if ";" in meta[key][0] else ", "
                meta[key] = [separator.join(kept)]
                problems += found
        return problems

    def _slug(self, kind: str, name: str) -> str:
        settings = self.settings
        return slugify(
            name,
            regex_subs=settings.get(
                f"{kind}_REGEX_SUBSTITUTIONS", settings.get("SLUG_REGEX_SUBSTITUTIONS", [])
            ),
            preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
            use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
        )

    def _check_summary(self, front: Any, metadata: dict[str, Any], text: str) -> list[Problem]:
        summary = metadata.get("summary")
        if not isinstance(summary, str):
            return []
        metadata["summary"] = render_safe_html(summary)
        return check_unsafe_html(summary, text, front.lines.get("summary", 1))

    def _read_cover(self, front: Any, metadata: dict[str, Any]) -> list[Problem]:
        """``header_cover`` as pages use it, or left out when it is no image of this site."""
        value = front.metadata.get("header_cover", "")
        if not value:
            return []
        settings = self.settings
        line = front.lines.get("header_cover", 0)
        problems = check_cover(value, line, settings["PATH"], settings["STATIC_PATHS"])
        cover = parse_cover(value)
        if problems or cover is None:
            metadata.pop("header_cover", None)
            return problems
        metadata["header_cover"] = cover.src
        return []

    def _size_images(self, digest: DigestHtml) -> DigestHtml:
        # The intro's first image may be on screen at once; every later one loads lazily.
        if not any("<img" in fragment for fragment in list_fragments(digest)):
            return digest
        sized = map_digest_html(digest, lambda f: render_image_attributes(f, self._image_size))
        intro = render_image_attributes(digest.intro_html, self._image_size, eager=1)
        return replace(sized, intro_html=intro)

    def _image_size(self, src: str) -> tuple[int, int] | None:
        path = resolve_content_image(src, self.settings["PATH"], self._path)
        return read_image_size(path) if path else None

    def _convert(self, text: str) -> str:
        self._markdown.reset()
        return self._markdown.convert(text)


class ResolvedDigest:
    """``article.digest`` as templates see it: the cached DigestHtml with ``{static}`` and
    ``{filename}`` links resolved for the page being written, as ``article.content`` is.

    Each fragment with an intrasite link becomes, once, a Pelican ``Content`` of its own,
    with the article's source path, address and context, and is resolved by its public
    ``get_content(siteurl)`` (memoized per site URL); ``{attach}`` then attaches to the
    article's address, as in the article's body. Pelican sends ``content_object_init`` for
    each such Content: plugins that look for articles test for ``Article``, which it is not.

    Resolving is skipped for values that hold no HTML (``link_count``) and for digests
    whose fragments have no intrasite link, which is most of them: an article is shown on
    many pages (index, tags, archives), each with its own relative site URL."""

    PLAIN = frozenset({"heading", "problems", "link_count", "reading_minutes"})

    def __init__(self, article: Any, digest: DigestHtml, context: dict[str, Any]) -> None:
        self.article = article
        self.raw = digest
        self._context = context
        self._needs_resolving = has_intrasite_links(digest)
        self._fragments: dict[str, Content] = {}
        self._siteurl: str | None = None
        self._resolved = digest

    def __getattr__(self, name: str) -> Any:
        if name in self.PLAIN or not self._needs_resolving:
            return getattr(self.raw, name)
        siteurl = self.article.get_siteurl()
        if siteurl != self._siteurl:
            self._resolved = map_digest_html(self.raw, lambda f: self._resolve(f, siteurl))
            self._siteurl = siteurl
        return getattr(self._resolved, name)

    def __fingerprint__(self) -> Any:
        """What templates can read (for the page memo): the digest's HTML, and that HTML
        with its intrasite links resolved when it has any (their targets' addresses)."""
        if not self._needs_resolving:
            return self.raw
        return (self.raw, map_digest_html(self.raw, lambda f: self._resolve(f, "")))

    def _resolve(self, fragment: str, siteurl: str) -> str:
        if not has_marker(fragment):
            return fragment
        if fragment not in self._fragments:
            article = self.article
            self._fragments[fragment] = Content(
                fragment,
                metadata={"save_as": article.save_as, "url": article.url},
                settings=article.settings,
                source_path=article.source_path,
                context=self._context,
            )
        return self._fragments[fragment].get_content(siteurl)


def has_marker(fragment: str) -> bool:
    return MARKER.search(fragment) is not None


def has_intrasite_links(digest: DigestHtml) -> bool:
    """One look at all its fragments joined (not ten searches per fragment: sixty fragments a
    digest, a thousand digests, every build), most often only for the two characters every
    marker starts with. The separator is in no marker, so none is made across fragments."""
    text = "\n".join(list_fragments(digest))
    return ("{" in text or "|" in text) and has_marker(text)


def add_defaults(pelican: Any) -> None:
    for name, value in DEFAULTS.items():
        pelican.settings.setdefault(name, value)


STALE_CACHE_SECONDS = 7 * 24 * 3600


def version_cache(pelican: Any) -> None:
    settings = pelican.settings
    code = [*Path(linkdigest.__file__).parent.rglob("*.py"), *Path(__file__).parent.rglob("*.py")]
    name = f"digest-{read_fingerprint(code, repr(settings.get('MARKDOWN')))}"
    # The caches of other versions of the code (or Markdown settings) unused for a week go:
    # each upgrade left one behind (37 MB at 1,000 digests).
    parent = Path(settings["CACHE_PATH"])
    if parent.is_dir():
        remove_stale_folders(parent, "digest-*", name, STALE_CACHE_SECONDS)
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
    with_digest = [
        a for a in every_article(generator) if isinstance(getattr(a, "digest", None), DigestHtml)
    ]
    sources = [digest_source(a) for a in with_digest]  # Pelican makes a post's URL anew each time
    for article in with_digest:
        read = article.metadata.get("digest")  # article.digest as read (cached)
        fingerprint = getattr(article, "digest_fingerprint", None)
        if read is article.digest and isinstance(fingerprint, bytes):
            note_fingerprint(read, fingerprint)
    featured = find_featured_before(sources)
    for article, source in zip(with_digest, sources, strict=True):
        digest = featured.get(source.ref.url, article.digest)
        article.digest = ResolvedDigest(article, digest, generator.context)
    # The links page generator runs later and sees only the shared context.
    generator.context["digest_sources"] = [s for s in sources if s.published]
    link_neighbours(generator.articles)
    digests = [a for a in generator.articles if getattr(a, "digest", None)]
    generator.context["latest_digest"] = digests[0] if digests else None
    generator.context["period_around"] = find_period_neighbours(generator.context)
    if not generator.settings.get("KEEP_URL_CACHES"):
        clear_url_caches()  # the devserver keeps them: its next build asks the same again


def find_period_neighbours(context: dict[str, Any]) -> dict[tuple[int, ...], dict[str, Any]]:
    """Each year and month archive's URL and the periods around it, by ``period_num``:
    computed once here, because finding them in each period's template costs a pass over
    every period per page (a thousand months make that a million steps). A neighbour is its
    period and URL only: every period page reads this, and is rendered again only when what
    it read changed (the writer's memo), which the posts of other periods must not do."""
    around: dict[tuple[int, ...], dict[str, Any]] = {}
    for granularity in ("year", "month"):
        archives = [
            {"period": a["period"], "period_num": a["period_num"], "url": a["url"]}
            for a in context.get("period_archives", {}).get(granularity, [])
        ]
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
    return digest.reading_minutes if digest else count_reading_minutes(article.content)


def set_up_templates(generator: Any) -> None:
    """The ``reading_minutes`` filter; the plugin's own ``links`` template for themes that
    have none, last in the chain so that a theme's own (or THEME_TEMPLATES_OVERRIDES) wins;
    and what the theme's ``theme.toml`` asks for: autoescaping (Pelican's own environment
    never escapes; themes written for that, such as Pelican's ``simple``, print HTML as text
    if escaping is turned on under them) and defaults for the settings its templates read."""
    env = generator.env
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(FALLBACK_TEMPLATES)])
    share_compiled_templates(generator)
    env.filters["reading_minutes"] = reading_minutes
    site = generator.settings.get("CANONICAL_SITEURL") or generator.settings.get("SITEURL", "")
    env.globals["absolute_url"] = lambda path: render_site_url(site, path)
    manifest = read_theme_manifest(generator.theme)
    if manifest.get("autoescape") is True:
        env.autoescape = True
    if "settings" in manifest:  # the theme's own settings, for blogs that do not set them
        generator.context.setdefault("CANONICAL_SITEURL", site)
        for name, value in manifest["settings"].items():
            generator.context.setdefault(name, value)


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept for the life of the process: each generator has a Jinja
    environment of its own, and without this each compiled ``base.html`` and ``macros.html``
    again (Jinja checks each template's source checksum before it uses the bytecode)."""

    compiled: ClassVar[dict[str, bytes]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


def share_compiled_templates(generator: Any) -> None:
    """Templates compiled once per build, or once until they change when the content cache
    is on (kept beside it); and never looked at again on disk during a build, which ends
    before a template could change (`make devserver` runs a new build for each change)."""
    settings = generator.settings
    if settings.get("CACHE_CONTENT"):
        folder = os.path.join(settings["CACHE_PATH"], "templates")
        os.makedirs(folder, exist_ok=True)
        generator.env.bytecode_cache = FileSystemBytecodeCache(folder)
    else:
        generator.env.bytecode_cache = SharedBytecodeCache()
    generator.env.auto_reload = False


@lru_cache(maxsize=8)
def read_theme_manifest(theme: str) -> dict[str, Any]:
    path = Path(theme) / "theme.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), None, f"not valid TOML ({error}); fix the file") from None


def report_problems(generator: Any, metadata: dict[str, Any]) -> None:
    # Sent for every file on every build, cached or not, even for files Pelican then skips.
    report = metadata.get("source_report")
    if not isinstance(report, SourceReport):
        return
    # A draft's problems are the author's business until it is published, unless the post
    # is a draft only because it could not be read whole.
    quiet = (
        metadata.get("status") == "draft"
        and not report.held
        and not setting(generator.settings, "DIGEST_WARN_DRAFTS")
    )
    for problem in report.problems:
        where = f"{report.path}:{problem.line}" if problem.line else report.path
        logger.log(
            logging.INFO if quiet else logging.WARNING, "digest: %s: %s", where, problem.message
        )


class LinksPageGenerator(Generator):
    """Writes the site-wide links page (template ``links``) and ``links.json``."""

    def generate_output(self, writer: Any) -> None:
        # The rows follow from the digests' sections: the writer's memo fingerprints those
        # (a few per digest, and the same objects from one devserver build to the next),
        # not 30,000 rows. The rows and months are views, made as the page is written and
        # let go month by month (23 MiB at 1,000 digests, all held, was the build's peak).
        sources = self.context.get("digest_sources", [])
        settings = self.settings
        keep = bool(settings.get("KEEP_URL_CACHES"))  # the devserver's: kept for its next build
        inputs = KeptInputs.of(sources, keep=keep)
        site = settings.get("SITEURL", "")
        kept = KeptRows(site, keep=keep)
        by_source = {id(source): each for source, each in zip(sources, inputs, strict=True)}
        published = order_published(sources)
        counts = [count_digest_rows(source) for source in published]

        def rows_of(source: DigestSource) -> tuple[LinkRow, ...]:
            return kept.rows(source, by_source[id(source)])

        def all_rows() -> Iterator[LinkRow]:
            for source in published:
                yield from rows_of(source)

        rows = DerivedView(all_rows, sum(counts), inputs)
        groups = DerivedView(
            lambda: iter_month_groups(published, rows_of), count_month_groups(published), inputs
        )
        months = MonthFragments(self, inputs, getattr(writer, "fingerprints", None))
        writer.write_file(
            setting(settings, "DIGEST_LINKS_SAVE_AS"),
            self.get_template("links"),
            self.context,
            relative_urls=settings["RELATIVE_URLS"],
            url=setting(settings, "DIGEST_LINKS_URL"),
            page_name="links",
            link_rows=rows,
            link_groups=groups,
            month_html=months.render,
            linkdigest_streamed=True,  # our writer writes it as it renders (10 MB at 1,000)
        )
        months.keep()
        json_name = setting(settings, "DIGEST_LINKS_JSON_SAVE_AS")

        def write_json(path: str) -> None:
            parts = zip(counts, (kept.json(s, by_source[id(s)]) for s in published), strict=True)
            write_chunks_atomic(path, iter_joined_links_json(parts, total=sum(counts)))
            logger.info("digest: wrote %d links to %s", len(rows), path)

        if hasattr(writer, "write_derived"):  # ours: written only when a digest changed
            writer.write_derived(json_name, {"rows": inputs, "site": site}, write_json)
        else:
            write_json(os.path.join(self.output_path, json_name))
        kept.keep(inputs)


class KeptInputs:
    """Each digest's RowInputs; under the devserver (``KEEP_URL_CACHES``) the very object
    the last build made, while its digest is the same object (posts the content cache kept
    loaded) with the same address and status: the memo then has its fingerprint from the
    last build, and the 30,000 links' fields are not gathered again for each edit."""

    kept: ClassVar[dict[int, tuple[DigestSource, RowInputs]]] = {}

    @staticmethod
    def of(sources: list[DigestSource], *, keep: bool) -> list[RowInputs]:
        if not keep:
            KeptInputs.kept = {}
            return list_row_inputs(sources)
        made: dict[int, tuple[DigestSource, RowInputs]] = {}
        inputs = []
        for source in sources:
            known = KeptInputs.kept.get(id(source.digest))
            if not (
                known is not None
                and known[0].digest is source.digest
                and known[0].ref == source.ref
                and known[0].published == source.published
            ):
                known = (source, list_row_inputs([source])[0])
            made[id(source.digest)] = known
            inputs.append(known[1])
        KeptInputs.kept = made
        return inputs


class KeptRows:
    """Each digest's links page rows and its part of ``links.json``, made from its
    RowInputs (all they are made of); under the devserver (``KEEP_URL_CACHES``) kept in this
    process for the next build while those inputs and the site URL are the same, so an edit
    makes one digest's rows again, not 30,000. A build that ends its process keeps nothing,
    not even for the length of the build: each digest's rows are made when asked for."""

    kept: ClassVar[dict[Any, tuple[tuple[LinkRow, ...], list[str]]]] = {}
    site: ClassVar[str] = ""

    def __init__(self, site: str, *, keep: bool) -> None:
        self.keeping = keep
        if not keep or site != KeptRows.site:
            KeptRows.kept = {}
        KeptRows.site = site
        self.used: dict[Any, tuple[tuple[LinkRow, ...], list[str]]] = {}

    def rows(self, source: DigestSource, inputs: Any) -> tuple[LinkRow, ...]:
        if not self.keeping:
            return list_digest_rows(source)
        known = self.used.get(inputs) or KeptRows.kept.get(inputs)
        if known is None:
            known = (list_digest_rows(source), [])
        self.used[inputs] = known
        return known[0]

    def json(self, source: DigestSource, inputs: Any) -> str:
        """The digest's part of ``links.json``."""
        if not self.keeping:  # made as it is written, not held: links.json is streamed
            return render_rows_json(list_digest_rows(source), KeptRows.site)
        rows = self.rows(source, inputs)
        text = self.used[inputs][1]
        if not text:
            text.append(render_rows_json(rows, KeptRows.site))
        return text[0]

    def keep(self, inputs: Iterable[Any]) -> None:
        """For the next build: the digests of ``inputs`` (this build's), made now or kept
        from before (a build whose page and links.json were current made none)."""
        if not self.keeping:
            KeptRows.kept = {}
            return
        known = {**KeptRows.kept, **self.used}
        KeptRows.kept = {each: known[each] for each in inputs if each in known}


class MonthFragments:
    """The links page's months (template ``links_month``), each rendered once and, under the
    devserver (``KEEP_URL_CACHES``), kept in this process for the next build while its
    links, the template and the site URL are the same: an edit under `make devserver`
    renders one month again, not 30,000 rows. A theme without the template has
    ``month_html`` render nothing (its links.html loops itself)."""

    kept: ClassVar[dict[tuple[str, str, bytes], Markup]] = {}

    def __init__(self, generator: Any, inputs: list[Any], fingerprints: Any) -> None:
        self.inputs = {each.ref: each for each in inputs}
        self.fingerprints = fingerprints
        self.used: dict[tuple[str, str, bytes], Markup] = {}
        self.keeping = bool(generator.settings.get("KEEP_URL_CACHES"))  # the devserver's
        try:
            self.template = generator.get_template("links_month")
        except PelicanTemplateNotFound:
            self.template = None
        filename = getattr(self.template, "filename", None)
        self.source = read_fingerprint([Path(filename)]) if filename else ""

    @pass_context
    def render(self, context: Any, group: Any) -> Markup:
        if self.template is None:
            return Markup("")
        siteurl = str(context["SITEURL"])  # the page's own (relative) site URL
        key = self.key(group, siteurl) if self.keeping else None  # the devserver keeps them
        if key is not None and key in self.kept:
            self.used[key] = self.kept[key]
            return self.used[key]
        html = Markup(self.template.render(group=group, SITEURL=siteurl))
        if key is not None:
            self.used[key] = html
        return html

    def key(self, group: Any, siteurl: str) -> tuple[str, str, bytes] | None:
        if self.fingerprints is None or not self.source:
            return None
        digests = [self.inputs.get(ref) for ref in dict.fromkeys(row.digest for row in group.rows)]
        try:
            month = self.fingerprints.of((group.key, group.label, digests))
        except Unfingerprintable:
            return None
        return (self.source, siteurl, month)

    def __fingerprint__(self) -> Any:
        """For the page memo: the months' template (their links are in ``link_groups``)."""
        return ("links_month", self.source)

    def keep(self) -> None:
        """The months this build rendered or reused, for the next (none when the page itself
        was not rendered: the memo found it current, and the months kept stay)."""
        if not self.keeping:
            MonthFragments.kept = {}
        elif self.used:
            MonthFragments.kept = self.used


def report_unread_sources(generators: list[Any]) -> None:
    """Markdown under the content folder that no generator read: sent once every generator
    has looked at its paths (articles, pages and static files alike)."""
    if not generators:
        return
    context, settings = generators[0].context, generators[0].settings
    read = {*context.get("generated_content", {}), *context.get("static_content", {})}
    markdown = read_markdown_paths(settings["PATH"], settings.get("IGNORE_FILES", ()))
    for message in check_unread_sources(
        markdown, read, settings["ARTICLE_PATHS"], settings["PAGE_PATHS"]
    ):
        logger.warning("digest: %s: %s", settings["PATH"], message)


def get_generators(_pelican: Any) -> type[Generator]:
    return LinksPageGenerator


def register() -> None:
    signals.initialized.connect(add_defaults)
    signals.initialized.connect(version_cache)
    signals.readers_init.connect(add_reader)
    signals.article_generator_finalized.connect(finalize_articles)
    signals.article_generator_context.connect(report_problems)
    signals.page_generator_context.connect(report_problems)
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(report_unread_sources)
    signals.generator_init.connect(set_up_templates)
