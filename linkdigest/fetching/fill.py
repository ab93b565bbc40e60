"""Fill mode: complete the entries of a digest or draft that lack a title or a summary.

Three things need filling: a bare URL on a line of its own, a ``### <url>`` heading, and a
link entry with an empty title or no (or an empty) quoted summary. Only those lines change;
every other line, and any title or summary a person wrote, stays byte for byte as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from linkdigest.format.digest import HEADING, QUOTE, parse_front_matter, parse_link_heading
from linkdigest.format.markdown import iter_lines_with_code, parse_lone_url
from linkdigest.format.render import escape_markdown_text, render_destination
from linkdigest.format.urls import is_http_url


@dataclass(frozen=True)
class FillTarget:
    """Lines ``start``..``end`` (0-based, end exclusive) to rewrite for ``url``.
    ``title_markdown`` is the author's own title, kept as written when there is one."""

    url: str
    start: int
    end: int
    title_markdown: str = ""
    need_summary: bool = True
    bare: bool = False


@dataclass(frozen=True)
class Filled:
    title: str
    summary: str


def parse_fill_targets(text: str) -> list[FillTarget]:
    """Every place in ``text`` that fill mode would complete, in file order."""
    lines = text.splitlines()
    start = parse_front_matter(lines).body_start
    targets = (
        _target_at(lines, index)
        for index, _, is_code in iter_lines_with_code(lines, start)
        if not is_code
    )
    return [target for target in targets if target]


def _target_at(lines: list[str], index: int) -> FillTarget | None:
    bare = parse_lone_url(lines[index])
    if bare and is_http_url(bare):
        return FillTarget(bare, index, index + 1, bare=True)
    heading = HEADING.match(lines[index])
    if not heading or len(heading["level"]) != 3:
        return None
    text = (heading["text"] or "").strip()
    plain = parse_lone_url(text)
    link = ("", plain) if plain else parse_link_heading(text)
    if link is None or not is_http_url(link[1]):
        return None
    end = _summary_end(lines, index)
    need_summary = not _has_summary(lines[index + 1 : end])
    if link[0].strip() and not need_summary:
        return None
    return FillTarget(
        link[1], index, end if need_summary else index + 1, link[0].strip(), need_summary
    )


def _summary_end(lines: list[str], heading: int) -> int:
    """The line after the heading's (possibly empty) quote; blank lines before it count."""
    index = heading + 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index < len(lines) and QUOTE.match(lines[index]):
        while index < len(lines) and QUOTE.match(lines[index]):
            index += 1
        return index
    return heading + 1


def _has_summary(lines: list[str]) -> bool:
    return any((m := QUOTE.match(line)) and m["text"].strip() for line in lines)


def render_filled(text: str, targets: list[FillTarget], filled: Mapping[str, Filled]) -> str:
    """``text`` with each target whose URL is in ``filled`` rewritten; the rest untouched."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if text.endswith("\r\n") else "\n"
    for target in sorted(targets, key=lambda t: t.start, reverse=True):
        info = filled.get(target.url)
        if info is None:
            continue
        block = _render_block(target, info, lines, newline)
        lines[target.start : target.end] = block
    return "".join(lines)


def _render_block(target: FillTarget, info: Filled, lines: list[str], newline: str) -> list[str]:
    title = target.title_markdown or escape_markdown_text(info.title or target.url)
    block = [f"### [{title}]({render_destination(target.url)}){newline}"]
    if target.need_summary and info.summary:
        block += [newline, f"> {escape_markdown_text(info.summary)}{newline}"]
    if target.need_summary and target.end < len(lines) and lines[target.end].strip():
        block.append(newline)  # keep the entry apart from what follows
    if target.bare and target.start > 0 and lines[target.start - 1].strip():
        block.insert(0, newline)
    return block
