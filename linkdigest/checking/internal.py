"""Checks on a built site: every internal link and #fragment resolves to a file and an id.

The pages looked at are those the last build wrote (its record, ``linkdigest.site.buildrecord``),
not every file in the folder: a page left there by an earlier build is not the site's any more,
and a link to one is as broken as it will be once this build is deployed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

from linkdigest.site.buildrecord import BuildRecord, read_build_record

URL_ATTRIBUTES = {
    "a": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
}


@dataclass(frozen=True)
class BrokenLink:
    """An internal link that does not resolve: on which page, the URL, and why."""

    page: str
    url: str
    reason: str


def parse_page_urls(html: str) -> list[str]:
    """Every URL a page refers to through the attributes browsers load or follow."""
    soup = BeautifulSoup(html, "html.parser")
    urls: list[str] = []
    for tag in soup.find_all(list(URL_ATTRIBUTES)):
        for attribute in URL_ATTRIBUTES[tag.name]:
            value = tag.get(attribute)
            if not value:
                continue
            if attribute == "srcset":
                urls.extend(part.strip().split(" ")[0] for part in str(value).split(","))
            else:
                urls.append(str(value).strip())
    return urls


def parse_page_ids(html: str) -> set[str]:
    """The fragment targets of a page: every ``id``, and ``name`` on anchors."""
    soup = BeautifulSoup(html, "html.parser")
    ids = {str(tag["id"]) for tag in soup.find_all(id=True)}
    return ids | {str(tag["name"]) for tag in soup.find_all("a", attrs={"name": True})}


def resolve_internal(url: str, page: str, site_url: str) -> tuple[str, str] | None:
    """(site path, fragment) for an internal URL seen on ``page`` (a path like
    ``posts/x/index.html``), or None for an external one."""
    if site_url and url.startswith(site_url.rstrip("/") + "/"):
        url = "/" + url[len(site_url.rstrip("/")) + 1 :]
    elif site_url and url == site_url.rstrip("/"):
        url = "/"
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    joined = urljoin("/" + page, parts.path) if parts.path else "/" + page
    path = posixpath.normpath(unquote(joined)).lstrip("/")  # never above the site's root
    if path and joined.endswith("/"):
        path += "/"
    return path, parts.fragment


def find_target(output: Path, path: str) -> Path | None:
    """The file a site path is served from (``dir/`` and ``dir`` mean ``dir/index.html``)."""
    candidate = output / path
    if path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def read_built_pages(output: Path, files: Sequence[Path] | None = None) -> frozenset[str] | None:
    """The HTML pages (POSIX paths below ``output``) the last build wrote, or of those the
    pages built from ``files``; None when ``output`` has no build record (every page counts)."""
    record = read_build_record(output)
    if record is None:
        return None
    pages = record.html_pages()
    return pages if files is None else pages & record.pages_from(files)


def iter_html_pages(output: Path, pages: Iterable[str] | None = None) -> Iterator[Path]:
    """The HTML files of ``output``: those of ``pages`` that exist, or every one."""
    if pages is None:
        yield from sorted(output.rglob("*.html"))
    else:
        yield from (output / page for page in sorted(pages) if (output / page).is_file())


def check_internal_links(
    output: Path, site_url: str = "", pages: Iterable[str] | None = None
) -> list[BrokenLink]:
    """Every internal link on the HTML pages of ``output`` (``pages``, default every one);
    returns those that do not resolve."""
    ids: dict[Path, set[str]] = {}
    broken: list[BrokenLink] = []
    record = read_build_record(output)
    for page_file in iter_html_pages(output, pages):
        page = page_file.relative_to(output).as_posix()
        for url in parse_page_urls(page_file.read_text(encoding="utf-8")):
            broken.extend(_check_one(output, page, url, site_url, ids, record))
    return broken


def read_external_links(
    output: Path, site_url: str = "", pages: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """(page, URL) for every external http(s) URL on the HTML pages of ``output`` (``pages``,
    default every one)."""
    found = []
    for page_file in iter_html_pages(output, pages):
        page = page_file.relative_to(output).as_posix()
        for url in parse_page_urls(page_file.read_text(encoding="utf-8")):
            if (
                url.startswith(("http://", "https://"))
                and resolve_internal(url, page, site_url) is None
            ):
                found.append((page, url))
    return found


def _check_one(
    output: Path,
    page: str,
    url: str,
    site_url: str,
    ids: dict[Path, set[str]],
    record: BuildRecord | None = None,
) -> list[BrokenLink]:
    resolved = resolve_internal(url, page, site_url)
    if resolved is None:
        return []
    path, fragment = resolved
    target = find_target(output, path)
    if target is None:
        return [BrokenLink(page, url, f"no file for {path}")]
    if record is not None and record.is_left_over(target.relative_to(output).as_posix()):
        left = f"{output.name}/{target.relative_to(output).as_posix()}"
        reason = f"no page for {path} in this build (only {left}, left over from an earlier one)"
        return [BrokenLink(page, url, reason)]
    if fragment and target.suffix == ".html":
        if target not in ids:
            ids[target] = parse_page_ids(target.read_text(encoding="utf-8"))
        if fragment not in ids[target]:
            return [BrokenLink(page, url, f"no id {fragment!r} in {target.relative_to(output)}")]
    return []
