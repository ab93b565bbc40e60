"""Pages rendered again only when what their template reads has changed.

A rebuild after one edit used to render every page again (about 2,800 pages and 220 feeds at
1,000 digests), and nearly all came out byte for byte as before. Here each page gets a key:
a hash of everything its rendering can depend on —

- the build's own inputs, the same for every page: the code, the theme's templates (their
  bytes) and every setting;
- the values of the names its rendering read from the context, recorded as it rendered
  (Jinja's context class, which every template, macro and include resolves names through,
  notes each name), each value reduced to a fingerprint: text, numbers, dates, lists and
  dicts by their contents, dataclasses field by field, and the site generator's own objects
  (posts, tags, paginated pages) by the reducers the caller hands in;
- the page's own address and site URL.

Recorded reads are enough: a template renders the same way as long as every value it read is
the same, so it reads the same names again; once one differs, the page is rendered and its
reads recorded anew. A filter or global that reads the context behind Jinja's back
(``pass_context``, other than Jinja's own) turns the memo off for its templates.

A page whose key is the one recorded when its file was last written, and whose file still has
the size and modification time it had then, is not rendered again. A value that cannot be
reduced (an object of a kind nobody described) makes its page render, so the memo can cost a
render but never keeps a stale page. The record is a small JSON file, written atomically at
the end of a build; a build that fails half way records nothing, and the pages it wrote no
longer match their recorded file times.

Pure except the ``read_*`` and ``write_*`` functions (the disk) and ``Fingerprinter``, which
keeps what it fingerprinted until its build ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import json
import marshal
import os
import pickle
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from linkdigest.files import FileStamp, read_file_stamp, write_text_atomic

MEMO_VERSION = 1
Reducer = Callable[[Any, int], Any]
"""Turns an object into plain values (tuples, text, other objects) to fingerprint; gets the
depth: how many posts deep the object was reached (a post's neighbour is depth 2)."""


# Kinds pickle reduces well by itself inside a reducer's output (their state is their value;
# functions and classes by name, as code is in every key); exact str, int, float, bytes,
# list, tuple, dict, set and None never reach the override.
AS_PICKLED = (
    str,
    bytes,
    int,
    float,
    complex,
    dt.date,
    dt.time,
    dt.timedelta,
    dt.tzinfo,
    types.FunctionType,
    types.BuiltinFunctionType,
    type,
)


_PICKLED_KINDS: dict[type, bool] = {}  # each kind's answer to "is it AS_PICKLED?", once


def _fingerprinted(fingerprint: bytes) -> bytes:
    """Stands in a pickled reducer's output for an object fingerprinted on its own."""
    return fingerprint


class Unfingerprintable(Exception):
    """A value of a kind with no known reduction: the page that reads it is rendered."""


class Fingerprinter:
    """Fingerprints of values, each object's computed once (by identity: the objects a
    build passes to its templates live until the build ends, and are kept here until then).

    ``plain`` classes hold only text, numbers and tuples of them all the way down (frozen
    records built from a post's source): they are fingerprinted by their pickled bytes,
    in C, instead of field by field. Being immutable, their fingerprints can be carried
    from one build's Fingerprinter to the next (``carry``): a process that builds again
    and keeps the posts it read (the devserver) fingerprints each only once."""

    def __init__(
        self,
        reducers: Mapping[type, Reducer] | None = None,
        plain: Iterable[type] = (),
        carried: Mapping[int, tuple[Any, bytes]] | None = None,
    ) -> None:
        self.reducers = dict(reducers or {})
        self.kinds: dict[type, Reducer | None] = {}  # each kind's reducer, found once
        self.picklers: list[_Pickler] = []  # free ones
        self.plain = tuple(plain)
        self.seen: dict[tuple[int, int], tuple[Any, bytes]] = {}
        self.reductions = 0  # reducers called: a fingerprint made without any is depth-free
        self.carried = dict(carried or {})
        self.plain_seen: dict[int, tuple[Any, bytes]] = {}
        self.by_name: dict[str, tuple[Any, bytes]] = {}  # see of_named

    def carry(self) -> dict[int, tuple[Any, bytes]]:
        """The plain values' fingerprints this build used, for the next build's."""
        return self.plain_seen

    def of_named(self, name: str, value: Any) -> bytes:
        """``of(value)``, for the value a page's context holds under ``name``: most names
        hold the same object on every page of a build (the settings, the lists of posts), so
        the last one's fingerprint is kept per name (one value each: nothing per page)."""
        known = self.by_name.get(name)
        if known is not None and known[0] is value:
            return known[1]
        fingerprint = self.of(value)
        self.by_name[name] = (value, fingerprint)
        return fingerprint

    def of(self, value: Any, depth: int = 0) -> bytes:
        """16 bytes that change whenever ``value`` (as a template can see it) does."""
        digest = hashlib.blake2b(digest_size=16)
        self._feed(digest, value, depth)
        return digest.digest()

    def _feed(self, digest: Any, value: Any, depth: int) -> None:
        kind = type(value)
        if value is None or kind in (bool, int, float):
            digest.update(f"{kind.__name__}:{value!r};".encode())
        elif isinstance(value, str):
            # Markup and str render differently (one is escaped): the class is part of it.
            digest.update(f"{kind.__name__}:{len(value)}:".encode())
            digest.update(value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, bytes):
            digest.update(f"bytes:{len(value)}:".encode() + value)
        elif isinstance(value, dt.datetime | dt.date | dt.time):
            zone = getattr(value, "tzinfo", "")
            digest.update(f"{kind.__name__}:{value.isoformat()}:{zone};".encode())
        elif isinstance(value, dt.tzinfo):
            digest.update(f"tz:{value};".encode())
        elif kind is tuple:  # small and made on the fly (reducers make them): not kept
            digest.update(f"{len(value)}(".encode())
            for item in value:
                self._feed(digest, item, depth)
        else:
            digest.update(self._of_object(value, depth))

    def _of_object(self, value: Any, depth: int) -> bytes:
        for key in ((id(value), -1), (id(value), depth)):
            known = self.seen.get(key)
            if known is not None and known[0] is value:
                return known[1]
        reductions = self.reductions
        result = self._compute(value, depth)
        if isinstance(value, Derived | DerivedView):  # its source is kept: holding the rows
            return result  # would keep 30,000 of them to the build's end, for one lookup
        free = self.reductions == reductions  # no reducer saw the depth: the same at any depth
        self.seen[(id(value), -1 if free else depth)] = (value, result)
        return result

    def _compute(self, value: Any, depth: int) -> bytes:
        digest = hashlib.blake2b(digest_size=16)
        kind = type(value)
        digest.update(f"{kind.__module__}.{kind.__qualname__}:".encode())
        reducer = self._reducer(kind)
        if reducer is not None:
            self.reductions += 1
            digest.update(self._of_reduced(reducer(value, depth), depth + 1))
        elif hasattr(kind, "__fingerprint__"):  # the class's: never an instance's __getattr__
            self._feed(digest, value.__fingerprint__(), depth)
        elif isinstance(value, self.plain):
            digest.update(self._of_plain(value))
        elif isinstance(value, list | tuple):
            digest.update(f"{len(value)}[".encode())
            for item in value:
                self._feed(digest, item, depth)
        elif isinstance(value, set | frozenset):
            for item in sorted(self.of(item, depth) for item in value):
                digest.update(item)
        elif isinstance(value, Mapping):
            digest.update(f"{len(value)}{{".encode())
            for name, item in value.items():  # in order: a template iterates in this order
                self._feed(digest, name, depth)
                self._feed(digest, item, depth)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for each in dataclasses.fields(value):
                self._feed(digest, each.name, depth)
                self._feed(digest, getattr(value, each.name), depth)
        elif isinstance(value, types.FunctionType):
            # A function of the settings file (a Jinja filter, say): its code and defaults.
            digest.update(f"{value.__module__}.{value.__qualname__}".encode())
            digest.update(marshal.dumps(value.__code__))
            digest.update(repr(value.__defaults__).encode())
        elif isinstance(value, types.MethodType):  # what it does: its code and its object's
            self._feed(digest, value.__func__, depth)
            self._feed(digest, value.__self__, depth)
        elif isinstance(value, types.BuiltinFunctionType | type):
            digest.update(f"{value.__module__}.{value.__qualname__}".encode())
        elif isinstance(value, types.ModuleType):
            digest.update(value.__name__.encode())
        else:
            raise Unfingerprintable(f"{kind.__module__}.{kind.__qualname__}")
        return digest.digest()

    def _of_reduced(self, value: Any, depth: int) -> bytes:
        """A reducer's output (a post's attributes, say), pickled in C, each object of a kind
        pickle has no fast path for replaced on the way by its own fingerprint (cached)."""
        # Picklers are reused (making one costs more than a post's small pickle): one per
        # level of nesting, as a reducer's output may hold objects that are reduced in turn.
        pickler = self.picklers.pop() if self.picklers else _Pickler(io.BytesIO(), self)
        pickler.depth = depth
        buffer = pickler.buffer
        buffer.seek(0)
        buffer.truncate()
        try:
            pickler.dump(value)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError) as error:
            raise Unfingerprintable(f"{type(value).__qualname__}: {error}") from error
        finally:
            self.picklers.append(pickler)
        return buffer.getvalue()

    def _of_plain(self, value: Any) -> bytes:
        known = self.carried.get(id(value))
        if known is not None and known[0] is value:
            result = known[1]
        else:
            result = render_plain_fingerprint(value)
        self.plain_seen[id(value)] = (value, result)
        return result

    def know(self, value: Any, fingerprint: bytes) -> None:
        """Take ``fingerprint`` as the plain value's, made earlier by
        ``render_plain_fingerprint`` (when the value was read, say: a copy pickled and read
        back has the same one)."""
        self.carried[id(value)] = (value, fingerprint)

    def _reducer(self, kind: type) -> Reducer | None:
        if kind in self.kinds:
            return self.kinds[kind]
        found = next((self.reducers[b] for b in kind.__mro__ if b in self.reducers), None)
        self.kinds[kind] = found
        return found


def render_plain_fingerprint(value: Any) -> bytes:
    """The fingerprint of a plain value (one of the kinds handed to Fingerprinter as
    ``plain``): its pickled bytes' hash, the same for a copy pickled and read back."""
    return hashlib.blake2b(render_pickle(value), digest_size=16).digest()


def render_pickle(value: Any) -> bytes:
    """Pickled bytes without the pickle's memo, so that equal values give equal bytes
    whether or not they share objects (a string read twice, or once and cached)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: plain values hold no cycles
    pickler.dump(value)
    return buffer.getvalue()


class Derived(list[Any]):
    """A list made by code from ``source`` (rows of a page made from the posts): its
    fingerprint is the source's, which is smaller and changes whenever the list can."""

    def __init__(self, items: Iterable[Any], source: Any) -> None:
        super().__init__(items)
        self.source = source

    def __fingerprint__(self) -> Any:
        return self.source


class DerivedView(Sequence[Any]):
    """``Derived`` without the list: its items are made anew each time it is walked (by
    ``make``) and never held, for pages whose rows would be tens of megabytes (the links
    page's 30,000). Its length is known ahead; indexing walks it (templates loop)."""

    def __init__(self, make: Callable[[], Iterable[Any]], length: int, source: Any) -> None:
        self.make = make
        self.length = length
        self.source = source

    def __iter__(self) -> Iterator[Any]:
        return iter(self.make())

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        position = index + self.length if index < 0 else index
        if not 0 <= position < self.length:
            raise IndexError(index)
        return next(itertools.islice(self, position, None))

    def __bool__(self) -> bool:
        return self.length > 0

    def __fingerprint__(self) -> Any:
        return self.source


class _Pickler(pickle.Pickler):
    """Pickles a reducer's output for Fingerprinter, objects replaced by fingerprints."""

    def __init__(self, buffer: io.BytesIO, fingerprints: Fingerprinter) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True  # no memo: equal values give equal bytes, shared or not
        self.buffer = buffer
        self.fingerprints = fingerprints
        self.depth = 0

    def reducer_override(self, item: Any) -> Any:
        kind = type(item)
        pickled = _PICKLED_KINDS.get(kind)
        if pickled is None:
            pickled = _PICKLED_KINDS[kind] = issubclass(kind, AS_PICKLED)
        if pickled:
            return NotImplemented
        return (_fingerprinted, (self.fingerprints._of_object(item, self.depth),))


def render_page_key(
    build_key: str,
    page: str,
    names: Iterable[str],
    context: Mapping[str, Any],
    fingerprints: Fingerprinter,
) -> str:
    """The key of one page: the build's key, the page's address, and each name its templates
    read, with the fingerprint of its value (absent names count too: ``{% if x is defined %}``).
    Raises Unfingerprintable."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{build_key}\0{page}\0".encode())
    for name in sorted(names):
        digest.update(name.encode() + b"=")
        if name in context:
            digest.update(fingerprints.of_named(name, context[name]))
        else:
            digest.update(b"-")
    return digest.hexdigest()


def render_build_key(parts: Iterable[str]) -> str:
    """The key of what every page depends on, from its parts' fingerprints in order."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def read_code_files(modules: Iterable[types.ModuleType]) -> str:
    """A fingerprint of the source files of ``modules`` (each package's whole folder), by
    name, size and modification time: a plugin upgraded in place changes it."""
    digest = hashlib.blake2b(digest_size=16)
    for module in modules:
        folders = [Path(p) for p in getattr(module, "__path__", [])]
        files = [p for folder in folders for p in folder.rglob("*.py")]
        if not folders and getattr(module, "__file__", None):
            files = [Path(str(module.__file__))]
        for path in sorted(files):
            stamp = read_file_stamp(path)
            digest.update(f"{path}\0{stamp and (stamp.size, stamp.mtime_ns)}\0".encode())
    return digest.hexdigest()


def read_template_files(folders: Iterable[str | os.PathLike[str]]) -> str:
    """A fingerprint of every file under the template folders, by name and bytes."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in folders:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Remembered:
    """How a page was last written: its key, the names its rendering read, its file after."""

    key: str
    names: frozenset[str]
    stamp: FileStamp


@dataclass
class PageMemo:
    """Each page (by output path, relative to the output folder) as last written."""

    pages: dict[str, Remembered] = field(default_factory=dict)


def parse_memo(text: str) -> PageMemo:
    """The memo a build recorded; an unreadable or older one is an empty memo (every page is
    rendered, and the record written anew)."""
    try:
        data = json.loads(text)
        if data.get("version") != MEMO_VERSION:
            return PageMemo()
        name_sets = [frozenset(str(name) for name in names) for names in data["names"]]
        pages = {
            str(page): Remembered(
                str(key), name_sets[names], FileStamp(int(size), int(mtime), int(inode))
            )
            for page, (key, names, size, mtime, inode) in data["pages"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return PageMemo()
    return PageMemo(pages)


def render_memo(memo: PageMemo) -> str:
    """JSON; the sets of names, shared by most pages of a template, are written once each."""
    name_sets: dict[frozenset[str], int] = {}
    pages = {}
    for page, known in sorted(memo.pages.items()):
        names = name_sets.setdefault(known.names, len(name_sets))
        stamp = known.stamp
        pages[page] = [known.key, names, stamp.size, stamp.mtime_ns, stamp.inode]
    data = {
        "version": MEMO_VERSION,
        "names": [sorted(names) for names in name_sets],
        "pages": pages,
    }
    return json.dumps(data, separators=(",", ":")) + "\n"


def read_memo(path: str | os.PathLike[str]) -> PageMemo:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return PageMemo()
    return parse_memo(text)


def write_memo(path: str | os.PathLike[str], memo: PageMemo) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, render_memo(memo))


_reading = threading.local()


@contextmanager
def record_reads() -> Iterator[set[str]]:
    """The names read from the context while the block runs (by a RecordingContext)."""
    names: set[str] = set()
    previous = getattr(_reading, "names", None)
    _reading.names = names
    try:
        yield names
    finally:
        _reading.names = previous


def install_read_recording(environment: Any) -> bool:
    """Make ``environment`` record the names its templates read (see record_reads); False
    when a filter, test or global of its own reads the context directly."""
    from jinja2.utils import _PassArg

    for table in (environment.filters, environment.tests, environment.globals):
        for value in table.values():
            if _PassArg.from_obj(value) is _PassArg.context and not str(
                getattr(value, "__module__", "")
            ).startswith("jinja2"):
                return False
    if not getattr(environment.context_class, "records_reads", False):
        environment.context_class = make_recording_context(environment.context_class)
    return True


def make_recording_context(base: type) -> type:
    """A subclass of Jinja's Context class ``base`` that notes each name it resolves."""

    def resolve_or_missing(self: Any, key: str) -> Any:
        names = getattr(_reading, "names", None)
        if names is not None:
            names.add(key)
        return base.resolve_or_missing(self, key)  # type: ignore[attr-defined]

    return type(
        "RecordingContext",
        (base,),
        {"resolve_or_missing": resolve_or_missing, "records_reads": True},
    )


def list_template_folders(loader: Any) -> list[str] | None:
    """The folders a Jinja loader reads templates from; None for a loader of another kind
    (templates that cannot be fingerprinted: no page is remembered)."""
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

    if isinstance(loader, FileSystemLoader):
        return [str(path) for path in loader.searchpath]
    if isinstance(loader, ChoiceLoader):
        parts = [list_template_folders(each) for each in loader.loaders]
    elif isinstance(loader, PrefixLoader):
        parts = [list_template_folders(each) for each in loader.mapping.values()]
    else:
        return None
    if any(part is None for part in parts):
        return None
    return [folder for part in parts if part is not None for folder in part]
