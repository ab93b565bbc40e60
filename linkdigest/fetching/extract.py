"""Page extraction: a fetched page's title, summary and metadata, from bytes, URL and headers.

Pure: no network and no disk. Fetching belongs to the HTTP module and its scripts; this module
only reads what they fetched, so the same bytes always give the same PageInfo and the tests
need no server. Text is returned as a browser would show it; escaping it for Markdown or HTML
is the caller's job.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from linkdigest.fetching.charset import BOMS, decode_html, repair_mojibake
from linkdigest.fetching.sites import GENERIC, SiteRule, Source, find_site_rule
from linkdigest.fetching.text import (
    parse_entities_left,
    render_description_text,
    render_field_text,
    render_title_text,
)
from linkdigest.format.urls import parse_domain

HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPE = "application/pdf"
SNIFFED_TYPES = ("", "application/octet-stream", "binary/octet-stream")
PAGE_TYPES = frozenset(
    {
        "Article",
        "BlogPosting",
        "NewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
        "WebPage",
        "QAPage",
        "VideoObject",
    }
)
# Nodes describing the whole site or a person: their description is not this page's summary.
SITE_TYPES = frozenset(
    {"WebSite", "Organization", "NewsMediaOrganization", "Corporation", "Person", "Brand"}
)
LD_JSON = re.compile(r"^\s*application/ld\+json\s*(?:;.*)?$", re.IGNORECASE)
ITEMPROP_KEYS = frozenset({"name", "description"})
NAME_PREFIX = "name="  # an og: key found in a name attribute instead of property

# The generic order (metascraper's, then our own fallbacks); site rules go before it.
TITLE_SOURCES = (
    Source("meta:og:title"),
    Source("meta:twitter:title"),
    Source("title"),
    Source("ld:headline"),
    Source("element:.post-title"),
    Source("element:.entry-title"),
    Source("heading:title a"),
    Source("heading:title"),
    Source("ldpage:name"),
    Source("meta:name"),  # an itemprop "name" in the page's own scope
    Source(f"meta:{NAME_PREFIX}og:title"),
    Source("element:h1"),
)
DESCRIPTION_SOURCES = (
    Source("meta:og:description"),
    Source("meta:twitter:description"),
    Source("meta:description"),
    Source("ldpage:description"),
    Source("ldany:description"),
    Source(f"meta:{NAME_PREFIX}og:description"),
)
SUMMARY_SOURCES = (Source("paragraph:body"),)
BODY_KINDS = frozenset({"element", "paragraph", "heading"})
# An og:title the page cut short: it ends in an ellipsis, or its quote mark was followed
# by more attribute text (an unescaped " inside content="...").
CUT_ELLIPSIS = ("\u2026", "...")

SKIP_TAGS = frozenset(
    {"nav", "header", "footer", "aside", "form", "noscript", "dialog", "menu", "figcaption"}
)
SKIP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search"}
)
SKIP_MARKERS = re.compile(
    r"cookie|consent|gdpr|comment|newsletter|subscribe|share|related|sidebar|breadcrumb"
    r"|byline|caption|modal|popup|promo|advert",
    re.IGNORECASE,
)
BYLINE = re.compile(
    r"^(?:by|posted|published|updated|written by|last (?:updated|modified)|photo(?:graph)?:"
    r"|image:|credit:)\b|^\d{1,4}[-/. ]\w+[-/. ]\d{2,4}\b",
    re.IGNORECASE,
)
COOKIE_TEXT = re.compile(
    r"\b(?:we|this (?:site|website)) uses? cookies\b|\bcookies\b.{0,80}\b(?:accept|consent)",
    re.IGNORECASE,
)
REFERENCE_MARK = re.compile(r"\[(?:\d{1,3}|[a-z]|note \d+|citation needed)\]")
MIN_PARAGRAPH = 60

INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
SENTENCE_END = re.compile(r"[.!?…][\"'”\u2019»)\]]*(?=\s)|[。\uff01\uff1f]")
SENTENCE_FLOOR = 0.6
ELLIPSIS = "…"
WORD_TRAIL = " ,;:-\u2013—"

SUFFIX_SEPARATORS = (" | ", " - ", " — ", " \u2013 ", " · ", ": ")
GENERIC_LABELS = frozenset({"www", "com", "org", "net", "gov", "edu", "blog", "news", "docs"})

PDF_MAGIC = b"%PDF-"
PDF_INFO_REF = re.compile(rb"/Info\s+(\d+)\s+(\d+)\s+R")
PDF_TITLE_KEY = re.compile(rb"/Title\s*(?=[(<])")
PDF_LITERAL_TOKEN = re.compile(rb"\\([0-7]{1,3}|\r\n|[\s\S])|([()])|([^\\()]+)")
PDF_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
PDF_ESCAPES = MappingProxyType(
    {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\n": b"", b"\r": b""}
)
XMP_TITLE = re.compile(rb"<dc:title>.{0,400}?<rdf:li[^>]*>(.*?)</rdf:li>", re.DOTALL)

WALL_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class Wall:
    """A sign that a page is a bot wall or consent page: where to look and what to find.

    ``targets`` name the page parts: ``url``, ``headers`` (``name: value`` lines, names in
    lower case), ``title`` (the ``<title>``), ``text`` (the visible text, only when it is
    short: a long page that mentions cookies is an article with a banner, not a wall) and
    ``html`` (the markup).
    """

    reason: str
    targets: tuple[str, ...]
    pattern: re.Pattern[str]


WALLS: tuple[Wall, ...] = (
    Wall(
        "Cloudflare challenge", ("headers",), re.compile(r"^cf-mitigated: *challenge", re.I | re.M)
    ),
    Wall(
        "Cloudflare challenge",
        ("title",),
        re.compile(r"^(?:just a moment\W*|attention required! \| cloudflare|one more step)$", re.I),
    ),
    Wall(
        "Cloudflare challenge",
        ("html",),
        re.compile(r"""<div[^>]*\sid=["']?(?:challenge-|cf-challenge)|window\._cf_chl_opt""", re.I),
    ),
    Wall(
        "consent page",
        ("url",),
        re.compile(
            r"^https?://(?:consent\.(?:google|youtube)\.[a-z.]+|guce\.(?:yahoo|oath)\.com"
            r"|consent\.yahoo\.com)(?:[/:?#]|$)",
            re.I,
        ),
    ),
    Wall(
        "consent page",
        ("title", "text"),
        re.compile(r"before you continue to (?:google|youtube)|^before you continue\W*$", re.I),
    ),
    Wall(
        "access denied",
        ("title",),
        re.compile(
            r"^(?:access denied|(?:403 )?forbidden|access to this page has been denied)\W*$", re.I
        ),
    ),
    Wall(
        "access denied",
        ("text",),
        re.compile(r"you don't have permission to access .{0,300} on this server", re.I),
    ),
    Wall(
        "bot check",
        ("title", "text"),
        re.compile(
            r"pardon our interruption|are you a robot|verify (?:that )?you are (?:a )?human"
            r"|are you a human|checking your browser before|press (?:&|and) hold",
            re.I,
        ),
    ),
    Wall("bot check", ("html",), re.compile(r"captcha-delivery\.com|id=[\"']px-captcha", re.I)),
    Wall(
        "cookie wall",
        ("title",),
        re.compile(
            r"^(?:we value your privacy|cookie consent|cookies? (?:settings|preferences|notice)"
            r"|your privacy choices|privacy (?:settings|preferences))\b",
            re.I,
        ),
    ),
    Wall(
        "cookie wall",
        ("text",),
        re.compile(
            r"we value your privacy|accept all cookies|cookie consent"
            r"|(?:enable|allow) javascript and cookies",
            re.I,
        ),
    ),
)


@dataclass(frozen=True)
class PageInfo:
    """What a digest entry needs to know about a fetched page.

    ``description`` is the page's own, whole (its metadata; "" when it declares none);
    ``summary`` is the digest's quote: the description, or else the first real paragraph,
    cut to ``max_description`` characters.
    """

    url: str
    title: str
    description: str
    canonical_url: str
    site_name: str
    language: str
    content_type: str
    blocked: str = ""
    summary: str = ""

    def to_json(self) -> dict[str, str]:
        """The fields as JSON-ready text, the form ``fetch --html --json`` prints."""
        return {
            "url": self.url,
            "title": self.title,
            "description": self.description,
            "summary": self.summary,
            "site_name": self.site_name,
            "canonical_url": self.canonical_url,
            "language": self.language,
            "content_type": self.content_type,
            "blocked": self.blocked,
        }


@dataclass(frozen=True)
class _Html:
    """A parsed HTML page with its meta tags and JSON-LD nodes gathered once."""

    soup: BeautifulSoup
    markup: str
    meta: Mapping[str, str]
    nodes: tuple[Mapping[str, object], ...]
    url: str
    headers: Mapping[str, str]


def parse_page(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    *,
    trim_site_suffix: bool = False,
    max_description: int = 300,
) -> PageInfo:
    """Title, description, summary and metadata of the page at ``url`` (after redirects)."""
    lowered = _lower_keys(headers)
    content_type = _media_type(body, lowered)
    if content_type == PDF_TYPE:
        title = parse_pdf_title(body, url)
        return PageInfo(url, title, "", "", "", _header_language(lowered), content_type)
    if content_type not in HTML_TYPES:
        title = _file_name(url)
        return PageInfo(url, title, "", "", "", _header_language(lowered), content_type)
    text = decode_html(body, lowered)
    host_rule = find_site_rule(url, frozenset())
    head_only = host_rule is None or not _reads_body(host_rule)
    page = (head_only and _parse_head_only(text, url, lowered)) or _parse_html(text, url, lowered)
    rule = host_rule or find_site_rule(url, frozenset(page.meta))
    return _page_info(page, rule, content_type, trim_site_suffix, max_description)


def parse_pdf_title(body: bytes, url: str) -> str:
    """The PDF's own title when it is cheap to read, else the file name from ``url``."""
    info = _pdf_info_object(body)
    return _first(
        _pdf_title_in(info) if info else "",
        _xmp_title(body),
        "" if info else _pdf_title_in(body),
        _file_name(url),
    )


def parse_oembed(data: Mapping[str, object]) -> tuple[str, str]:
    """(title, description) from an oEmbed JSON response; "" for what it does not give."""
    return _json_text(data.get("title")), _json_text(data.get("description"))


# Decoding


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    # HTTP header names are case-insensitive; a plain dict from a test or a cache is not.
    return {str(name).lower(): str(value) for name, value in headers.items()}


def _media_type(body: bytes, headers: Mapping[str, str]) -> str:
    declared = headers.get("content-type", "").split(";")[0].strip().lower()
    start = body[:1024].lstrip()
    if start.startswith(PDF_MAGIC):
        return PDF_TYPE
    if declared not in SNIFFED_TYPES:
        return declared
    if start.startswith(b"<") or any(body.startswith(bom) for bom, _ in BOMS):
        return "text/html"
    return declared or "application/octet-stream"


# HTML

HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
ROUGH_TAGS = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


def _parse_html(text: str, url: str, headers: Mapping[str, str]) -> _Html:
    soup = BeautifulSoup(text, "html.parser")
    nodes = tuple(_json_ld_nodes(soup))
    for tag in soup(["script", "style", "template"]):
        tag.decompose()
    for br in soup("br"):
        br.replace_with(" ")
    return _Html(soup, text, _meta_map(soup), nodes, url, headers)


def _parse_head_only(text: str, url: str, headers: Mapping[str, str]) -> _Html | None:
    """The page from its ``<head>`` alone, when nothing in the body could change the answer.

    Parsing a long body is most of the CPU a fetch costs. The head settles it when it holds
    the top-precedence title and description, the body has no JSON-LD, and the body is long
    enough that it cannot be a short wall page judged by its text. Wall patterns still see
    the whole markup.
    """
    end = HEAD_END.search(text)
    if end is None:
        return None
    rest = text[end.end() :]
    if "ld+json" in rest.lower() or _rough_text_length(rest) < 2 * WALL_TEXT_LIMIT:
        return None
    page = _parse_html(text[: end.end()] + "</html>", url, headers)
    title = page.meta.get("og:title") or page.meta.get("twitter:title")
    description = page.meta.get("og:description") or page.meta.get("twitter:description")
    if not title or not (description or page.meta.get("description")):
        return None
    return replace(page, markup=text)


def _rough_text_length(markup: str) -> int:
    return len(" ".join(ROUGH_TAGS.sub(" ", markup).split()))


def _page_info(
    page: _Html, rule: SiteRule | None, content_type: str, trim: bool, max_description: int
) -> PageInfo:
    blocked = _wall_reason(page)
    if blocked:
        # Nothing from a wall is about the page the reader wanted, not even its language.
        return PageInfo(page.url, "", "", "", "", "", content_type, blocked)
    site_name = _site_name(page)
    title = repair_mojibake(_title(page, rule))
    if trim:
        title = _trim_site_suffix(title, site_name, page.url)
    description = render_description_text(repair_mojibake(_description(page, rule)))
    body = render_title_text(_read_first(page, _sources(rule.summary if rule else (), ())))
    summary = render_summary_cut(description or body, max_description)
    return PageInfo(
        page.url,
        render_title_text(title),
        description,
        _canonical(page),
        site_name,
        _language(page),
        content_type,
        summary=summary,
    )


def _meta_map(soup: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = _clean(_attr(tag, "content"))
        for key in _meta_keys(tag) if content else []:
            found.setdefault(key, content)
    return found


def _meta_keys(tag: Tag) -> list[str]:
    names = [_name_key(key) for key in _attr(tag, "name").lower().split()]
    keys = names + _attr(tag, "property").lower().split()
    itemprops = [key for key in _attr(tag, "itemprop").lower().split() if key in ITEMPROP_KEYS]
    return keys + itemprops if itemprops and _in_page_scope(tag) else keys


def _name_key(key: str) -> str:
    # Open Graph keys are RDFa properties: one written as name="og:title" is the page's slip
    # and is read only when nothing else names the page, as metascraper never reads it.
    return NAME_PREFIX + key if key.startswith("og:") else key


def _in_page_scope(tag: Tag) -> bool:
    # An itemprop "name" inside an author's or publisher's itemscope names them, not the page.
    scope = tag.find_parent(attrs={"itemscope": True})
    return scope is None or _schema_type(_attr(scope, "itemtype")) in PAGE_TYPES


def _json_ld_nodes(soup: BeautifulSoup) -> Iterator[Mapping[str, object]]:
    for script in soup.find_all("script", attrs={"type": LD_JSON}):
        try:
            data = json.loads(script.string or "", strict=False)
        except ValueError:
            continue  # one broken block must not hide the page's other sources
        yield from _flatten_ld(data)


def _flatten_ld(data: object) -> Iterator[Mapping[str, object]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten_ld(item)
    elif isinstance(data, dict):
        yield data
        yield from _flatten_ld(data.get("@graph", []))


def _ld_types(node: Mapping[str, object]) -> frozenset[str]:
    types = node.get("@type", [])
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    return frozenset(_schema_type(name) for name in names if isinstance(name, str))


def _schema_type(value: str) -> str:
    return value.strip().rstrip("/").rsplit("/", 1)[-1]


def _ld_text(
    nodes: tuple[Mapping[str, object], ...],
    key: str,
    wanted: Callable[[frozenset[str]], bool] = lambda types: True,
) -> str:
    for node in nodes:
        text = _json_text(node.get(key)) if wanted(_ld_types(node)) else ""
        if text:
            return text
    return ""


def _json_text(value: object) -> str:
    # JSON-LD and oEmbed strings often carry the HTML entities of the page they came from
    # (WordPress writes &#8217;); decoding once shows them as the page's own <title> does.
    return _clean(html.unescape(value)) if isinstance(value, str) else ""


def _title(page: _Html, rule: SiteRule | None) -> str:
    sources = _sources(rule.title if rule else (), TITLE_SOURCES)
    for source in sources:
        value = _read(page, source)
        if value:
            return _recover_cut_title(page, value) if source.where == "meta:og:title" else value
    return ""


def _description(page: _Html, rule: SiteRule | None) -> str:
    return _read_first(page, _sources(rule.description if rule else (), DESCRIPTION_SOURCES))


def _sources(own: tuple[Source, ...], generic: tuple[Source, ...]) -> tuple[Source, ...]:
    """A rule's sources with the generic ones where it says ``generic``, else after them."""
    if not any(source.where == GENERIC for source in own):
        own = (*own, Source(GENERIC))
    expanded = [generic if source.where == GENERIC else (source,) for source in own]
    sources = tuple(source for group in expanded for source in group)
    return sources if generic else (*sources, *SUMMARY_SOURCES)


def _reads_body(rule: SiteRule) -> bool:
    sources = (*rule.title, *rule.description, *rule.summary)
    return any(source.where.partition(":")[0] in BODY_KINDS for source in sources)


def _read_first(page: _Html, sources: tuple[Source, ...]) -> str:
    return next((value for value in (_read(page, s) for s in sources) if value), "")


def _read(page: _Html, source: Source) -> str:
    """The text one source gives on this page, tidied as the source says; "" for none."""
    kind, _, argument = source.where.partition(":")
    raw = "" if kind == "url" else READERS[kind](page, argument)
    if not raw and kind != "url":
        return ""
    return _tidy(raw, source, page.url)


def _tidy(raw: str, source: Source, url: str) -> str:
    text = re.sub(source.drop, "", raw, count=1) if source.drop else raw
    groups: dict[str, str] = {}
    if source.pick:
        match = re.search(source.pick, text)
        if not match:
            return ""
        groups = {k: v for k, v in match.groupdict().items() if v}
        text = groups.get("text", match[0])
    if not source.template:
        return render_field_text(text)
    try:
        return render_field_text(source.template.format(**_url_parts(url), **groups))
    except KeyError:
        return ""  # the template needs a part this page or URL lacks


def _url_parts(url: str) -> dict[str, str]:
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    parts = {"handle": segments[0]} if segments else {}
    handle = next((s[1:] for s in segments if s.startswith("@") and len(s) > 1), "")
    return parts | ({"at_handle": handle} if handle else {})


def _recover_cut_title(page: _Html, og_title: str) -> str:
    """The intact ``<title>`` when it extends an ``og:title`` the page cut short."""
    whole = _text(_title_tag(page.soup))
    stem = og_title.removesuffix("\u2026").removesuffix("...").rstrip()
    rest = whole[len(stem) :].lstrip() if whole.startswith(stem) else ""
    if not rest or rest.startswith(CUT_ELLIPSIS):
        return og_title  # not longer, or cut at the same place
    cut = og_title != stem or _quote_broke(page.markup, og_title)
    return whole if cut else og_title


def _quote_broke(markup: str, value: str) -> bool:
    # content="He said "hello" to me": the page forgot to escape a quote mark, and the
    # parser kept only the words before it.
    pattern = r"content\s*=\s*([\"'])\s*" + re.escape(value) + r"\s*\1[^\s/>]"
    return re.search(pattern, markup, re.IGNORECASE) is not None


def _title_tag(soup: BeautifulSoup) -> Tag | None:
    # An inline SVG's <title> is an icon's tooltip, not the document's title.
    return next((tag for tag in soup.find_all("title") if not tag.find_parent("svg")), None)


def _read_meta(page: _Html, key: str) -> str:
    return parse_entities_left(page.meta.get(key, ""))


def _read_title(page: _Html, _: str) -> str:
    return parse_entities_left(_text(_title_tag(page.soup)))


def _read_ld(page: _Html, path: str) -> str:
    for node in page.nodes:
        value: object = node
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        text = _json_text(value)
        if text:
            return text
    return ""


def _read_ld_page(page: _Html, key: str) -> str:
    return _ld_text(page.nodes, key, lambda types: bool(types & PAGE_TYPES))


def _read_ld_any(page: _Html, key: str) -> str:
    return _ld_text(page.nodes, key, lambda types: not types & SITE_TYPES)


def _read_element(page: _Html, selector: str) -> str:
    return _text(_find(page.soup, selector))


def _read_heading(page: _Html, selector: str) -> str:
    # h1[class*="title"] a, then h1[class*="title"] (metascraper's last title sources).
    word, _, inner = selector.partition(" ")
    for heading in page.soup.find_all("h1", class_=lambda c: bool(c) and word in c.lower()):
        text = _text(heading.find(inner) if inner else heading)
        if text:
            return text
    return ""


def _read_paragraph(page: _Html, selector: str) -> str:
    scope = page.soup if selector == "body" else _find(page.soup, selector)
    return _first_paragraph(scope) if isinstance(scope, Tag) else ""


def _find(soup: BeautifulSoup, selector: str) -> Tag | None:
    """The first element for ``#id``, ``.class``, ``tag`` or ``tag.class``."""
    if selector.startswith("#"):
        found = soup.find(id=selector[1:])
    else:
        name, _, css_class = selector.partition(".")
        found = soup.find(name or True, class_=css_class) if css_class else soup.find(name)
    return found if isinstance(found, Tag) else None


READERS: Mapping[str, Callable[[_Html, str], str]] = MappingProxyType(
    {
        "meta": _read_meta,
        "title": _read_title,
        "ld": _read_ld,
        "ldpage": _read_ld_page,
        "ldany": _read_ld_any,
        "element": _read_element,
        "heading": _read_heading,
        "paragraph": _read_paragraph,
    }
)


def _first_paragraph(scope: Tag) -> str:
    for paragraph in scope.find_all("p"):
        text = _clean(REFERENCE_MARK.sub("", paragraph.get_text()))
        if _is_real_paragraph(paragraph, text):
            return text
    return ""


def _is_real_paragraph(paragraph: Tag, text: str) -> bool:
    if len(text) < MIN_PARAGRAPH or BYLINE.search(text) or COOKIE_TEXT.search(text):
        return False
    return not any(_is_aside(tag) for tag in (paragraph, *paragraph.parents))


def _is_aside(tag: Tag) -> bool:
    if tag.name in SKIP_TAGS or _attr(tag, "role").lower() in SKIP_ROLES:
        return True
    if tag.has_attr("hidden") or _attr(tag, "aria-hidden").lower() == "true":
        return True
    return bool(SKIP_MARKERS.search(f"{_attr(tag, 'class')} {_attr(tag, 'id')}"))


def _canonical(page: _Html) -> str:
    links = page.soup.find_all("link", href=True)
    href = next((_attr(link, "href") for link in links if _has_rel(link, "canonical")), "")
    href = href.strip() or page.meta.get("og:url", "")
    return urljoin(page.url, href) if href else ""


def _has_rel(tag: Tag, rel: str) -> bool:
    return rel in _attr(tag, "rel").lower().split()


def _site_name(page: _Html) -> str:
    return _first(
        page.meta.get("og:site_name", ""),
        page.meta.get("application-name", ""),
        _publisher_name(page.nodes),
    )


def _publisher_name(nodes: tuple[Mapping[str, object], ...]) -> str:
    # Yoast-style graphs name the publisher by @id and describe it in another node.
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    for node in nodes:
        publishers = node.get("publisher")
        for publisher in publishers if isinstance(publishers, list) else [publishers]:
            if not isinstance(publisher, dict):
                continue
            ref = publisher.get("@id")
            described = by_id.get(ref, {}) if isinstance(ref, str) else {}
            name = _json_text(publisher.get("name")) or _json_text(described.get("name"))
            if name:
                return name
    return ""


def _language(page: _Html) -> str:
    root = page.soup.find("html")
    lang = _attr(root, "lang") or _attr(root, "xml:lang")
    locale = page.meta.get("og:locale", "").replace("_", "-")
    return _first(_clean(lang), _header_language(page.headers), locale)


def _header_language(headers: Mapping[str, str]) -> str:
    return _clean(headers.get("content-language", "").split(",")[0])


def _wall_reason(page: _Html) -> str:
    parts = _wall_targets(page)
    for wall in WALLS:
        if any(wall.pattern.search(parts[target]) for target in wall.targets):
            return wall.reason
    return ""


def _wall_targets(page: _Html) -> dict[str, str]:
    visible = _clean(page.soup.get_text(" "))
    return {
        "url": page.url,
        "headers": "\n".join(f"{name}: {value}" for name, value in page.headers.items()),
        "title": _text(_title_tag(page.soup)),
        "text": visible if len(visible) < WALL_TEXT_LIMIT else "",
        "html": page.markup,
    }


# Titles and summaries


def _trim_site_suffix(title: str, site_name: str, url: str) -> str:
    names = _site_keys(site_name, url)
    for separator in SUFFIX_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head.strip() and _site_key(tail) in names:
            return head.strip()
    return title


def _site_keys(site_name: str, url: str) -> set[str]:
    domain = parse_domain(url)
    labels = [label for label in domain.split(".")[:-1] if len(label) >= 3]
    keys = {_site_key(site_name), _site_key(domain)}
    keys.update(_site_key(label) for label in labels if label not in GENERIC_LABELS)
    return keys - {""}


def _site_key(text: str) -> str:
    # "Stack Overflow", "stackoverflow.com" and "www.StackOverflow.com" are one site.
    return re.sub(r"[\W_]+", "", text.strip().lower().removeprefix("www."))


def render_summary_cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a sentence end, or a word with an ellipsis."""
    if len(text) <= limit:
        return text
    floor = limit * SENTENCE_FLOOR
    ends = [end.end() for end in SENTENCE_END.finditer(text, 0, limit + 1)]
    sentence = next((end for end in reversed(ends) if floor <= end <= limit), 0)
    if sentence:
        return text[:sentence]
    return _cut_at_word(text, limit - len(ELLIPSIS)) + ELLIPSIS


def _cut_at_word(text: str, limit: int) -> str:
    head = text[: max(limit, 0)]
    if text[limit : limit + 1] != " " and " " in head:
        head = head[: head.rfind(" ")]
    return head.rstrip(WORD_TRAIL)


# PDF


def _pdf_info_object(body: bytes) -> bytes:
    refs = PDF_INFO_REF.findall(body)
    if not refs:
        return b""
    number, generation = refs[-1]  # incremental updates append newer trailers
    header = re.compile(rb"(?<!\d)" + number + rb"\s+" + generation + rb"\s+obj\b")
    starts = [match.end() for match in header.finditer(body)]
    if not starts:
        return b""
    end = body.find(b"endobj", starts[-1])
    return body[starts[-1] : end if end >= 0 else None]


def _pdf_title_in(data: bytes) -> str:
    for key in PDF_TITLE_KEY.finditer(data):
        start = key.end()
        if data[start : start + 1] == b"(":
            raw = _pdf_literal(data, start)
        else:
            hex_match = PDF_HEX.match(data, start)
            raw = _pdf_hex(hex_match[1]) if hex_match else b""
        text = _pdf_text(raw)
        if text:
            return text
    return ""


def _pdf_literal(data: bytes, start: int) -> bytes:
    out, depth = bytearray(), 1
    for token in PDF_LITERAL_TOKEN.finditer(data, start + 1):
        escape, paren, plain = token.groups()
        if escape is not None:
            out += _pdf_unescape(escape)
            continue
        depth += {b"(": 1, b")": -1}.get(paren, 0)
        if depth == 0:
            break
        out += paren or plain
    return bytes(out)


def _pdf_unescape(escape: bytes) -> bytes:
    if escape[:1].isdigit():
        return bytes([int(escape, 8) & 0xFF])
    return PDF_ESCAPES.get(escape, b"" if escape == b"\r\n" else escape)


def _pdf_hex(digits: bytes) -> bytes:
    compact = re.sub(rb"\s+", b"", digits)
    return bytes.fromhex((compact + b"0" * (len(compact) % 2)).decode("ascii"))


def _pdf_text(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF16_BE):
        return _clean(raw[2:].decode("utf-16-be", errors="replace"))
    if raw.startswith(codecs.BOM_UTF16_LE):
        return _clean(raw[2:].decode("utf-16-le", errors="replace"))
    try:
        # PDF 2.0 allows UTF-8 (with a BOM) and some producers write it without one.
        return _clean(raw.removeprefix(codecs.BOM_UTF8).decode("utf-8"))
    except UnicodeDecodeError:
        return _clean(raw.decode("latin-1"))  # PDFDocEncoding, near enough for titles


def _xmp_title(body: bytes) -> str:
    match = XMP_TITLE.search(body)
    return _clean(html.unescape(match[1].decode("utf-8", errors="replace"))) if match else ""


# Small helpers


def _file_name(url: str) -> str:
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    return _clean(unquote(segments[-1])) if segments else parse_domain(url)


def _attr(tag: Tag | None, name: str) -> str:
    value = tag.get(name) if isinstance(tag, Tag) else None
    return " ".join(value) if isinstance(value, list) else str(value or "")


def _text(tag: object) -> str:
    return _clean(tag.get_text()) if isinstance(tag, Tag) else ""


def _clean(text: str) -> str:
    return " ".join(INVISIBLE.sub("", text).split())


def _first(*values: str) -> str:
    return next((value for value in values if value), "")
