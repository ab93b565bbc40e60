"""The Markdown link lexer: every link the site build renders, read the way the build reads it.

The build is Python-Markdown with the extensions in ``pelicanconf.py``, and a reader's browser
requests what it writes, so where Python-Markdown differs from CommonMark this module follows
Python-Markdown: only its escapable characters lose their backslash (``\\_`` does, ``\\~``
does not), a reference definition keeps its backslashes, an inline destination may hold spaces,
``(title)`` is part of the destination, and a bare URL in prose is not a link. Entity
references are decoded as the browser decodes the ``href`` the build writes. Code spans,
fenced and indented code blocks hold no links.

Patterns run in Python-Markdown's order (references, inline links, images, shortcut
references, autolinks, raw HTML), each over what the ones before it left, so the same text
gives the same links. A link's text is read again by the patterns after its own (an image
inside a link). Reading is line by line: a link split over two lines is not seen.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

# Python-Markdown's ESCAPED_CHARS, with "|" that the tables extension (in "extra") adds.
ESCAPABLE = frozenset("\\`*_{}[]()>#+-.!|")
ESCAPE_MARK = "\ue000"  # stands for the backslash of an escape; the next character is moved
ESCAPED_BASE = 0xF0000  # an escaped character c becomes chr(ESCAPED_BASE + ord(c))
MASK = "\ue001"  # what a code span or an already read link becomes for the later patterns

FENCE = re.compile(r"^(?P<fence>~{3,}|`{3,})")
LIST_ITEM = re.compile(r"^ {0,3}(?:[*+-]|\d+\.)[ ]+")
INDENTED = re.compile(r"^(?: {4}|\t)")
DEFINITION = re.compile(
    r"""^(?P<lead>[ ]{0,3}\[(?P<label>[^\[\]]*)\]:[ ]*)(?P<url>\S+)[ ]*"""
    r"""(?:(?P<q>["'])(?P<title>.*)(?P=q)[ ]*|\((?P<ptitle>.*)\)[ ]*)?$"""
)
ANGLE_DESTINATION = re.compile(r"""\(\s*(?:(<[^<>]*>)\s*(?:('[^']*'|"[^"]*")\s*)?\))?""")
REFERENCE_LABEL = re.compile(r"\s?\[(?P<label>[^\]]*)\]")
AUTOLINK = re.compile(r"<(?P<url>[A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>")
AUTOMAIL = re.compile(r"<(?P<url>[^<> !]+@[^@<> ]+)>")
HTML_TAG = re.compile(  # Python-Markdown's HTML_RE, for a tag
    r"""<[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>]++))?+)*+"""
    r"""\s*+/?>"""
)
HTML_URL = re.compile(
    r"""\b(?:href|src|poster)\s*=\s*(?:(?P<q>["'])(?P<quoted>.*?)(?P=q)|(?P<bare>[^\s"'<>`=]+))""",
    re.IGNORECASE,
)
ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);", re.IGNORECASE)
# Python-Markdown reads raw HTML with html.parser first, which completes a numeric character
# reference that lacks its ";" (before a character that cannot continue it).
LOOSE_CHARREF = re.compile(r"&#(?:[0-9]+|[xX][0-9a-fA-F]+)(?=[^0-9a-fA-F;]|$)")
SPACES = re.compile(r"\s+")
LONE_URL = re.compile(r"^\s*<?(?P<url>https?://[^\s<>]+)>?\s*$")
BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
URL_TRAIL = ".,;:!?'\"*_~。、，．！？：；」』】》"  # noqa: RUF001 (full-width marks end URLs in CJK text)


class Kind(StrEnum):
    """How a link is written."""

    INLINE = "inline"  # [text](url "title"), ![alt](src)
    REFERENCE = "reference"  # [text][label], [label][], [label]
    DEFINITION = "definition"  # [label]: url "title"
    AUTOLINK = "autolink"  # <https://...>, <me@example.org>
    HTML = "html"  # href, src or poster in raw HTML


@dataclass(frozen=True)
class Link:
    """One link as the build renders it. ``url`` is what the reader's browser requests (the
    ``href`` or ``src``); ``written`` is the destination exactly as in the source, at
    ``dest_start``..``dest_end`` of its line (empty for a reference, whose destination is
    its definition's). ``start``..``end`` is the whole link; offsets are 0-based, lines 1-based."""

    kind: Kind
    url: str
    line: int
    start: int
    end: int
    written: str = ""
    dest_start: int = 0
    dest_end: int = 0
    text: str = ""
    title: str | None = None
    image: bool = False
    bracketed: bool = False

    @property
    def column(self) -> int:
        """The 1-based column where the link starts."""
        return self.start + 1


Definitions = Mapping[str, Link]


# Code: lines that are code blocks, and code spans within a line


def iter_lines_with_code(lines: list[str], start: int) -> Iterator[tuple[int, str, bool]]:
    """Yield (index, line, is_code) from ``start``: is_code for the lines of a fenced code
    block (fences included) or an indented one, where headings, links and URLs are only text."""
    fenced = _fenced_lines(lines, start)
    state = _BlockState()
    for index in range(start, len(lines)):
        line = lines[index]
        indented = state.is_indented_code(line)
        yield index, line, index in fenced or indented


def _fenced_lines(lines: list[str], start: int) -> set[int]:
    """Python-Markdown's fences: at the line's start, closed by the same fence; a fence
    never closed is no code block."""
    code: set[int] = set()
    index = start
    while index < len(lines):
        opening = FENCE.match(lines[index])
        close = _closing_fence(lines, index, opening["fence"]) if opening else None
        if close is None:
            index += 1
            continue
        code.update(range(index, close + 1))
        index = close + 1
    return code


def _closing_fence(lines: list[str], opening: int, fence: str) -> int | None:
    for index in range(opening + 1, len(lines)):
        if lines[index].rstrip(" ") == fence:
            return index
    return None


@dataclass
class _BlockState:
    """Whether an indented line is code: after a blank line, outside a list."""

    blank_before: bool = True
    in_list: bool = False
    in_code: bool = False

    def is_indented_code(self, line: str) -> bool:
        if not line.strip():
            self.blank_before = True
            return False
        if INDENTED.match(line):
            self.in_code = self.in_code or (self.blank_before and not self.in_list)
        else:
            self.in_code = False
            self.in_list = bool(LIST_ITEM.match(line)) or (self.in_list and not self.blank_before)
        self.blank_before = False
        return self.in_code


def protect(line: str) -> str:
    """``line`` as the link patterns see it, of the same length: each escape ``\\c`` of an
    escapable character as two characters no pattern takes for punctuation, each code span
    masked."""
    line = _mask_code_spans(line)
    out: list[str] = []
    index = 0
    while index < len(line):
        if line[index] == "\\" and line[index + 1 : index + 2] in ESCAPABLE:
            out += [ESCAPE_MARK, chr(ESCAPED_BASE + ord(line[index + 1]))]
            index += 2
        else:
            out.append(line[index])
            index += 1
    return "".join(out)


def unescape(text: str) -> str:
    """Protected text back to what the build writes: escapes resolved to their characters."""
    return "".join(
        chr(ord(char) - ESCAPED_BASE) if ord(char) >= ESCAPED_BASE else char
        for char in text
        if char != ESCAPE_MARK
    )


def _mask_code_spans(line: str) -> str:
    index = 0
    while (tick := _next_backtick(line, index)) is not None:
        opening, close = _code_span(line, tick)
        if close is None:
            index = opening
            continue
        line = line[:tick] + MASK * (close - tick) + line[close:]
        index = close
    return line


def _next_backtick(line: str, start: int) -> int | None:
    """The next backtick that is not escaped (an even run of backslashes before it is)."""
    for index in range(start, len(line)):
        if line[index] == "`":
            backslashes = len(line[:index]) - len(line[:index].rstrip("\\"))
            if backslashes % 2 == 0:
                return index
    return None


def _code_span(line: str, tick: int) -> tuple[int, int | None]:
    """Python-Markdown's pairing of a run of backticks: (where the run ends, where the span
    ends, or None when nothing closes it)."""
    start = tick
    while start < len(line) and line[start] == "`":
        start += 1
    ticks = start - tick
    longest, longest_end, index = 0, 0, start
    while index < len(line):
        run = index
        while index < len(line) and line[index] == "`":
            index += 1
        length = index - run
        if length == ticks:
            return start, index
        if length > longest:
            longest, longest_end = length, index
        index += 0 if length else 1
    if 0 < longest < ticks:
        return start - (ticks - longest), longest_end
    return start, None


# Destinations


def decode_entities(url: str) -> str:
    """What the browser reads from an ``href`` the build wrote: the entity references decoded
    (the build keeps ``&name;``, ``&#n;`` and ``&#xn;`` as written and escapes any other ``&``)."""
    if "&" not in url:
        return url
    return ENTITY.sub(lambda match: html.unescape(match.group(0)), _complete_charrefs(url))


def _complete_charrefs(text: str) -> str:
    """``text`` as html.parser leaves it: each numeric reference that lacks its ";" completed."""
    return LOOSE_CHARREF.sub(lambda match: match.group(0) + ";", text)


@dataclass(frozen=True)
class _Destination:
    href: str  # protected, as written between its delimiters
    start: int
    end: int  # just after the destination's closing ")"
    title: str | None = None
    bracketed: bool = False
    read: str | None = None  # the href as the build reads it, when that is not ``href``


def parse_destination(text: str, start: int) -> _Destination | None:
    """The destination and title after ``](`` at ``start`` (the "("), read as Python-Markdown
    reads them: angle brackets, nested parentheses, quoted titles; None when nothing closes."""
    match = ANGLE_DESTINATION.match(text, start)
    if not match:
        return None
    if match.group(1):
        title = match.group(2)[1:-1] if match.group(2) else None
        return _Destination(match.group(1)[1:-1], match.start(1) + 1, match.end(), title, True)
    return _scan_parenthesised(text, match.end())


@dataclass
class _Parens:
    """Python-Markdown's state while it looks for the ")" that closes a destination."""

    brackets: int = 1
    backtrack: int = 1
    last_bracket: int = -1
    in_title: bool = False
    quote: str = ""
    start_quote: int = -1
    exit_quote: int = -1
    alt_quote: str = ""
    start_alt: int = -1
    exit_alt: int = -1
    last: str = ""

    def step(self, char: str, index: int) -> None:
        if char == "(":
            self._open()
        elif char == ")":
            self._close(index)
        elif char in "'\"":
            self._quote(char, index)

    def _open(self) -> None:
        if not self.in_title:
            self.brackets += 1
        elif self.backtrack > 0:
            self.backtrack -= 1

    def _close(self, index: int) -> None:
        if self._title_closed():
            self.brackets = 0
        elif not self.in_title:
            self.brackets -= 1
        elif self.backtrack > 0:
            self.backtrack -= 1
            if self.backtrack == 0:
                self.last_bracket = index + 1

    def _title_closed(self) -> bool:
        primary = self.exit_quote != -1 and self.quote == self.last
        return primary or (self.exit_alt != -1 and self.alt_quote == self.last)

    def _quote(self, char: str, index: int) -> None:
        if not self.quote:
            self.in_title, self.backtrack, self.brackets = True, self.brackets, 1
            self.start_quote, self.quote = index + 1, char
        elif char != self.quote and not self.alt_quote:
            self.start_alt, self.alt_quote = index + 1, char
        elif char == self.quote:
            self.exit_quote = index + 1
        elif char == self.alt_quote:
            self.exit_alt = index + 1


def _scan_parenthesised(text: str, start: int) -> _Destination | None:
    state = _Parens()
    for index in range(start, len(text)):
        state.step(text[index], index)
        if state.brackets == 0:
            return _closed_destination(text, start, index, state)
        if text[index] != " ":
            state.last = text[index]
    if state.backtrack == 0 and state.last_bracket != -1:
        return _Destination(text[start : state.last_bracket - 1], start, state.last_bracket)
    if state.backtrack == 0:
        return _cut_destination(text, start)
    return None


def _cut_destination(text: str, start: int) -> _Destination:
    """Python-Markdown's fallback with no ")" recorded: its index is -1, which leaves out the
    last two characters of the text, as html.parser left it (numeric references completed),
    so a reference whose ";" is cut off stays literal text."""
    completed = _complete_charrefs(text[start:])
    kept = completed[: max(len(completed) - 2, 0)]
    source = _source_length(text[start:], len(kept))
    href = text[start : start + source]
    return _Destination(href, start, len(text) - 1, read=_literal_charrefs(kept))


def _source_length(text: str, completed_length: int) -> int:
    """How many characters of ``text`` make the first ``completed_length`` of it completed."""
    added = 0
    for match in LOOSE_CHARREF.finditer(text):
        if match.end() + added >= completed_length:  # where this reference's ";" lands
            break
        added += 1
    return completed_length - added


def _literal_charrefs(href: str) -> str:
    """``href`` with a numeric reference that lacks its ";" escaped, as the build writes it."""
    return LOOSE_CHARREF.sub(lambda match: "&amp;" + match.group(0)[1:], href)


def _closed_destination(text: str, start: int, close: int, state: _Parens) -> _Destination:
    if state.exit_quote >= 0 and state.quote == state.last:
        href, title = (
            text[start : state.start_quote - 1],
            text[state.start_quote : state.exit_quote - 1],
        )
    elif state.exit_alt >= 0 and state.alt_quote == state.last:
        href, title = text[start : state.start_alt - 1], text[state.start_alt : state.exit_alt - 1]
    else:
        href, title = text[start:close], None
    return _Destination(href, start, close + 1, title)


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    title = unescape(title.strip())
    if title[:1] in ("'", '"') and title.endswith(title[0]):
        title = title[1:-1]
    return re.sub(r"\s", " ", title)


# Inline patterns, in Python-Markdown's order


@dataclass(frozen=True)
class _Found:
    link: Link | None  # None: the text is taken (an undefined reference) but links nowhere
    end: int
    inner: tuple[int, int] = (0, 0)  # the link text, read again by the later patterns


Pattern = Callable[[str, str, int, int, Definitions], _Found | None]


def _bracket_text(text: str, start: int) -> int | None:
    """The index of the "]" that closes the "[" at ``start`` (nested brackets counted)."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"[": 1, "]": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def _opening(text: str, index: int, image: bool) -> bool:
    if image:
        return text.startswith("![", index)
    return text[index] == "[" and (index == 0 or text[index - 1] != "!")


def _inline(image: bool) -> Pattern:
    def find(text: str, line: str, number: int, index: int, refs: Definitions) -> _Found | None:
        if not _opening(text, index, image):
            return None
        opening = index + image
        close = _bracket_text(text, opening)
        destination = parse_destination(text, close + 1) if close is not None else None
        if close is None or destination is None:
            return None
        link = _inline_link(line, number, index, opening, close, destination)
        inner = (0, 0) if image else (opening + 1, close)  # an image's alt text holds no links
        return _Found(replace(link, image=image), destination.end, inner)

    return find


def _inline_link(
    line: str, number: int, start: int, opening: int, close: int, found: _Destination
) -> Link:
    raw = line[found.start : found.start + len(found.href)]
    read = found.href if found.read is None else found.read
    written = raw.strip()
    at = found.start + len(raw) - len(raw.lstrip())
    return Link(
        Kind.INLINE,
        decode_entities(unescape(read).strip()),
        number,
        start,
        found.end,
        written,
        at,
        at + len(written),
        line[opening + 1 : close],
        _clean_title(found.title),
        bracketed=found.bracketed,
    )


def _reference(image: bool, short: bool) -> Pattern:
    def find(text: str, line: str, number: int, index: int, refs: Definitions) -> _Found | None:
        if not _opening(text, index, image):
            return None
        opening = index + image
        close = _bracket_text(text, opening)
        if close is None:
            return None
        label = text[opening + 1 : close]
        end = close + 1
        if not short:
            match = REFERENCE_LABEL.match(text, end)
            if not match:
                return None
            label, end = match["label"] or label, match.end()
        definition = refs.get(SPACES.sub(" ", label.lower()))
        if definition is None:
            return _Found(None, end)
        link = _reference_link(definition, line, number, index, end, line[opening + 1 : close])
        inner = (0, 0) if image else (opening + 1, close)
        return _Found(replace(link, image=image), end, inner)

    return find


def _reference_link(
    definition: Link, line: str, number: int, start: int, end: int, text: str
) -> Link:
    return Link(
        Kind.REFERENCE, definition.url, number, start, end, text=text, title=definition.title
    )


def _autolink(text: str, line: str, number: int, index: int, refs: Definitions) -> _Found | None:
    match = AUTOLINK.match(text, index) or AUTOMAIL.match(text, index)
    if not match:
        return None
    url = unescape(match["url"])
    # An e-mail address is written as character references, so entities stay as they were.
    url = "mailto:" + url.removeprefix("mailto:") if match.re is AUTOMAIL else decode_entities(url)
    written = line[match.start("url") : match.end("url")]
    link = Link(
        Kind.AUTOLINK,
        url,
        number,
        index,
        match.end(),
        written,
        match.start("url"),
        match.end("url"),
        bracketed=True,
    )
    return _Found(link, match.end())


PATTERNS: tuple[tuple[str, Pattern], ...] = (
    ("[", _reference(image=False, short=False)),
    ("[", _inline(image=False)),
    ("!", _inline(image=True)),
    ("!", _reference(image=True, short=False)),
    ("[", _reference(image=False, short=True)),
    ("!", _reference(image=True, short=True)),
    ("<", _autolink),
)


def parse_line_links(line: str, number: int = 1, refs: Definitions | None = None) -> list[Link]:
    """Every link on one line of prose, left to right (``refs``: the document's definitions,
    by label in lower case, for reference links)."""
    text = protect(line)
    found, text = _run_patterns(text, line, number, refs or {}, 0, 0, len(text))
    found += _html_links(text, line, number)
    return sorted(found, key=lambda link: (link.start, link.image))


def _run_patterns(
    text: str, line: str, number: int, refs: Definitions, first: int, start: int, end: int
) -> tuple[list[Link], str]:
    """The links in ``text[start:end]`` for the patterns from ``first`` on, and the text with
    them masked. A pattern sees nothing after ``end``, as Python-Markdown reads a link's text
    on its own."""
    found: list[Link] = []
    for position, (lead, pattern) in enumerate(PATTERNS[first:], first):
        index = start
        while (index := text.find(lead, index, end)) != -1:
            match = pattern(text[:end], line, number, index, refs)
            if match is None:
                index += 1
                continue
            if match.link is not None:
                inner, text = _run_patterns(text, line, number, refs, position + 1, *match.inner)
                found += [match.link, *inner]
                text = text[:index] + MASK * (match.end - index) + text[match.end :]
            index = match.end
    return found, text


def _html_links(text: str, line: str, number: int) -> list[Link]:
    """URL attributes of the raw HTML tags the Markdown patterns left."""
    links: list[Link] = []
    for tag in HTML_TAG.finditer(text):
        for attribute in HTML_URL.finditer(line, tag.start(), tag.end()):
            group = "quoted" if attribute["q"] else "bare"
            written = attribute[group]
            start, end = attribute.start(group), attribute.end(group)
            links.append(
                Link(Kind.HTML, html.unescape(written), number, start, end, written, start, end)
            )
    return links


# A document


def parse_definition(line: str, number: int = 1) -> Link | None:
    """A reference definition ``[label]: url "title"`` on ``line``, or None. Its destination
    keeps its backslashes (the build reads it before any escape); footnotes (``[^1]:``) are
    not definitions."""
    match = DEFINITION.match(line)
    if not match or match["label"].startswith("^"):
        return None
    written = match["url"]
    url = written.lstrip("<").rstrip(">")
    start = match.start("url") + len(written) - len(written.lstrip("<"))
    title = match["title"] if match["title"] is not None else match["ptitle"]
    return Link(
        Kind.DEFINITION,
        decode_entities(url),
        number,
        0,
        len(line),
        url,
        start,
        start + len(url),
        match["label"].strip(),
        title,
    )


def parse_definitions(lines: list[str], start: int = 0) -> dict[str, Link]:
    """The reference definitions of a document outside code, by label in lower case; the
    last of a label wins, as in the build."""
    definitions: dict[str, Link] = {}
    for index, line, is_code in iter_lines_with_code(lines, start):
        definition = None if is_code else parse_definition(line, index + 1)
        if definition is not None:
            definitions[definition.text.lower()] = definition
    return definitions


def parse_links(text: str, start: int = 0) -> list[Link]:
    """Every link of a Markdown document from line index ``start`` (after its front matter),
    in file order: inline links and images, reference links and their definitions,
    autolinks and URL attributes in raw HTML. Code holds none, nor does a bare URL. A link
    may run over the lines of its paragraph; its line is the one its URL is written on."""
    lines = text.splitlines()
    refs = parse_definitions(lines, start)
    links: list[Link] = []
    for first, block in _prose_blocks(lines, start):
        definition = parse_definition(block, first + 1) if "\n" not in block else None
        if definition:
            links.append(definition)
        else:
            links += [
                _relocate(link, block, first + 1) for link in parse_line_links(block, 0, refs)
            ]
    return links


HEADING_LINE = re.compile(r"^#{1,6}")  # Python-Markdown: no space needed after the hashes
QUOTE_LINE = re.compile(r"^ {0,3}>")
QUOTE_MARKERS = re.compile(r"^(?: {0,3}> ?)+")
BLOCK_MARKERS = re.compile(r"^(?:(?: {0,3}> ?)|(?: {0,3}(?:[*+-]|\d+\.)[ ]+))+")


def _prose_blocks(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    """(first line index, text) of each run of prose lines whose inline Markdown the build
    reads as one: a paragraph, a list item's lines, a quote's; a heading or a definition
    stands alone."""
    run: list[tuple[int, str]] = []
    for index, line, is_code in iter_lines_with_code(lines, start):
        if run and (is_code or not line.strip() or _starts_block(line, run[-1][1])):
            yield run[0][0], "\n".join(text for _, text in run)
            run = []
        if not is_code and line.strip():
            run.append((index, line))
        if run and (HEADING_LINE.match(_content(line)) or DEFINITION.match(line)):
            yield run[0][0], "\n".join(text for _, text in run)
            run = []
    if run:
        yield run[0][0], "\n".join(text for _, text in run)


def _starts_block(line: str, previous: str) -> bool:
    item = LIST_ITEM.match(QUOTE_MARKERS.sub("", line))
    if HEADING_LINE.match(_content(line)) or DEFINITION.match(line) or item:
        return True
    return bool(QUOTE_LINE.match(line)) != bool(QUOTE_LINE.match(previous))


def _content(line: str) -> str:
    """The line without its quote and list markers, as the build reads what they hold."""
    return BLOCK_MARKERS.sub("", line)


def _relocate(link: Link, block: str, first: int) -> Link:
    """A link read from a block of lines, on the line its URL (or, for a reference, the link)
    starts: offsets from that line's start, a ``start`` on an earlier line as 0."""
    anchor = link.dest_start if link.written else link.start
    base = block.rfind("\n", 0, anchor) + 1
    return replace(
        link,
        line=first + block.count("\n", 0, anchor),
        start=max(0, link.start - base),
        end=link.end - base,
        dest_start=link.dest_start - base,
        dest_end=link.dest_end - base,
    )


def parse_line_destinations(line: str) -> list[Link]:
    """The links on one line that write a destination there (a definition or the links of a
    line of prose), for rewriting a destination in place."""
    definition = parse_definition(line)
    if definition is not None:
        return [definition]
    return [link for link in parse_line_links(line) if link.kind is not Kind.REFERENCE]


# URLs that are not links


def parse_lone_url(text: str) -> str | None:
    """The http(s) URL when ``text`` is nothing else (bare or in angle brackets), else None."""
    match = LONE_URL.match(text)
    return match["url"] if match else None


def parse_bare_urls(text: str) -> list[tuple[int, int, str]]:
    """The bare http(s) URLs in prose (which the build leaves as text), as (start, end, URL):
    the punctuation after one and a ")" closing the prose's own bracket are not part of it."""
    found = []
    for match in BARE_URL.finditer(text):
        url = match.group(0).rstrip(URL_TRAIL)
        while url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1].rstrip(URL_TRAIL)  # "(see https://a.example/x)": the ")" is prose
        found.append((match.start(), match.start() + len(url), url))
    return found


def parse_bare_url(text: str) -> tuple[int, int, str] | None:
    """The first bare http(s) URL in prose, as (start, end, URL), or None."""
    found = parse_bare_urls(text)
    return found[0] if found else None
