"""A build that would write the very files the last one wrote, seen before it starts.

A second ``make html`` with nothing changed used to read every post from the content cache,
fingerprint every page and compare every file: three seconds at 1,000 digests for no new
byte. Here the end of a build that went well (no warning, no error) leaves a stamp of what it
was made from and what it made:

- its inputs: every setting's fingerprint, the versions of Python and Pelican, and the file
  status (inode, size, modification and change times) of every file under the content
  folder, the theme, each plugin's package folder and the folder of the settings file, of
  every module the build ran, and of each folder on ``sys.path`` (installing or removing a
  package changes its folder);
- its output: the status of every file under the output folder once the build ended;
- the moment it expires: the date of the earliest post held back for being in the future
  (``WITH_FUTURE_DATES = False``), which must come out when that moment passes.

The next build first makes the same stamp of what is on disk now; when it is the saved one,
the site already holds what the build would write, and it stops there. A change of any byte
of any input (even one that keeps the size and the modification time: the change time moves),
any output file touched or deleted, a build that failed or stopped half way (the stamp is
taken away before a build starts and written only once it has ended well): each of these
means a full build. A setting whose value cannot be fingerprinted counts by its ``repr``; one
holding a memory address is never the same twice, so that site is always built.

Pure except the ``read_*`` and ``write_*``/``remove_*`` functions (the disk).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkdigest.files import write_text_atomic
from linkdigest.site.pagememo import Fingerprinter, Unfingerprintable

STAMP_VERSION = 1
STAMP_NAME = "linkdigest-stamp.json"


@dataclass(frozen=True)
class BuildStamp:
    """What one build was made from and what it made, as fingerprints."""

    inputs: str  # read_inputs_fingerprint's, as the build started
    code: str  # render_files_fingerprint's, of the modules the build ran
    output: str  # read_output_fingerprint's, as the build ended
    code_files: tuple[str, ...]  # those modules' files, looked at again next time
    output_files: int
    expires: float | None = None  # seconds since the epoch; None: never


@dataclass(frozen=True)
class Inputs:
    """Where a build's inputs are: what ``read_inputs_fingerprint`` looks at."""

    settings: str  # render_settings_fingerprint's
    folders: tuple[str, ...]  # walked whole: content, theme, plugins' packages
    path_folders: tuple[str, ...]  # sys.path: each folder's own status, not its files
    skip: tuple[str, ...] = ()  # folders inside those walked that are not inputs (the output)


def render_settings_fingerprint(
    settings: Mapping[str, Any], fingerprints: Fingerprinter
) -> str | None:
    """Every setting, by name and value (one of a kind nobody described by its ``repr``);
    None when a ``repr`` holds a memory address, which is never the same twice."""
    digest = hashlib.blake2b(digest_size=16)
    for name in sorted(settings):
        value = settings[name]
        try:
            part = f"{name}={fingerprints.of(value).hex()}"
        except Unfingerprintable:
            part = f"{name}~{value!r}"
            if " at 0x" in part:
                return None
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def render_versions() -> str:
    from pelican import __version__ as pelican_version

    return f"stamp {STAMP_VERSION}; python {sys.version}; pelican {pelican_version}"


def list_module_files(modules: Iterable[Any]) -> tuple[str, ...]:
    """The source (or compiled) file of each module that has one, sorted, once each."""
    files = set()
    for module in modules:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path:
            files.add(os.path.abspath(path))
    return tuple(sorted(files))


def read_inputs_fingerprint(inputs: Inputs) -> str:
    """A fingerprint of the inputs' names and file status, the settings and the versions."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{render_versions()}\0{inputs.settings}\0".encode())
    skip = {os.path.abspath(folder) for folder in inputs.skip}
    for folder in inputs.folders:
        digest.update(f"folder {folder}\0".encode("utf-8", "surrogateescape"))
        for row in read_tree_status(folder, skip):
            digest.update(row)
    for path in inputs.path_folders:
        status = _stat_or_none(path)
        line = f"{path}\0{status and (status.st_ino, status.st_mtime_ns, status.st_ctime_ns)}\0"
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def read_status_rows(paths: Iterable[str]) -> dict[str, bytes]:
    """Each file's status row, by path (a missing file has one too)."""
    return {path: render_status_row(path, _stat_or_none(path)) for path in paths}


def render_files_fingerprint(rows: Mapping[str, bytes]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(rows):
        digest.update(rows[path])
    return digest.hexdigest()


def read_output_fingerprint(folder: str | os.PathLike[str]) -> tuple[str, int]:
    """A fingerprint of every file under ``folder`` (names and status), and how many."""
    digest = hashlib.blake2b(digest_size=16)
    count = 0
    for row in read_tree_status(os.fspath(folder), set()):
        digest.update(row)
        count += 1
    return digest.hexdigest(), count


def read_tree_status(folder: str, skip: set[str]) -> Iterator[bytes]:
    """One row per file under ``folder`` (links followed, each folder once), in name order."""
    seen: set[tuple[int, int]] = set()
    yield from _walk(os.path.abspath(folder), "", skip, seen)


def _walk(
    folder: str, relative: str, skip: set[str], seen: set[tuple[int, int]]
) -> Iterator[bytes]:
    try:
        status = os.stat(folder)
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        yield f"{relative}/\0missing\0".encode("utf-8", "surrogateescape")
        return
    if (status.st_dev, status.st_ino) in seen:
        return  # a link back up the tree
    seen.add((status.st_dev, status.st_ino))
    for entry in entries:
        path = entry.path
        name = f"{relative}/{entry.name}"
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            if path not in skip:
                yield from _walk(path, name, skip, seen)
            continue
        try:
            file_status: os.stat_result | None = entry.stat()
        except OSError:
            file_status = None  # a dangling link: its name still counts
        yield render_status_row(name, file_status)


def render_status_row(name: str, status: os.stat_result | None) -> bytes:
    if status is None:
        return f"{name}\0-\0".encode("utf-8", "surrogateescape")
    row = f"{name}\0{status.st_ino} {status.st_size} {status.st_mtime_ns} {status.st_ctime_ns}\0"
    return row.encode("utf-8", "surrogateescape")


def _stat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def is_build_unchanged(saved: BuildStamp | None, now: BuildStamp, clock: float) -> bool:
    """Would a build now write what the saved stamp's build wrote, and is it all still there?
    ``now``: the stamp of what is on disk, made with the saved stamp's code files."""
    if saved is None:
        return False
    if saved.expires is not None and clock >= saved.expires:
        return False
    return (saved.inputs, saved.code, saved.output) == (now.inputs, now.code, now.output)


def render_stamp(stamp: BuildStamp) -> str:
    record = {
        "version": STAMP_VERSION,
        "inputs": stamp.inputs,
        "code": stamp.code,
        "output": stamp.output,
        "output_files": stamp.output_files,
        "expires": stamp.expires,
        "code_files": list(stamp.code_files),
    }
    return json.dumps(record, indent=1) + "\n"


def parse_stamp(text: str) -> BuildStamp | None:
    """The stamp in ``text``; None for one of another version or not whole (never an error:
    a stamp that cannot be read only means a full build)."""
    try:
        record = json.loads(text)
        if not isinstance(record, dict) or record.get("version") != STAMP_VERSION:
            return None
        expires = record["expires"]
        code_files = record["code_files"]
        stamp = BuildStamp(
            inputs=str(record["inputs"]),
            code=str(record["code"]),
            output=str(record["output"]),
            code_files=tuple(str(path) for path in code_files),
            output_files=int(record["output_files"]),
            expires=None if expires is None else float(expires),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return stamp


def read_stamp(path: str | os.PathLike[str]) -> BuildStamp | None:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return parse_stamp(text)


def write_stamp(path: str | os.PathLike[str], stamp: BuildStamp) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, render_stamp(stamp))


def remove_stamp(path: str | os.PathLike[str]) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
