"""Checks of one post's source that Pelican makes silently or not at all.

Pelican drops a post whose ``Date`` it cannot read with "Could not process", ignores a key
it does not know (``Satus: draft`` publishes the post), and takes ``Header_Cover`` as it
is. These checks name the line and what to do; the build turns a post that cannot be read
completely into a draft (``must_hold``), so it is never published by mistake.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatch

from linkdigest.errors import ContentError
from linkdigest.files import parse_utf8
from linkdigest.format.digest import FrontMatter, Problem
from linkdigest.format.text import TAG

# Keys Pelican itself reads, and the ones our plugins and theme read.
PELICAN_KEYS = frozenset(
    {
        "title",
        "date",
        "modified",
        "category",
        "tags",
        "slug",
        "author",
        "authors",
        "summary",
        "status",
        "lang",
        "translation",
        "save_as",
        "url",
        "template",
        "keywords",
    }
)
OUR_KEYS = frozenset({"digest", "header_cover", "header_cover_alt"})
# "Satus" is a typo of "Status"; "Subtitle" is a key of its own, not a typo of "Title".
TYPO_CUTOFF = 0.8
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M")
DATE_KEYS = ("date", "modified")
STRAY_AFTER_IMAGE = re.compile(r"(<img\b[^>]*>)(\\?[\]\)])")
UNRENDERED_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)?")
CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


HELD_BACK = "this post is held back as a draft (not published) until the problems above are fixed"


def read_post_source(path: str) -> tuple[str, list[Problem]]:
    """A post's text, and a Problem if it is not UTF-8 (then decoded with U+FFFD for what
    cannot be read, so a preview still shows the rest)."""
    with open(path, "rb") as stream:
        data = stream.read()
    try:
        return parse_utf8(data, path), []
    except ContentError as error:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
        return text, [Problem(error.line or 0, error.message)]


@dataclass(frozen=True)
class SourceCheck:
    """What is wrong with a post's source, and whether it must be held back as a draft."""

    problems: tuple[Problem, ...]
    must_hold: bool
    bad_keys: frozenset[str] = frozenset()


def check_front_matter(front: FrontMatter, known: Iterable[str] = ()) -> SourceCheck:
    """Broken lines, unreadable dates and likely typos of keys in ``front``.

    A broken line or a date that cannot be read means Pelican would read the post
    differently from what its author wrote: it must be held back (``must_hold``)."""
    dates = check_dates(front)
    problems = [*front.problems, *dates, *check_key_typos(front, known)]
    bad = frozenset(key for key in DATE_KEYS if any(p.line == front.lines.get(key) for p in dates))
    return SourceCheck(tuple(problems), bool(front.problems or dates), bad)


def check_dates(front: FrontMatter) -> list[Problem]:
    problems = []
    for key in DATE_KEYS:
        value = front.metadata.get(key)
        if value is not None and parse_date(value) is None:
            problems.append(
                Problem(
                    front.lines.get(key, 0),
                    f"{front.written.get(key, key.title())} {value!r} is not a date: write it "
                    "as YYYY-MM-DD or YYYY-MM-DD HH:MM (the post is held back as a draft)",
                )
            )
    return problems


def parse_date(value: str) -> datetime | None:
    """A front-matter date in one of the spec's forms (``_`` or ``T`` may stand for the
    space, as Pelican allows), else None."""
    text = value.strip().replace("_", " ")
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def check_key_typos(front: FrontMatter, known: Iterable[str] = ()) -> list[Problem]:
    """An unknown key that is one slip away from a known one (``Satus``, ``Tag``)."""
    keys = sorted(PELICAN_KEYS | OUR_KEYS | {k.lower() for k in known})
    problems = []
    for key, line in front.lines.items():
        if key in keys:
            continue
        close = difflib.get_close_matches(key, keys, n=1, cutoff=TYPO_CUTOFF)
        if close:
            problems.append(
                Problem(
                    line,
                    f"unknown key {front.written.get(key, key)!r}: did you mean "
                    f"{render_key(close[0])!r}? Pelican ignores keys it does not know (if "
                    "your theme reads this one, add it to DIGEST_METADATA_KEYS)",
                )
            )
    return problems


def render_key(key: str) -> str:
    return "_".join(part.capitalize() for part in key.split("_"))


def check_rendered_markdown(html: str, source: str) -> list[Problem]:
    """Markdown that did not render and shows on the page: a stray ``]`` or ``)`` right
    after an image (``![a](x.png)\\]``), an image whose Markdown was not read as one."""
    text = CODE.sub("", html)
    problems = [
        Problem(
            _line_of(source, match[2]),
            f"stray {match[2][-1]!r} right after an image shows on the page; remove it",
        )
        for match in STRAY_AFTER_IMAGE.finditer(text)
    ]
    problems += [
        Problem(
            _line_of(source, match[0][:20]),
            f"image Markdown {match[0][:60]!r} was not read as an image and shows as text; "
            "check its brackets and that the path has no spaces (or use <...> around it)",
        )
        for match in UNRENDERED_IMAGE.finditer(TAG.sub("", text))
    ]
    return problems


def _line_of(source: str, needle: str) -> int:
    """The line of ``needle`` after an image in ``source``, else its first line, else 0."""
    for number, line in enumerate(source.splitlines(), 1):
        if ")" + needle in line or (needle in line and "![" in line):
            return number
    return 0


@dataclass(frozen=True)
class Cover:
    """``Header_Cover`` as a page uses it: a site path (``/images/x.jpg``) or an absolute
    http(s) URL, and the file it is under the content folder (None for a URL)."""

    src: str
    path: str | None


INTRASITE_COVER = re.compile(r"^[{|](?:static|attach)[}|]")


def parse_cover(value: str) -> Cover | None:
    """Where a ``Header_Cover`` points, written as this site's spec says (``/images/x.jpg``)
    or as other themes write it (``{static}/images/x.jpg``, ``images/x.jpg``, a URL)."""
    value = value.strip()
    if not value:
        return None
    if re.match(r"^https?://", value, re.IGNORECASE):
        return Cover(value, None)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) or value.startswith("//"):
        return None  # javascript:, data:, protocol-relative: never an image of this site
    path = INTRASITE_COVER.sub("", value).split("?")[0].split("#")[0].lstrip("/")
    return Cover("/" + path, path) if path and ".." not in path.split("/") else None


def check_cover(
    value: str, line: int, content_root: str, static_paths: Iterable[str]
) -> list[Problem]:
    """A ``Header_Cover`` that is no image of this site: neither a path nor an http(s) URL,
    a missing file (reads the disk, never writes), or a file outside ``STATIC_PATHS``, which
    Pelican would not copy. The build leaves such a cover off the page."""
    cover = parse_cover(value)
    if cover is None:
        return [
            Problem(
                line,
                f"Header_Cover {value!r} is neither a path to an image of this site nor an "
                "http(s) URL; write it as /images/name.jpg (the page is built without it)",
            )
        ]
    if cover.path is None:
        return []
    if not os.path.isfile(os.path.join(content_root, cover.path)):
        return [
            Problem(
                line,
                f"Header_Cover image {value!r} does not exist under {content_root}; fix the "
                "path or add the image (the page is built without a cover)",
            )
        ]
    folders = [folder.strip("/") for folder in static_paths if folder.strip("/")]
    if not any(cover.path == f or cover.path.startswith(f + "/") for f in folders):
        return [
            Problem(
                line,
                f"Header_Cover image {value!r} is not under STATIC_PATHS ({', '.join(folders)}),"
                " so Pelican would not copy it; move it there (the page is built without it)",
            )
        ]
    return []


def check_names_have_slugs(key: str, slugs: Mapping[str, str], front: FrontMatter) -> list[Problem]:
    """A tag, category or author (``key``) whose name gives an empty slug (only
    punctuation) has no address: its page and feed would be ``tag/index.html`` and
    ``.atom.xml``. ``slugs``: each name and the slug Pelican makes of it."""
    return [
        Problem(
            front.lines.get(key, 0),
            f"{front.written.get(key, key.title())}: {name!r} has no letter or digit to make "
            "its address from; rename it (it is left out until then)",
        )
        for name, slug in slugs.items()
        if not slug.strip("-_")
    ]


MARKDOWN_SUFFIXES = (".md", ".markdown", ".mkd", ".mdown")


def read_markdown_paths(root: str, ignore: Iterable[str] = ()) -> list[str]:
    """Every Markdown file under ``root`` (relative, ``/``-separated), skipping files and
    folders whose name matches an ``ignore`` pattern (Pelican's ``IGNORE_FILES``)."""
    patterns = list(ignore)
    found = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if not any(fnmatch(d, p) for p in patterns)]
        for name in files:
            if name.lower().endswith(MARKDOWN_SUFFIXES) and not any(
                fnmatch(name, p) for p in patterns
            ):
                found.append(os.path.relpath(os.path.join(folder, name), root).replace("\\", "/"))
    return sorted(found)


def check_unread_sources(
    markdown: Iterable[str],
    read: Iterable[str],
    article_paths: Iterable[str],
    page_paths: Iterable[str],
) -> list[str]:
    """A message for each Markdown file that no generator read (``read``: every source
    path a generator saw, read or failed): Pelican skips those without a word."""
    seen = set(read)
    articles = ", ".join(p or "(the whole folder)" for p in article_paths) or "(none)"
    pages = ", ".join(p or "(the whole folder)" for p in page_paths) or "(none)"
    return [
        f"{path} is not read by any setting: it is outside ARTICLE_PATHS ({articles}) and "
        f"PAGE_PATHS ({pages}); move it into one of those folders, or add its folder to "
        "ARTICLE_PATHS or PAGE_PATHS (or IGNORE_FILES to keep it out on purpose)"
        for path in markdown
        if path not in seen
    ]
