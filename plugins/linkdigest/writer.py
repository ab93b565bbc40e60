"""writer: Pelican's writer, which renders a page only when what it shows changed, and
leaves alone every file whose new text is what it holds.

Hooks ``get_writer``, Pelican's own way to hand it a writer class. A rebuild (``make html``
again, or each change under ``make devserver``) renders every page again, and most come out
the same; opening each for writing truncates and rewrites it, which on a busy disk cost a
warm build of 1,000 digests more time than rendering its articles, and hands the browser
and rsync new files that are not new. Only text that differs is written, atomically, so a
page is never seen half written. What Pelican checks on each write (the same file written
twice, ``override``) is done as Pelican does it.

Rendering is skipped too, for pages and feeds whose inputs are those they were last written
with (``linkdigest.site.pagememo``: the key of each page, recorded in the content cache's
folder when a build finishes). The reducers here tell the memo how to fingerprint Pelican's
own objects: a post by every attribute Pelican and plugins gave it and its HTML with its
intrasite links resolved; a post it points at (a neighbour, a translation) the same way, but
a post *that* one points at only by address; tags, categories and authors by name and
address; a paginated page by its number and posts, its paginator by its counts. A page that
reads an object of any other kind is rendered every time. ``PAGE_MEMO = False`` turns it off.
"""

from __future__ import annotations

import inspect
import io
import logging
import os
from collections.abc import Callable
from typing import Any

import jinja2
import pelican
from pelican import signals
from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper
from pelican.utils import sanitised_join
from pelican.writers import FileOverwriteFailedError, Writer

from linkdigest.files import read_file_stamp, write_bytes_atomic, write_chunks_if_changed
from linkdigest.site.html import DigestHtml, DigestRef, EntryHtml, SectionHtml
from linkdigest.site.linkspage import DigestSource, LinkRow, MonthGroup, RowInputs
from linkdigest.site.pagememo import (
    Fingerprinter,
    PageMemo,
    Reducer,
    Remembered,
    Unfingerprintable,
    install_read_recording,
    list_template_folders,
    read_code_files,
    read_memo,
    read_template_files,
    record_reads,
    render_build_key,
    render_page_key,
    write_memo,
)

from .urls import holds_no_intrasite_link
from .writeahead import mine

logger = logging.getLogger("pelican.writers")  # Pelican's messages, under Pelican's name


class ChangedFile(io.TextIOBase):
    """Text for ``path``, kept until closed, then written only if the file differs. The
    pieces written are kept as they are (a page is one: Pelican writes a template's output
    whole), not copied into a buffer: the links page is 10 MB at 1,000 digests."""

    def __init__(
        self, path: str, encoding: str, written: Callable[[str], None] | None = None
    ) -> None:
        super().__init__()
        self.path = path
        self.text_encoding = encoding
        self.written = written
        self.parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.closed:
            raise ValueError(f"{self.path}: written to after it was closed")
        self.parts.append(text)
        return len(text)

    def close(self) -> None:
        if not self.closed:
            text = self.parts[0] if len(self.parts) == 1 else "".join(self.parts)
            self.parts = []
            write_if_changed(self.path, text, self.text_encoding)
            if self.written is not None:
                self.written(self.path)
        super().close()


class KeptFile(io.TextIOBase):
    """A page the memo found current: whatever is written to it is dropped, the file kept."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


def write_if_changed(path: str, text: str, encoding: str) -> None:
    if path == os.devnull:
        return
    data = text.encode(encoding)
    try:
        if os.stat(path).st_size == len(data):  # read only a file that may be the same
            with open(path, "rb") as existing:
                if existing.read(len(data) + 1) == data:
                    return
    except OSError:
        pass  # no such file yet, or one that cannot be read: write it
    write_bytes_atomic(path, data)


class UnchangedFilesWriter(Writer):  # type: ignore[misc]
    """Pelican's Writer: ``write_file`` and ``write_feed`` skip what the memo finds current,
    ``_open_w`` (every page and feed is written through it) returns a ChangedFile instead of
    the truncated file."""

    def __init__(self, output_path: str, settings: dict[str, Any]) -> None:
        super().__init__(output_path, settings=settings)
        self.memo = PageMemo()
        self.kept = PageMemo()  # this build's pages: the record written when it finishes
        self.memo_path = os.path.join(str(settings.get("CACHE_PATH", "cache")), MEMO_NAME)
        self.memo_on = bool(settings.get("PAGE_MEMO", True))
        if self.memo_on:
            self.memo = read_memo(self.memo_path)
        self.fingerprints = Fingerprinter(
            REDUCERS, plain=PLAIN, carried=CARRIED.pop(0) if CARRIED else None
        )
        for value, fingerprint in KNOWN.values():
            self.fingerprints.know(value, fingerprint)
        KNOWN.clear()
        self.settings_key: str | None = None
        self.environments: dict[Any, str | None] = {}  # Jinja environment -> its build key
        self.templates: dict[tuple[str, ...], str] = {}  # template folders -> their bytes' key
        self.pending: dict[str, tuple[str, str, frozenset[str]]] = {}  # path: page, key, reads
        # Pages of one template read the same names: each set is kept once (a set of thirty
        # names per page was 6 MiB at 1,000 digests).
        self.name_sets: dict[frozenset[str], frozenset[str]] = {}
        self.current: set[str] = set()  # full paths found current: nothing to write
        self.rendered = self.skipped = 0
        CURRENT[:] = [self]

    # -- pages -------------------------------------------------------------------------------

    def write_file(self, name: Any, template: Any, context: Any, *args: Any, **kwargs: Any) -> None:
        if name and not mine(name):
            return  # another process's share (writeahead)
        if name:
            template = RememberingTemplate(template, self)
        super().write_file(name, template, context, *args, **kwargs)

    def render_or_keep(self, template: Any, localcontext: dict[str, Any]) -> str:
        """The page's text, or "" for a page the memo finds current (then written nowhere)."""
        page = str(localcontext.get("output_file", ""))
        path = sanitised_join(self.output_path, page)
        build_key = self.read_build_key(template) if self.memo_on else None
        streamed = bool(localcontext.get(STREAMED))
        if build_key is None:
            self.rendered += 1
            if streamed:
                self.write_streamed(path, template, localcontext)
                return ""
            return str(template.render(localcontext))
        known = self.memo.pages.get(page)
        if (
            known is not None
            and known.stamp == read_file_stamp(path)
            and self.page_key(build_key, page, known.names, localcontext) == known.key
        ):
            self.keep(path, page, known)
            return ""
        with record_reads() as names:
            if streamed:
                self.write_streamed(path, template, localcontext)
                text = ""
            else:
                text = str(template.render(localcontext))
        self.rendered += 1
        read = frozenset(names | ALWAYS_READ)
        read = self.name_sets.setdefault(read, read)  # one set per kind of page, not per page
        key = self.page_key(build_key, page, read, localcontext)
        stamp = read_file_stamp(path) if streamed else None
        if key is not None and streamed and stamp is not None:
            self.kept.pages[page] = Remembered(key, read, stamp)
        elif key is not None and not streamed:
            self.pending[path] = (page, key, read)
        return text

    def write_streamed(self, path: str, template: Any, localcontext: dict[str, Any]) -> None:
        """A page asked for as a stream (``STREAMED``: the links page, 10 MB at 1,000
        digests) written as its template renders, never held as one string; Pelican's own
        write of the page that follows then goes nowhere (as for a page the memo kept)."""
        write_chunks_if_changed(path, template.generate(localcontext), "utf-8")
        self.current.add(path)

    def keep(self, path: str, page: str, known: Remembered) -> None:
        self.current.add(path)
        self.kept.pages[page] = known
        self.skipped += 1

    def page_key(
        self, build_key: str, page: str, names: frozenset[str], context: dict[str, Any]
    ) -> str | None:
        try:
            return render_page_key(build_key, page, names, context, self.fingerprints)
        except Unfingerprintable as error:
            logger.debug("linkdigest: %s rendered every time (it reads a %s)", page, error)
            return None

    def read_build_key(self, template: Any) -> str | None:
        """What every page depends on: the settings' key and the templates' bytes; None
        for templates whose reads cannot be followed (rendered every time)."""
        environment = template.environment
        if environment not in self.environments:
            folders = list_template_folders(environment.loader)
            recording = folders is not None and install_read_recording(environment)
            self.environments[environment] = (
                render_build_key([self.read_settings_key(), self.read_templates(folders or [])])
                if recording
                else None
            )
        return self.environments[environment]

    def read_templates(self, folders: list[str]) -> str:
        """The template files' fingerprint, read once per build for the folders that every
        generator's environment shares."""
        if tuple(folders) not in self.templates:
            self.templates[tuple(folders)] = read_template_files(folders)
        return self.templates[tuple(folders)]

    def read_settings_key(self) -> str:
        """What every page and feed depends on: Pelican's and Jinja's versions, the loaded
        plugins' code and every setting (our own code is also in the memo's folder name)."""
        if self.settings_key is None:
            settings = render_settings_fingerprint(self.settings, self.fingerprints)
            self.settings_key = render_build_key(
                [pelican.__version__, jinja2.__version__, settings]
            )
        return self.settings_key

    # -- feeds -------------------------------------------------------------------------------

    def write_feed(
        self,
        elements: Any,
        context: Any,
        path: str | None = None,
        url: str | None = None,
        feed_type: str = "atom",
        override_output: bool = False,
        feed_title: str | None = None,
    ) -> Any:
        if path and not mine(path):
            return None  # another process's share (writeahead)
        key = self.feed_key(elements, context, path, url, feed_type, feed_title)
        if path and key is not None:
            full = sanitised_join(self.output_path, path)
            if self.keep_if_current(full, path, key):
                with self._open_w(full, "utf-8", override_output):
                    pass
                signals.feed_written.send(full, context=context, feed=None)
                return None
            self.pending[full] = (path, key, frozenset())
        self.rendered += 1
        return super().write_feed(
            elements, context, path, url, feed_type, override_output, feed_title
        )

    def feed_key(
        self, elements: Any, context: Any, path: Any, url: Any, kind: str, title: Any
    ) -> str | None:
        """A feed's key: its items (the newest FEED_MAX_ITEMS), address, kind and title, the
        site's URLs and the settings' key. Feeds are made by Pelican's code, no template."""
        if not path:
            return None
        values = {
            "items": list(elements[: self.settings["FEED_MAX_ITEMS"]]),
            "url": url,
            "kind": kind,
            "title": title,
            "SITEURL": context.get("SITEURL"),
            "FEED_DOMAIN": context.get("FEED_DOMAIN"),
        }
        return self.made_key(f"feed:{path}", values)

    def made_key(self, name: str, values: dict[str, Any]) -> str | None:
        """The key of a file made by code from ``values`` (and the settings); None when the
        memo is off or a value cannot be fingerprinted (the file is made every time)."""
        if not self.memo_on:
            return None
        try:
            return render_page_key(
                self.read_settings_key(), name, values, values, self.fingerprints
            )
        except Unfingerprintable as error:
            logger.debug("linkdigest: %s made every time (it reads a %s)", name, error)
            return None

    def keep_if_current(self, full: str, page: str, key: str) -> bool:
        """True, and the file kept, when ``page`` was last written with ``key`` and its file
        is still as written."""
        known = self.memo.pages.get(page)
        if known is None or (known.key, known.stamp) != (key, read_file_stamp(full)):
            return False
        self.keep(full, page, known)
        return True

    # -- files -------------------------------------------------------------------------------

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> Any:
        # Pelican's own checks (pelican/writers.py, 4.10 to 4.12), word for word.
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)'
                )
            logger.info('Skipping "%s", not overwriting', filename)
            filename = os.devnull
        elif filename in self._written_files:
            if override:
                logger.info('Overwriting "%s"', filename)
            else:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" as Pelican has already '
                    "written to it previously (set `override=True` if intended)"
                )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        if filename in self.current:
            self.current.discard(filename)
            return KeptFile()
        return ChangedFile(filename, encoding, self.note_written)

    def note_written(self, path: str) -> None:
        pending = self.pending.pop(path, None)
        stamp = read_file_stamp(path)
        if pending is not None and stamp is not None:
            page, key, names = pending
            self.kept.pages[page] = Remembered(key, names, stamp)

    def write_derived(
        self, page: str, values: dict[str, Any], write: Callable[[str], None]
    ) -> None:
        """A file made by code, not a template (``links.json``): ``write(path)`` is called
        only when ``values`` (all it is made from; the settings count too) changed since
        the file was written, or the file did."""
        full = sanitised_join(self.output_path, page)
        key = self.made_key(f"file:{page}", values)
        if key is not None and self.keep_if_current(full, page, key):
            return
        write(full)
        stamp = read_file_stamp(full)
        if key is not None and stamp is not None:
            self.kept.pages[page] = Remembered(key, frozenset(), stamp)

    def write_memo(self) -> None:
        CARRIED[:] = [self.fingerprints.carry()]
        if self.memo_on:
            write_memo(self.memo_path, self.kept)
        logger.info(
            "linkdigest: %d pages and feeds rendered, %d unchanged", self.rendered, self.skipped
        )


class RememberingTemplate:
    """A template whose ``render`` asks the writer first (Pelican's writer renders the
    template it is handed, after setting up the page's context)."""

    def __init__(self, template: Any, writer: UnchangedFilesWriter) -> None:
        self.template = template
        self.writer = writer
        self.name = template.name
        self.environment = template.environment

    def render(self, context: dict[str, Any]) -> str:
        return self.writer.render_or_keep(self.template, context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.template, name)


# A keyword of write_file (it reaches the page's context): True writes the page as it renders.
STREAMED = "linkdigest_streamed"
MEMO_NAME = "linkdigest-pages.json"
# Read by every page's rendering, whatever its templates say: the relative site URL that
# posts' HTML is resolved against, and the page's own name.
ALWAYS_READ = frozenset({"SITEURL", "localsiteurl", "output_file"})
CURRENT: list[UnchangedFilesWriter] = []
# The fingerprints of immutable records one build used, for the next build in this process.
CARRIED: list[dict[int, tuple[Any, bytes]]] = []
PLUGINS_KEY: list[str] = []
# Plain values whose fingerprints were made when their posts were read (and cached with
# them), for this build's writer: note_fingerprint fills it, the writer takes them.
KNOWN: dict[int, tuple[Any, bytes]] = {}


def note_fingerprint(value: Any, fingerprint: bytes) -> None:
    """``fingerprint`` is ``render_plain_fingerprint(value)``, made earlier."""
    KNOWN[id(value)] = (value, fingerprint)


def reduce_content(post: Any, depth: int) -> Any:
    """A post, as a page that shows it can see it: every attribute but the shared context
    and settings, and its HTML with its intrasite links resolved; the posts it points at (a
    neighbour, a translation) the same way, but the posts *they* point at by address only.

    Made of parts each computed once per build: the post's own fingerprint (depth 1: posts
    it points at by address), and at depth 0 that and its linked posts' own fingerprints."""
    if depth >= 2:
        return ("post", post.source_path, post.url, post.save_as)
    if depth == 0:
        return ("post and the posts it points at", post, list_linked_posts(post))
    attributes = vars(post)
    fields = {name: attributes[name] for name in sorted(attributes) if name not in SHARED}
    # Pelican copies each metadata value to an attribute: only a value that differs (changed
    # by a plugin on one side only) is fingerprinted twice.
    metadata = fields.pop("metadata", None) or {}
    fields["metadata"] = {
        key: value
        for key, value in metadata.items()
        if attributes.get(key.lower(), _NO) is not value
    }
    return (fields, resolved_content(post))


def list_linked_posts(post: Any) -> list[Any]:
    """The posts an attribute of ``post`` holds, alone or in a list (neighbours, translations)."""
    linked = []
    for name, value in vars(post).items():
        if name in SHARED:
            continue
        if isinstance(value, Content):
            linked.append(value)
        elif isinstance(value, list | tuple):
            linked += [item for item in value if isinstance(item, Content)]
    return linked


_NO = object()


def resolved_content(post: Any) -> Any:
    """The post's HTML with its intrasite links resolved (``{filename}``, ``{static}``...),
    or its raw HTML when it holds none of the characters Pelican's default intrasite pattern
    starts with (most posts; resolving costs a regular-expression pass over the whole HTML)."""
    if (
        holds_no_intrasite_link(post)
        and inspect.getattr_static(type(post), "get_content") is PELICAN_GET_CONTENT
        and not hasattr(post, "_get_content")
    ):
        return post._content
    return post.get_content("")


PELICAN_GET_CONTENT = inspect.getattr_static(Content, "get_content")


def reduce_wrapper(wrapper: Any, _depth: int) -> Any:
    """A tag, category or author: its address follows from these and the settings."""
    return (wrapper.name, wrapper.slug)


def reduce_paginator(paginator: Any, _depth: int) -> Any:
    return (paginator.name, paginator.url, paginator.count, paginator.num_pages, paginator.per_page)


def reduce_page(page: Any, _depth: int) -> Any:
    """A paginated page: its address follows from these and the settings."""
    return (page.full_name, page.base_url, page.number, page.paginator, list(page.object_list))


SHARED = frozenset({"_context", "settings"})  # the whole site's: in every key already
# The library's frozen records, text and numbers all the way down: hashed by their bytes.
PLAIN = (
    DigestHtml,
    DigestRef,
    DigestSource,
    EntryHtml,
    LinkRow,
    MonthGroup,
    RowInputs,
    SectionHtml,
)
REDUCERS: dict[type, Reducer] = {
    Content: reduce_content,
    URLWrapper: reduce_wrapper,
    Paginator: reduce_paginator,
    Page: reduce_page,
}


# Settings about how a build runs, not what it writes: a build under `make devserver`
# (which sets the first two) and one by `make html` share their pages.
HOW_IT_RUNS = frozenset(
    {
        "SEARCH_WAIT",
        "KEEP_URL_CACHES",
        "BUILD_SKIP_UNCHANGED",
        "DIGEST_READ_WORKERS",
        "DIGEST_WRITE_WORKERS",
        "PAGE_MEMO",
        "CACHE_CONTENT",
        "LOAD_CONTENT_CACHE",
        "CONTENT_CACHING_LAYER",
        "CHECK_MODIFIED_METHOD",
        "GZIP_CACHE",
        "LOG_FILTER",
        "DEBUG",  # Pelican's -D (tracebacks in its log); a template that reads it records it
    }
)


def render_settings_fingerprint(settings: dict[str, Any], fingerprints: Fingerprinter) -> str:
    """Every setting but HOW_IT_RUNS; one of a kind nobody described counts by its repr (an
    address in it makes every build's key new: pages are rendered, never kept stale)."""
    parts = []
    for name in sorted(set(settings) - HOW_IT_RUNS):
        value = settings[name]
        try:
            parts.append(f"{name}={fingerprints.of(value).hex()}")
        except Unfingerprintable:
            parts.append(f"{name}~{value!r}")
    return render_build_key(parts)


def note_plugins(pelican_instance: Any) -> None:
    """The code of every plugin this build loaded (ours and others'), for every key."""
    PLUGINS_KEY[:] = [read_code_files(getattr(pelican_instance, "plugins", []))]


def write_page_memo(_pelican: Any) -> None:
    for writer in CURRENT:
        writer.write_memo()
    CURRENT.clear()


def get_writer(_pelican: Any) -> type[Writer]:
    return UnchangedFilesWriter


def register() -> None:
    signals.get_writer.connect(get_writer)
    signals.initialized.connect(note_plugins)
    signals.finalized.connect(write_page_memo)
