"""Lists of links, one a line: the inbox format, read alike by the drafter and ``fetch --file``.

A line holds one link (``[title](url)``, ``<url>`` or a bare URL) with an optional note
after it; a list marker (``-``, ``*``, ``+``, ``1.``), a task box (``[ ]``) or a quote
marker (``>``) in front of it is dropped. ``## Name`` sets the section of the lines below
it; any other line starting with ``#`` is a comment. Tabs, CRLF line ends and a leading
byte-order mark are taken as they come. A line with no link, or a link that is not
absolute http(s), is a problem named by its line number; the rest of the list is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linkdigest.format.digest import is_entry_link, parse_title
from linkdigest.format.markdown import URL_TRAIL, Kind, parse_bare_url, parse_line_links
from linkdigest.format.urls import is_http_url

SCHEMELESS_URL = re.compile(r"(?<![\w/@.])www\.[\w-]+(?:\.[\w-]+)+[^\s<>]*", re.IGNORECASE)
OTHER_SCHEME = re.compile(r"(?<![\w.+-])[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
EMPHASIS = re.compile(r"(?<![\\\w])(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)")
SEPARATOR_EDGE = re.compile(r"^[\s\-–—:：|·•*_]+|[\s\-–—:：|·•*_(]+$")  # noqa: RUF001 (full-width marks end URLs and notes in CJK text)
LINE_MARKER = re.compile(r"^(?:>\s*)*(?:(?:[-*+•]|\d{1,9}[.)])\s+)?(?:\[[ xX]\]\s+)?")
SECTION_LINE = re.compile(r"^##\s+(?P<name>.*?)[\s#]*$")
NO_URL_HINT = "one http(s) URL per line ('#' starts a comment)"


@dataclass(frozen=True)
class LinkLine:
    """The first link on a line of text, what came before it and the note after it."""

    url: str
    title: str = ""
    note: str = ""
    error: str = ""


@dataclass(frozen=True)
class ListedLink:
    """A link of a list: its line number, the link, and the ``## Section`` above it."""

    line: int
    link: LinkLine
    section: str = ""


@dataclass(frozen=True)
class ListProblem:
    """A line of a list that holds no link that can be used: what is wrong, what to do."""

    line: int
    message: str


@dataclass(frozen=True)
class LinkList:
    links: tuple[ListedLink, ...] = ()
    problems: tuple[ListProblem, ...] = ()

    @property
    def urls(self) -> list[str]:
        return [listed.link.url for listed in self.links]


def parse_link_list(text: str) -> LinkList:
    """The links of an inbox-style list, with its sections, and a problem per bad line."""
    links: list[ListedLink] = []
    problems: list[ListProblem] = []
    section = ""
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = raw.strip()
        if heading := SECTION_LINE.match(line):
            section = heading["name"]
        elif line and not line.startswith("#"):
            link = parse_link_line(LINE_MARKER.sub("", line))
            if link is None or link.error:
                what = link.error if link else f"no URL in {render_quoted(line)}; {NO_URL_HINT}"
                problems.append(ListProblem(number, what))
            else:
                links.append(ListedLink(number, link, section))
    return LinkList(tuple(links), tuple(problems))


def render_quoted(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, cut with an ellipsis past ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def parse_link_line(text: str) -> LinkLine | None:
    """The first link on ``text`` (``[title](url)``, ``<url>`` or a bare URL), or None when
    there is none; ``error`` is set for a link that cannot be drafted."""
    found = _find_markdown_link(text) or _find_bare_url(text)
    if found is None:
        return _find_unusable_link(text)
    start, end, title_markdown, url = found
    before, after = text[:start].rstrip(), text[end:].lstrip()
    if before.count("(") > before.count(")") and after.startswith(")"):
        cut = before.rfind("(")  # "(see https://…)": the brackets belong to the prose
        before, after = before[:cut] + before[cut + 1 :], after[1:]
    before, after = _strip_edges(before), _strip_edges(after)
    title = parse_title(EMPHASIS.sub(r"\2", title_markdown)) if title_markdown else before
    if not is_http_url(url):
        return LinkLine(url, error=f"{url!r} is not an absolute http(s) URL; write the full URL")
    return LinkLine(url, title, after)


def _find_unusable_link(text: str) -> LinkLine | None:
    schemeless = SCHEMELESS_URL.search(text)
    if schemeless:
        bare = schemeless.group(0).rstrip(URL_TRAIL)
        return LinkLine(bare, error=f"{bare!r} has no scheme; write https://{bare}")
    other = OTHER_SCHEME.search(text)
    if other:
        return LinkLine(
            other[0], error=f"{other[0]!r} is not an http(s) URL; link to a web page instead"
        )
    return None


def _find_markdown_link(text: str) -> tuple[int, int, str, str] | None:
    """The first link with a title (an inline link a digest entry could be), else the first
    http(s) autolink: (start, end, title Markdown, URL)."""
    links = parse_line_links(text)
    for link in links:
        if is_entry_link(link) and link.text.strip():
            return link.start, link.end, link.text.strip(), link.url
    for link in links:
        if link.kind is Kind.AUTOLINK and link.url.lower().startswith(("http://", "https://")):
            return link.start, link.end, "", link.url
    return None


def _find_bare_url(text: str) -> tuple[int, int, str, str] | None:
    found = parse_bare_url(text)
    return (found[0], found[1], "", found[2]) if found else None


def _strip_edges(text: str) -> str:
    return " ".join(SEPARATOR_EDGE.sub("", text.lstrip(URL_TRAIL)).split())
