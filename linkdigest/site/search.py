"""Site search: what goes into the Pagefind index, and writing the index with Pagefind.

Nothing is read back from the rendered pages: each published post or page is indexed from
its own content, and each published digest twice: its prose as a post, and its links as one
links document in which every link is a heading with the entry's anchor, so that Pagefind's
sub-results point at each link on the digest page. The index then does not depend on the
theme's markup, and a 30-link digest costs Pagefind one document instead of thirty records
(30,000 custom records took 12-20 s to index and wrote 30,000 files; 1,000 documents take
about 2 s). Links documents carry the filter ``kind:link``, so the browser can ask for posts
and links separately.

Pagefind stores the text it indexes as it reads it, and pages that show its results build
them from that text; Pagefind escapes only the excerpt. So the text of every document is
escaped once more before Pagefind reads it (``render_index_text``): the index holds
``&lt;script&gt;`` where a title said ``<script>``, never a tag, and ``search.js`` turns the
three entities back into text.

Pagefind's own Python API (``pagefind.index``) waits 0.1 s before reading each answer of its
service; here the same bundled binary is driven through the same ``--service`` protocol,
with requests written by one thread while the answers are read by another. The bundle is
then asked for (``GetFiles``) and written here: Pagefind's own ``WriteFiles`` answers before
its files are on disk, and a file could come out empty (see ``PagefindService.iter_files``).

The bundle is written into a temporary folder beside the old one and swapped in by renames,
so an interrupted build leaves the previous index working and the next build replaces it.
A copy kept in the build's cache folder, with a fingerprint of every document, lets a build
whose documents did not change copy the bundle instead of indexing again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from linkdigest.errors import SearchError
from linkdigest.files import read_file_stamp, write_text_atomic
from linkdigest.site.feeds import render_embeddable_json
from linkdigest.site.html import DigestHtml
from linkdigest.site.linkspage import DigestSource
from linkdigest.site.sanitize import ATTRIBUTE, SOURCE_TAG

# Written by Pagefind for its own UI packages, which this site never loads (our search.js
# talks to pagefind.js directly); left out of the output so nobody links them by mistake.
UNUSED_BUNDLE_FILES = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
)
LINK_FILTER = "kind:link"
TEXT_NODE = re.compile(r"(?P<lead>^|>)(?P<text>[^<]+)")
BUNDLE_DIR = "pagefind"
FINGERPRINT_FILE = "linkdigest-fingerprint.txt"
# Pagefind keeps one document per URL, so a digest's links document needs a URL of its own;
# its sub-results replace the fragment with each link's anchor.
LINKS_FRAGMENT = "#links"
# The blinker signal the plugin sends when the build does not wait for the index
# (SEARCH_WAIT = False, as under `make devserver`), with ``start``: a callable that starts the
# index and returns its future (None: nothing to index). Its receiver (the devserver) calls it
# once Pelican's run has returned; with no receiver, the index starts at once.
SEARCH_DEFERRED_SIGNAL = "linkdigest.search_deferred"
# One index at a time in a process: a devserver's next build may start while the last index
# is still written, and both would swap the same folders.
INDEXING = threading.Lock()


@dataclass(frozen=True)
class ContentRef:
    """A post or page as the build has it: site-relative URL, title (text), status, body
    (sanitized HTML)."""

    url: str
    title: str
    status: str
    content: str


@dataclass(frozen=True)
class SearchDocument:
    """One document for Pagefind: the URL results point at, and the HTML to index."""

    url: str
    html: str


@dataclass(frozen=True)
class IndexReport:
    documents: int
    seconds: float
    reused: bool = False


# The documents to index, made anew each time it is called: a build hands one of these over
# rather than a list, so that the documents of a whole archive (a few kilobytes of HTML per
# digest) never sit in memory together; the index is written from them as they are made.
Documents = Sequence[SearchDocument] | Callable[[], Iterable[SearchDocument]]


def select_search_documents(
    items: Iterable[ContentRef], sources: Iterable[DigestSource], language: str
) -> list[SearchDocument]:
    """Published posts and pages, then the links of published digests. Drafts and hidden
    posts are left out, and so are the listing pages (index, tags, categories, archives,
    the links page), which only repeat what the posts say."""
    return list(iter_search_documents(items, sources, language))


def iter_search_documents(
    items: Iterable[ContentRef], sources: Iterable[DigestSource], language: str
) -> Iterator[SearchDocument]:
    """``select_search_documents``, one document at a time."""
    digests = {source.ref.url: source for source in sources if source.published}
    for item in items:
        if item.status == "published":
            html_text = render_post_document(item, digests, language)
            yield SearchDocument(render_root_url(item.url), html_text)
    for url, source in digests.items():
        if source.digest.link_count:
            html_text = render_links_document(source, language)
            yield SearchDocument(render_root_url(url) + LINKS_FRAGMENT, html_text)


def count_search_documents(statuses: Iterable[str], sources: Iterable[DigestSource]) -> int:
    """How many documents ``iter_search_documents`` makes of posts with these statuses and
    these digests, without making them."""
    digests = {source.ref.url: source for source in sources if source.published}
    published = sum(status == "published" for status in statuses)
    return published + sum(1 for source in digests.values() if source.digest.link_count)


def render_root_url(url: str) -> str:
    """A site-relative URL (``posts/x/``) as Pagefind stores it (``/posts/x/``)."""
    return "/" + url.lstrip("/")


def render_post_document(item: ContentRef, digests: dict[str, DigestSource], language: str) -> str:
    """A post's title and body; a digest's body is its prose, its links are indexed apart."""
    source = digests.get(item.url)
    body = render_digest_prose(source.digest) if source else item.content
    return render_document(f"<main><h1>{html.escape(item.title)}</h1>\n{body}</main>", language)


def render_digest_prose(digest: DigestHtml) -> str:
    parts = [digest.intro_html]
    for section in digest.sections:
        if section.title:
            parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts.append(section.prose_html)
    return "\n".join(part for part in parts if part)


def render_links_document(source: DigestSource, language: str) -> str:
    """Every link of a digest as a heading (its title, with the entry's anchor as id) and
    its summary. Sub-results carry only a title, a URL and an excerpt, so each link's
    domain and section ride along in one meta value: JSON, ``[domain, section]`` for each
    heading in order (search.js finds a sub-result's place among the document's ``h3``
    anchors). Not keyed by anchor: Pagefind's time grows with the meta's length far faster
    than with the text's, and the anchors were 2 KB a digest (8.1 s to 5.9 s for the 1,000
    links documents of 1,000 digests)."""
    digest = source.digest
    where = [[e.domain, s.title] for s in digest.sections for e in s.entries]
    links_meta = render_embeddable_json(json.dumps(where, ensure_ascii=False)).strip()
    entries = [
        f'<h3 id="{html.escape(entry.anchor)}">{html.escape(entry.title)}</h3>\n'
        f"{render_without_ids(entry.summary_html)}"
        for entry in digest.entries
    ]
    return render_document(
        f'<main data-pagefind-filter="{LINK_FILTER}">\n<div data-pagefind-ignore>'
        f'<p data-pagefind-meta="title">{html.escape(source.ref.title)}</p>'
        f'<p data-pagefind-meta="links">{links_meta}</p>'
        "</div>\n" + "\n".join(entries) + "</main>",
        language,
    )


HAS_ID = re.compile(r"\sid(?=[\s=/>])", re.IGNORECASE)


def render_without_ids(fragment: str) -> str:
    """``fragment`` with no ``id`` attribute on any tag. In a links document only the link
    headings carry one: search.js finds a link's place (its domain and section) by counting
    the document's ``h3`` anchors, and an ``<h3 id>`` in a summary would shift every link
    after it. Attributes are found as the sanitizer's checks find them in written HTML."""
    if not HAS_ID.search(fragment):
        return fragment

    def without_id(tag: re.Match[str]) -> str:
        attributes = ATTRIBUTE.sub(
            lambda each: "" if each["name"].lower() == "id" else each[0], tag["attrs"]
        )
        return f"<{tag['name']}{attributes}>"

    return SOURCE_TAG.sub(without_id, fragment)


def render_document(main: str, language: str) -> str:
    body = render_index_text(main)
    return f'<!doctype html><html lang="{html.escape(language)}"><body>{body}</body></html>'


def render_index_text(fragment: str) -> str:
    """``fragment`` with every text node escaped once more (``&``, ``<``, ``>``), so what
    Pagefind reads back from it is still escaped text; tags and attributes are unchanged."""

    def escape(match: re.Match[str]) -> str:
        text = html.escape(html.unescape(match["text"]), quote=False)
        return match["lead"] + html.escape(text, quote=False)

    return TEXT_NODE.sub(escape, fragment)


def render_index_config(language: str) -> dict[str, Any]:
    return {"root_selector": "main", "force_language": language}


def render_document_request(document: SearchDocument) -> dict[str, Any]:
    return {
        "type": "AddFile",
        "url": document.url,
        "file_contents": document.html,
        "file_path": None,
    }


def write_search_index(
    output: str | os.PathLike[str],
    documents: Documents,
    language: str,
    cache: str | os.PathLike[str] | None = None,
    executable: str | os.PathLike[str] | None = None,
    count: int | None = None,
) -> IndexReport:
    """Index ``documents`` into ``output/pagefind``, replacing what was there. With a
    ``cache`` folder, a bundle built from the very same documents is copied from there
    instead of being indexed again (Pagefind cannot update an index, only rebuild it), and
    the output's own bundle is left as it is when it is the one last put there for them.
    ``documents`` may be a function that makes them: it is then called once for the
    fingerprint and once more if they must be indexed, and no list of them is kept; given
    their ``count`` as well (``count_search_documents``), a build with no cached bundle to
    compare with makes them once, fingerprinted as they are indexed."""
    with INDEXING:
        return _write_search_index(output, documents, language, cache, executable, count)


def _write_search_index(
    output: str | os.PathLike[str],
    documents: Documents,
    language: str,
    cache: str | os.PathLike[str] | None,
    executable: str | os.PathLike[str] | None,
    count: int | None = None,
) -> IndexReport:
    started = time.perf_counter()
    make = documents if callable(documents) else lambda: documents
    root = Path(output)
    root.mkdir(parents=True, exist_ok=True)
    at_once = count is not None and not has_cached_bundle(cache)
    fingerprint = ""
    if count is None or not at_once:
        counted = [0]
        fingerprint = render_fingerprint(_counting(make(), counted), language)
        count = counted[0]
        if cache is not None and read_bundle_in_place(Path(cache), fingerprint, root / BUNDLE_DIR):
            return IndexReport(count, time.perf_counter() - started, reused=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{BUNDLE_DIR}-", dir=root))
    try:
        reused = not at_once and read_cached_bundle(cache, fingerprint, staging)
        if not reused:
            hashed = DocumentsHash(language)
            run_pagefind(hashed.passing(make()), count, language, staging, executable)
            if hashed.count != count:
                raise SearchError(f"{hashed.count} documents to index, {count} expected")
            fingerprint = hashed.hexdigest()
            if cache is not None:
                write_cached_bundle(staging, Path(cache), fingerprint)
        swap_folder(staging, root / BUNDLE_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if cache is not None:
        write_bundle_record(Path(cache), fingerprint, root / BUNDLE_DIR)
    return IndexReport(count, time.perf_counter() - started, reused)


def _counting(documents: Iterable[SearchDocument], count: list[int]) -> Iterator[SearchDocument]:
    """``documents``, each counted in ``count[0]`` as it passes."""
    for document in documents:
        count[0] += 1
        yield document


def run_pagefind(
    documents: Iterable[SearchDocument],
    count: int,
    language: str,
    folder: Path,
    executable: str | os.PathLike[str] | None,
) -> None:
    binary = Path(executable) if executable else find_pagefind()
    with PagefindService(binary) as service:
        index_id = service.create_index(render_index_config(language))
        requests = (render_document_request(document) for document in documents)
        service.add_all(index_id, requests, count)
        write_bundle_files(folder, service.iter_files(index_id))


def write_bundle_files(folder: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """Write the bundle Pagefind handed over into ``folder`` (a new staging folder), but for
    its UI files. A name that would land outside ``folder`` is an error, not a file."""
    root = folder.resolve()
    for name, data in files:
        if name in UNUSED_BUNDLE_FILES:
            continue
        target = (root / name).resolve()
        if target == root or not target.is_relative_to(root):
            raise SearchError(f"Pagefind named a bundle file outside its folder: {name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def render_fingerprint(documents: Iterable[SearchDocument], language: str) -> str:
    """Changes whenever the bundle would: any document, the language or Pagefind's version."""
    hashed = DocumentsHash(language)
    for _document in hashed.passing(documents):
        pass
    return hashed.hexdigest()


class DocumentsHash:
    """``render_fingerprint`` of the documents that pass through ``passing``, and their count."""

    def __init__(self, language: str) -> None:
        self.digest = hashlib.sha256(f"{pagefind_version()}\0{language}".encode())
        self.count = 0

    def passing(self, documents: Iterable[SearchDocument]) -> Iterator[SearchDocument]:
        for document in documents:
            self.digest.update(f"\0{document.url}\0{document.html}".encode())
            self.count += 1
            yield document

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def has_cached_bundle(cache: str | os.PathLike[str] | None) -> bool:
    """Whether ``cache`` holds a bundle (or a record of the output's) to compare with."""
    if cache is None:
        return False
    folder = Path(cache)
    return (folder / BUNDLE_DIR / FINGERPRINT_FILE).is_file() or (folder / OUTPUT_RECORD).is_file()


def pagefind_version() -> str:
    try:
        return importlib.metadata.version("pagefind_bin")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def read_cached_bundle(
    cache: str | os.PathLike[str] | None, fingerprint: str, folder: Path
) -> bool:
    """Copy the cached bundle into ``folder`` when it was built from the same documents."""
    if cache is None:
        return False
    bundle = Path(cache) / BUNDLE_DIR
    try:
        if (bundle / FINGERPRINT_FILE).read_text(encoding="utf-8") != fingerprint:
            return False
        shutil.copytree(bundle, folder, dirs_exist_ok=True)
    except OSError:
        return False  # no cache yet, or a broken one: index again
    (folder / FINGERPRINT_FILE).unlink()
    return True


OUTPUT_RECORD = "output-bundle.json"


def read_bundle_in_place(cache: Path, fingerprint: str, bundle: Path) -> bool:
    """Whether ``bundle`` (in the output) is still the one this cache last put there for
    ``fingerprint``: the same files, none changed since (size, time, inode). A rebuild with
    unchanged documents then leaves the output's bundle alone instead of copying it again."""
    try:
        record = json.loads((cache / OUTPUT_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    if record.get("bundle") != str(bundle.resolve()):
        return False
    files = record.get("files")
    return bool(files) and files == read_bundle_stamps(bundle)


def write_bundle_record(cache: Path, fingerprint: str, bundle: Path) -> None:
    record = {
        "fingerprint": fingerprint,
        "bundle": str(bundle.resolve()),
        "files": read_bundle_stamps(bundle),
    }
    cache.mkdir(parents=True, exist_ok=True)
    write_text_atomic(cache / OUTPUT_RECORD, json.dumps(record, sort_keys=True))


def read_bundle_stamps(bundle: Path) -> dict[str, list[int]]:
    """Every file under ``bundle`` by its relative path: its size, time and inode."""
    stamps: dict[str, list[int]] = {}
    for folder, _subfolders, names in os.walk(bundle):
        for name in names:
            path = os.path.join(folder, name)
            stamp = read_file_stamp(path)
            if stamp is not None:
                relative = os.path.relpath(path, bundle)
                stamps[relative] = [stamp.size, stamp.mtime_ns, stamp.inode]
    return stamps


def write_cached_bundle(folder: Path, cache: Path, fingerprint: str) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(prefix=f".{BUNDLE_DIR}-", dir=cache))
    shutil.copytree(folder, copy, dirs_exist_ok=True)
    # Written last: a copy interrupted before this line is never taken for a good one.
    (copy / FINGERPRINT_FILE).write_text(fingerprint, encoding="utf-8")
    swap_folder(copy, cache / BUNDLE_DIR)


def find_pagefind() -> Path:
    """The Pagefind binary from the ``pagefind[bin]`` package (or PAGEFIND_BINARY_PATH)."""
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None or not Path(binary).exists():
        raise SearchError(
            "the Pagefind binary is missing: install it with "
            "`.venv/bin/python -m pip install 'pagefind[bin]'`, or set SEARCH_ENABLED = False"
        )
    return Path(binary)


def swap_folder(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is, with renames only, then delete the old folder."""
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class FileListScanner:
    """Pagefind's answer to ``GetFiles`` (``{..."files":[{"path": ..., "content": base64},
    ...]}}``) read as its JSON arrives: each file is taken as soon as its object is whole,
    so no more than one file's text is held at a time."""

    LIST = re.compile(rb'"files"\s*:\s*\[')

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.state = "head"  # then "list", then "tail" once the list is closed

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def take_files(self) -> Iterator[tuple[str, bytes]]:
        buffer = self.buffer
        if self.state == "head":
            found = self.LIST.search(buffer)
            if found is None:
                return
            del buffer[: found.end()]
            self.state = "list"
        while self.state == "list":
            start = 0
            while start < len(buffer) and buffer[start] in b" \t\r\n,":
                start += 1
            if start == len(buffer):
                return
            if buffer[start] == ord("]"):
                del buffer[: start + 1]
                self.state = "tail"
                return
            entry, end = self._object_at(start)
            if entry is None:
                return  # not whole yet
            del buffer[:end]
            try:
                yield str(entry["path"]), base64.b64decode(entry["content"], validate=True)
            except (KeyError, TypeError, ValueError) as error:
                raise SearchError(f"Pagefind's answer to GetFiles is malformed: {error}") from None

    def _object_at(self, start: int) -> tuple[Any, int]:
        """The JSON object starting at ``start`` and the index after it, or (None, 0) when it
        is not whole yet. Base64 holds no brace, so its first closing brace most often ends
        it; one inside a file's name is passed over."""
        close = self.buffer.find(b"}", start)
        while close >= 0:
            try:
                return json.loads(self.buffer[start : close + 1]), close + 1
            except ValueError:
                close = self.buffer.find(b"}", close + 1)
        return None, 0

    def finish(self) -> dict[str, Any] | None:
        """None when the list of files was read to its end; otherwise the whole answer
        (small: an error), for the caller to report."""
        if self.state == "tail":
            return None
        if self.state == "list":
            raise SearchError("Pagefind's answer to GetFiles is malformed: cut short")
        try:
            answer = json.loads(self.buffer)
        except ValueError as error:
            raise SearchError(f"Pagefind's answer to GetFiles is malformed: {error}") from None
        return answer if isinstance(answer, dict) else {}


class PagefindService:
    """One ``pagefind --service`` process: base64 JSON messages, each ended by a comma."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.next_id = 0
        self.buffer = b""
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PagefindService:
        try:
            self.process = subprocess.Popen(
                [str(self.binary), "--service"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.errors,
            )
        except OSError as error:
            raise SearchError(f"{self.binary}: cannot start Pagefind: {error.strerror}") from error
        return self

    def __exit__(self, failed: object, *_exc: object) -> None:
        assert self.process is not None
        if failed:
            self.process.kill()  # it may be blocked writing answers nobody will read
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()

    def create_index(self, config: dict[str, Any]) -> int:
        answer = self.ask({"type": "NewIndex", "config": config})
        return int(answer["index_id"])

    def iter_files(self, index_id: int) -> Iterator[tuple[str, bytes]]:
        """The bundle's files (name relative to the bundle, contents), from ``GetFiles``.
        Not ``WriteFiles``: Pagefind answers that before its writes are done (Tokio's file
        writes are queued, never flushed), and exits at once when its input is closed, so
        a file could be left empty or cut short: ``pagefind-entry.json`` was empty in 5 of
        40 indexes on a busy machine. The answer (the whole bundle, base64 in JSON in
        base64: 12 MB at 1,000 digests) is read as it comes, each file handed on as soon as
        it is whole, never the answer at once (that was 28 MiB more at the build's peak)."""
        request = {"type": "GetFiles", "index_id": index_id}
        self.send_all([request])
        assert self.process is not None and self.process.stdout is not None
        scanner = FileListScanner()
        pending = b""  # base64 not decoded yet: fewer than four characters
        chunk, self.buffer = self.buffer, b""
        while True:
            end = chunk.find(b",")
            data = pending + (chunk if end < 0 else chunk[:end])
            whole = len(data) - len(data) % 4
            try:
                scanner.feed(base64.b64decode(data[:whole], validate=True))
            except ValueError as error:
                raise SearchError(f"Pagefind's answer to GetFiles is malformed: {error}") from None
            pending = data[whole:]
            yield from scanner.take_files()
            if end >= 0:
                self.buffer = chunk[end + 1 :]
                break
            chunk = self.process.stdout.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                raise SearchError(f"Pagefind stopped: {self.read_errors()}")
        if pending:
            raise SearchError("Pagefind's answer to GetFiles is malformed: cut short")
        answer = scanner.finish()
        if answer is not None:  # not a list of files: an error, say
            self.check(answer, request)
            raise SearchError("Pagefind's answer to GetFiles has no list of files")

    def ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.send_all([payload])
        return self.check(self.receive(), payload)

    def add_all(self, index_id: int, payloads: Iterable[dict[str, Any]], count: int) -> None:
        """Send ``count`` payloads from a thread while reading the answers here: the service
        answers as it reads, so writing everything first would fill both pipes and stall."""
        sent: list[dict[str, Any]] = []  # what each was, for errors; not its contents
        failure: list[BaseException] = []

        def write() -> None:
            try:
                for payload in payloads:
                    if len(sent) == count:
                        raise SearchError(f"more than the {count} documents expected")
                    sent.append({"type": payload["type"], "url": payload.get("url")})
                    self.send_all([{**payload, "index_id": index_id}])
                if len(sent) != count:  # the answers waited for would never come
                    raise SearchError(f"{len(sent)} documents, not the {count} expected")
            except BaseException as error:
                failure.append(error)
                with contextlib.suppress(OSError):
                    self.process.stdin.close()  # type: ignore[union-attr]  # ends the reading

        writer = threading.Thread(target=write, name="pagefind-writer", daemon=True)
        writer.start()
        try:
            for answered in range(count):
                self.check(self.receive(), sent[answered])
        except SearchError:
            if failure:
                raise failure[0] from None
            raise
        writer.join()
        if failure:
            raise failure[0]

    def send_all(self, payloads: Iterable[dict[str, Any]]) -> None:
        assert self.process is not None and self.process.stdin is not None
        for payload in payloads:
            self.next_id += 1
            message = json.dumps({"message_id": self.next_id, "payload": payload})
            try:
                self.process.stdin.write(base64.b64encode(message.encode("utf-8")) + b",")
            except BrokenPipeError as error:
                raise SearchError(f"Pagefind stopped: {self.read_errors()}") from error
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        """The next answer. Its chunks are joined once (the bundle's answer is megabytes:
        adding each chunk to the last copied it all again), and each stage of decoding is
        let go as soon as the next is made."""
        assert self.process is not None and self.process.stdout is not None
        chunks: list[bytes] = []
        chunk, self.buffer = self.buffer, b""
        while b"," not in chunk:
            chunks.append(chunk)
            chunk = self.process.stdout.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                raise SearchError(f"Pagefind stopped: {self.read_errors()}")
        last, _, self.buffer = chunk.partition(b",")
        chunks.append(last)
        raw = b"".join(chunks)
        del chunks, chunk, last
        decoded = base64.b64decode(raw)
        del raw
        answer: dict[str, Any] = json.loads(decoded)
        return answer

    def check(self, answer: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = answer.get("payload", {})
        if body.get("type") == "Error":
            what = payload.get("url") or payload["type"]
            raise SearchError(f"Pagefind refused {what}: {body.get('message', 'no answer')}")
        return body

    def read_errors(self) -> str:
        self.errors.seek(0)
        text = self.errors.read().decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else "no message"
