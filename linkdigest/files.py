"""Disk helpers: atomic writes, so an interrupted run never leaves half a file behind."""

from __future__ import annotations

import filecmp
import gzip
import hashlib
import os
import pickle
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkdigest.errors import ContentError

UTF8_BOM = b"\xef\xbb\xbf"


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.
    The file keeps its mode; a new one gets the mode the umask gives new files (the
    temporary file's own 0600 is never left behind)."""
    write_chunks_atomic(path, (text,))


def write_chunks_atomic(path: str | os.PathLike[str], chunks: Iterable[str]) -> None:
    """``write_text_atomic`` for text that comes in pieces, written as they come, so that a
    large file (a site's every link) never has to be one string in memory."""

    def write(handle: int) -> None:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.writelines(chunks)

    _replace_atomically(Path(path), write)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """``write_text_atomic`` for text already encoded (no second copy of a large page)."""

    def write(handle: int) -> None:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)

    _replace_atomically(Path(path), write)


def write_pickle_atomic(path: str | os.PathLike[str], value: Any, compressed: bool = False) -> None:
    """``value`` pickled into ``path`` (gzip-compressed if asked) as it is pickled, through a
    temporary file and a rename: a build stopped while saving its cache leaves the old one."""

    def write(handle: int) -> None:
        with os.fdopen(handle, "wb") as stream:
            if compressed:
                with gzip.GzipFile(fileobj=stream, mode="wb") as packed:
                    pickle.dump(value, packed)
            else:
                pickle.dump(value, stream)

    _replace_atomically(Path(path), write)


def write_chunks_if_changed(
    path: str | os.PathLike[str], chunks: Iterable[str], encoding: str = "utf-8"
) -> bool:
    """Text that comes in pieces (a template rendered as a stream) written, as it comes, to
    a temporary file beside ``path``, which then replaces ``path`` only if their bytes
    differ (an unchanged file keeps its time). No piece is kept: a page of 10 MB never is
    one string. True if ``path`` was written."""

    def write(handle: int) -> None:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as stream:
            for chunk in chunks:
                stream.write(chunk)

    return _replace_atomically(Path(path), write, only_if_changed=True)


def _replace_atomically(
    target: Path, write: Callable[[int], None], only_if_changed: bool = False
) -> bool:
    """``write`` fills a temporary file beside ``target``, which then replaces it (when
    ``only_if_changed``, only if their bytes differ). True if ``target`` was replaced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = read_file_mode(target)
    # Named before it is made (not tempfile.mkstemp): an exception raised by a signal the
    # moment the file is created (Ctrl-C, a worker told to stop) still finds it to remove.
    temporary = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    try:
        write(os.open(temporary, TEMPORARY_FLAGS, 0o600))
        if only_if_changed and _same_bytes(temporary, target):
            os.unlink(temporary)
            return False
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        return True
    except BaseException as error:
        if not (isinstance(error, FileExistsError) and error.filename == str(temporary)):
            temporary.unlink(missing_ok=True)  # ours (another's of that name is left alone)
        raise


TEMPORARY_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _same_bytes(one: str | os.PathLike[str], other: str | os.PathLike[str]) -> bool:
    try:
        return filecmp.cmp(one, other, shallow=False)
    except OSError:  # no such file yet, or one that cannot be read
        return False


@dataclass(frozen=True)
class FileStamp:
    """What a file looked like when it was read or written: changed by anyone (even to the
    same size in the same second, or replaced by a rename), it is another stamp."""

    size: int
    mtime_ns: int
    inode: int


def read_file_stamp(path: str | os.PathLike[str]) -> FileStamp | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return FileStamp(status.st_size, status.st_mtime_ns, status.st_ino)


def read_change_stamp(path: str | os.PathLike[str]) -> tuple[int, int, int, int]:
    """Inode, size, modification and change times (ns): unlike the modification time
    alone, it changes when the bytes change with the size and the time kept (``touch -r``,
    sync tools, a file put back from a backup). Raises OSError for a missing file."""
    status = os.stat(path)
    return (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def read_file_mode(path: Path) -> int:
    """The permission bits of ``path``, or those a new file gets under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~read_umask()


def read_umask() -> int:
    """The process's umask, read without changing it where the system tells (Linux);
    elsewhere set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_text_exact(path: str | os.PathLike[str]) -> str:
    """A content file as it is on disk: line endings kept (no newline translation); a
    ContentError naming the line if it is not UTF-8."""
    return parse_utf8(Path(path).read_bytes(), str(path))


def write_text_with_backup(path: str | os.PathLike[str], text: str) -> Path:
    """Keep a timestamped ``.bak`` copy of ``path`` beside it, then replace it atomically.
    Returns the backup's path."""
    target = Path(path)
    backup = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
    shutil.copy2(target, backup)
    write_text_atomic(target, text)
    return backup


def read_fingerprint(paths: Iterable[Path], extra: str = "") -> str:
    """A short hash of the files' bytes (and ``extra``): it changes when any of them does."""
    digest = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def parse_utf8(data: bytes, path: str) -> str:
    """Text of a content file, which must be UTF-8 (a leading BOM is dropped); otherwise a
    ContentError naming the line and column of the first byte that is not."""
    try:
        return data.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start + (len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0)
        line = data.count(b"\n", 0, start) + 1
        column = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise ContentError(
            path,
            line,
            f"not UTF-8: byte 0x{data[start]:02X} at column {column} cannot be read; save "
            "the file as UTF-8 (in most editors: Save with Encoding, UTF-8)",
        ) from None


def read_content_text(path: str | os.PathLike[str]) -> str:
    """A content file's text (UTF-8, BOM dropped); ContentError with file:line if it is not."""
    return parse_utf8(Path(path).read_bytes(), str(path))


def remove_stale_folders(
    parent: Path, pattern: str, keep: str, older_than: float, now: float | None = None
) -> list[Path]:
    """Delete the folders of ``parent`` matching ``pattern`` (a glob), ``keep`` aside, in
    which nothing changed for ``older_than`` seconds (a cache of an older version of the
    code, say). Returns those deleted; one that cannot be deleted is left."""
    cutoff = (time.time() if now is None else now) - older_than
    removed = []
    for folder in sorted(parent.glob(pattern)):
        if folder.name == keep or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            newest = max([folder.stat().st_mtime] + [p.stat().st_mtime for p in folder.rglob("*")])
        except OSError:  # changing as we look (another build): left alone
            continue
        if newest < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed
