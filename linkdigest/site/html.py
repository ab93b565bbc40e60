"""Render a parsed Digest to HTML fragments for templates, and the assembled article HTML.

Each fragment (intro, section prose, summary, extra) goes through the caller's Markdown
converter once; the article body is assembled from the same fragments, so a digest costs
one Markdown pass, not two. Values are frozen dataclasses so Pelican's cache can pickle them,
with slots: a thousand digests hold thirty thousand entries, and a dict each costs memory.

Every ``*_html`` value is ``markupsafe.Markup``: HTML on purpose, which an autoescaping
template prints as it is, while every other value (titles, URLs, domains) is text that it
escapes. A fragment becomes Markup only here, after it has been rendered (and, in the
build, sanitized), never because a template said ``|safe``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TypeVar

from markupsafe import Markup

from linkdigest.format.digest import Digest, Entry, Problem, Section
from linkdigest.format.render import escape_line_start
from linkdigest.format.text import TAG
from linkdigest.format.urls import is_http_url, normalise_for_dedup, render_embed_url

Convert = Callable[[str], str]
T = TypeVar("T")


def _quick_pickle(cls: type[T]) -> type[T]:
    """Pickling for a frozen slots dataclass without the dataclass module's own
    ``__getstate__``/``__setstate__``, which call ``fields()`` for every object: Pelican's
    content cache holds 36,000 of these at 1,000 digests, and unpickling them took 0.5 s of
    a warm build. Its fields by position, each ``*_html`` one as plain text, made Markup
    again without Markup's own constructor (the text was Markup when it was pickled)."""
    names = tuple(field.name for field in fields(cls))  # type: ignore[arg-type]
    markup = frozenset(name for name in names if name.endswith("_html"))
    as_text = str.__str__  # an exact str of a Markup (its class is not pickled with it)
    make_markup = str.__new__
    put = object.__setattr__

    def getstate(self: object) -> tuple[object, ...]:
        return tuple(
            as_text(getattr(self, name)) if name in markup else getattr(self, name)
            for name in names
        )

    def setstate(self: object, state: tuple[object, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            put(self, name, make_markup(Markup, value) if name in markup else value)

    cls.__getstate__ = getstate  # type: ignore[method-assign]
    cls.__setstate__ = setstate  # type: ignore[attr-defined]
    return cls


@_quick_pickle
@dataclass(frozen=True, slots=True)
class DigestRef:
    """A digest as other pages point at it: for "featured before in" notes and the links page."""

    title: str
    url: str
    date: str


FRAGMENT_MARKER = "<!--linkdigest:fragment-->"
FRAGMENT_SEPARATOR = f"\n\n{FRAGMENT_MARKER}\n\n"
FRAGMENT_SPLIT = re.compile(rf"\s*{re.escape(FRAGMENT_MARKER)}\s*")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S.*$", re.MULTILINE)
INLINE_MARKUP = re.compile(r"[*_`\\&<\[]")
PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.DOTALL)
SLUG_DROP = re.compile(r"[^\w\s-]")
SLUG_SPACE = re.compile(r"[\s_-]+")
# The author's own embed of a video entry (the theme renders one of its own, lazy and
# titled), and the elements other themes wrap it in (videoWrapper, embed-responsive,
# fluid-width-video-wrapper, a paragraph): these go with it, or an empty box stays behind.
AUTHOR_EMBED = re.compile(
    r"<iframe\b[^>]*\bsrc\s*=\s*[\"']?[^\"'\s>]*"
    r"(?:youtube(?:-nocookie)?\.com|youtu\.be|player\.vimeo\.com)[^>]*>.*?</iframe\s*>",
    re.DOTALL | re.IGNORECASE,
)
WRAPPER_OPEN = re.compile(r"<(?P<tag>div|p|figure|span|center)\b[^>]*>\s*$", re.IGNORECASE)
WORD = re.compile(r"[^\W\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
WORDS_PER_MINUTE = 230
CJK_CHARACTERS_PER_MINUTE = 500
EMBED_ALLOW = "autoplay; encrypted-media; fullscreen; picture-in-picture"


def _coerce_markup(value: object) -> None:
    """Make every ``*_html`` field of a frozen dataclass Markup (fragments arrive as str)."""
    for field in fields(value):  # type: ignore[arg-type]
        if field.name.endswith("_html"):
            fragment = getattr(value, field.name)
            if not isinstance(fragment, Markup):
                object.__setattr__(value, field.name, Markup(fragment))


@_quick_pickle
@dataclass(frozen=True, slots=True)
class EntryHtml:
    title: str
    title_html: str
    url: str
    domain: str
    summary_html: str
    extra_html: str
    line: int
    anchor: str
    is_video: bool
    embed_url: str | None
    featured_before: tuple[DigestRef, ...] = ()
    # The link as the drafter tells links apart (``normalise_for_dedup``), made when the post
    # is read and cached with it: every build compares every digest's links by it. "" when
    # the entry has no usable URL (such entries are never the same link).
    same_link: str = ""

    def __post_init__(self) -> None:
        _coerce_markup(self)

    @property
    def embed_html(self) -> Markup:
        """A responsive, lazily loaded, privacy-enhanced player with a title; "" if no video."""
        if not self.embed_url:
            return Markup("")
        return Markup(
            f'<div class="video-embed"><iframe src="{html.escape(self.embed_url)}"'
            f' title="Video: {html.escape(self.title)}" loading="lazy"'
            f' allow="{EMBED_ALLOW}" referrerpolicy="strict-origin-when-cross-origin"'
            " allowfullscreen></iframe></div>"
        )


@_quick_pickle
@dataclass(frozen=True, slots=True)
class SectionHtml:
    title: str
    anchor: str
    prose_html: str
    entries: tuple[EntryHtml, ...]

    def __post_init__(self) -> None:
        _coerce_markup(self)


@_quick_pickle
@dataclass(frozen=True, slots=True)
class DigestHtml:
    heading: str
    intro_html: str
    sections: tuple[SectionHtml, ...]
    problems: tuple[Problem, ...]
    reading_minutes: int = 1

    def __post_init__(self) -> None:
        _coerce_markup(self)

    @property
    def entries(self) -> tuple[EntryHtml, ...]:
        return tuple(entry for section in self.sections for entry in section.entries)

    @property
    def link_count(self) -> int:
        return sum(len(section.entries) for section in self.sections)


def render_digest_html(digest: Digest, convert: Convert) -> DigestHtml:
    """Convert every fragment of ``digest`` with ``convert`` (Markdown text to HTML)."""
    fragments = render_fragments(_collect_fragments(digest), convert)
    anchors = _AnchorSet()
    sections = tuple(
        _render_section(section, fragments, convert, anchors) for section in digest.sections
    )
    result = DigestHtml(digest.heading, fragments[digest.intro], sections, digest.problems)
    titles = [section.title for section in sections] + [e.title for e in result.entries]
    minutes = count_reading_minutes(" ".join([*list_fragments(result), *titles]))
    return replace(result, reading_minutes=minutes)


def count_reading_minutes(html_text: str) -> int:
    """Minutes a reader needs for ``html_text`` (at least 1): words, or CJK characters."""
    text = TAG.sub(" ", html_text)
    cjk = len(CJK.findall(text))
    minutes = len(WORD.findall(text)) / WORDS_PER_MINUTE + cjk / CJK_CHARACTERS_PER_MINUTE
    return max(1, round(minutes))


def render_without_author_embed(extra_html: str) -> str:
    """A video entry's extra HTML without the author's embed (the theme renders its own),
    and without the elements that held only that embed."""
    for match in reversed(list(AUTHOR_EMBED.finditer(extra_html))):
        start, end = _widen_to_wrappers(extra_html, match.start(), match.end())
        extra_html = extra_html[:start] + extra_html[end:]
    return extra_html.strip()


def _widen_to_wrappers(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``text[start:end]`` over each element around it that holds nothing else."""
    while True:
        opening = WRAPPER_OPEN.search(text, 0, start)
        if opening is None or text[opening.end() : start].strip():
            return start, end
        closing = re.match(rf"\s*</{opening['tag']}\s*>", text[end:], re.IGNORECASE)
        if closing is None:
            return start, end
        start, end = opening.start(), end + closing.end()


def render_fragments(texts: list[str], convert: Convert) -> dict[str, str]:
    """HTML for each Markdown fragment, from a single Markdown pass over all of them.

    One pass costs what Pelican pays for an ordinary post, where one call per fragment
    costs several times more. Fragments are joined by HTML comments that Markdown keeps
    as they are; if the split does not come back intact (an unclosed HTML block can swallow
    a marker), each fragment is converted on its own, with the document's reference-style
    link definitions appended so those still resolve.
    """
    unique = [text for text in dict.fromkeys(texts) if text.strip()]
    result = {text: "" for text in texts}
    if not unique:
        return result
    joined = convert(FRAGMENT_SEPARATOR.join(unique))
    parts = FRAGMENT_SPLIT.split(joined)
    if len(parts) == len(unique):
        result.update(zip(unique, (part.strip() for part in parts), strict=True))
        return result
    references = "\n".join(
        m.group(0) for text in unique for m in REFERENCE_DEFINITION.finditer(text)
    )
    result.update(
        (text, convert(f"{text}\n\n{references}" if references else text).strip())
        for text in unique
    )
    return result


def map_digest_html(digest: DigestHtml, change: Callable[[str], str]) -> DigestHtml:
    """A copy of ``digest`` with ``change`` applied to every HTML fragment (e.g. link fixing)."""
    sections = tuple(
        replace(
            section,
            prose_html=change(section.prose_html),
            entries=tuple(
                replace(
                    entry,
                    title_html=change(entry.title_html),
                    summary_html=change(entry.summary_html),
                    extra_html=change(entry.extra_html),
                )
                for entry in section.entries
            ),
        )
        for section in digest.sections
    )
    return replace(digest, intro_html=change(digest.intro_html), sections=sections)


def list_fragments(digest: DigestHtml) -> list[str]:
    """Every HTML fragment of ``digest`` a plugin may need to look into, intro first."""
    fragments = [digest.intro_html]
    for section in digest.sections:
        fragments.append(section.prose_html)
        fragments += [html for e in section.entries for html in (e.summary_html, e.extra_html)]
    return fragments


def render_article_html(digest: DigestHtml) -> str:
    """The article body as plain HTML (for feeds and for themes that ignore ``digest``)."""
    parts = [digest.intro_html]
    for section in digest.sections:
        if section.title:
            parts.append(f'<h2 id="{section.anchor}">{html.escape(section.title)}</h2>')
        parts.append(section.prose_html)
        for entry in section.entries:
            title = (
                f'<a href="{html.escape(entry.url)}">{entry.title_html}</a>'
                if entry.url
                else entry.title_html
            )
            parts.append(f'<h3 id="{entry.anchor}">{title}</h3>')
            if entry.summary_html:
                parts.append(f"<blockquote>\n{entry.summary_html}\n</blockquote>")
            parts += [entry.embed_html, entry.extra_html]
    return "\n".join(part for part in parts if part)


def render_title_html(title_markdown: str, title: str, convert: Convert) -> str:
    """Inline HTML of a link title; plain titles skip the Markdown converter entirely."""
    if not INLINE_MARKUP.search(title_markdown):
        return html.escape(title, quote=False)
    rendered = convert(escape_line_start(title_markdown)).strip()
    match = PARAGRAPH.match(rendered)
    return match.group(1) if match else html.escape(title, quote=False)


def render_slug(text: str) -> str:
    """A URL fragment id from any text; keeps non-Latin letters, which HTML ids allow."""
    slug = SLUG_SPACE.sub("-", SLUG_DROP.sub("", text.lower())).strip("-")
    return slug or "section"


def _render_section(
    section: Section, fragments: dict[str, str], convert: Convert, anchors: _AnchorSet
) -> SectionHtml:
    entries = tuple(_render_entry(entry, fragments, convert, anchors) for entry in section.entries)
    anchor = anchors.claim(render_slug(section.title)) if section.title else ""
    return SectionHtml(section.title, anchor, fragments[section.prose], entries)


def _render_entry(
    entry: Entry, fragments: dict[str, str], convert: Convert, anchors: _AnchorSet
) -> EntryHtml:
    embed_url = render_embed_url(entry.url)
    extra_html = fragments[entry.extra]
    usable = is_http_url(entry.url)
    return EntryHtml(
        title=entry.title,
        title_html=render_title_html(entry.title_markdown, entry.title, convert),
        # A URL that is not http(s) (javascript:, data:, a typo) is reported by the parser
        # and never becomes a link.
        url=entry.url if usable else "",
        domain=entry.domain if usable else "",
        summary_html=fragments[entry.summary],
        extra_html=render_without_author_embed(extra_html) if embed_url else extra_html,
        line=entry.line,
        anchor=anchors.claim("link-" + render_slug(entry.title)),
        is_video=entry.is_video,
        embed_url=embed_url,
        same_link=normalise_for_dedup(entry.url) if usable else "",
    )


def _collect_fragments(digest: Digest) -> list[str]:
    texts = [digest.intro]
    for section in digest.sections:
        texts.append(section.prose)
        for entry in section.entries:
            texts += [entry.summary, entry.extra]
    return texts


class _AnchorSet:
    """Hands out unique ids: a second "Articles" becomes "articles-2"."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, base: str) -> str:
        anchor, number = base, 2
        while anchor in self.used:
            anchor, number = f"{base}-{number}", number + 1
        self.used.add(anchor)
        return anchor
