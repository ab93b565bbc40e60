"""Reading posts on every core: files read by forked worker processes ahead of a build that
asks for them one at a time (Pelican reads its posts in one loop, on one core).

``ReadAhead(read, paths, workers, shared)`` hands the paths, in order, to ``workers``
processes forked from this one, each calling ``read(path)``; ``take(path)`` gives back what
``read`` returned there, or None when the caller should read the file itself: a path not read
ahead, one whose ``read`` raised or whose result could not be pickled, one whose file changed
after it was read, a worker that died. What is read here is therefore what would have been
read: byte for byte the same result, the same exceptions, the same file.

What ``read`` logged in a worker is kept there and handed back with its result, then passed
to this process's loggers by ``take``, when the file is asked for: the log is the same lines
in the same order as a build reading one file after another, and a handler here that turns
warnings into errors (Pelican's ``--fatal``) sees them at the same moment. A worker's own
handlers and loggers' filters are taken away (the filters run here); a logger that raises
instead of logging fails the read there, and the file is read again here, where it raises
for real.

Objects of this process named in ``shared`` (Pelican's settings, which every tag and category
of a post refers to) are not copied into a result: pickled by name, they come back as the
object itself, not one copy per post.

Workers are forked (no settings or reader need to be pickled to start one; their pages are
shared with this process until written to) and run nothing but ``read``: they leave through
``os._exit``, never back into the caller's code, and Python's warnings go to their logs. A
thread of this process holding a lock at the fork (a progress display, say) cannot stall a
worker for good: one that sends nothing for WAIT seconds is killed and its files are read
here. Each worker reads every n-th file in order and sends results down its own pipe,
which is read only when the build asks for one of its files.

Reads the disk (``os.stat`` of each file taken) and starts processes; no Pelican import.
"""

from __future__ import annotations

import contextlib
import gc
import glob
import io
import logging
import os
import pickle
import select
import signal
import struct
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkdigest.files import read_file_stamp, write_pickle_atomic

WAIT = 60.0  # seconds without a word from a worker before it is taken for stuck
FRAME = struct.Struct("!Q")


@dataclass
class _Worker:
    pid: int
    fd: int
    got: dict[str, bytes | None] = field(default_factory=dict)
    alive: bool = True


class ReadAhead:
    def __init__(
        self,
        read: Callable[[str], Any],
        paths: Sequence[str],
        workers: int,
        shared: Mapping[str, object] | None = None,
    ) -> None:
        self.shared = dict(shared or {})
        shared_ids = {id(value): name for name, value in self.shared.items()}
        self.owner: dict[str, _Worker] = {}
        self.workers: list[_Worker] = []
        for index in range(workers):
            share = list(paths[index::workers])  # each worker's files in reading order
            worker = _fork_worker(read, share, shared_ids, [w.fd for w in self.workers])
            self.workers.append(worker)
            self.owner.update(dict.fromkeys(share, worker))

    def take(self, path: str) -> Any | None:
        """What ``read(path)`` returned in a worker, its log lines passed on here; None
        when the file is to be read here instead."""
        worker = self.owner.pop(path, None)
        if worker is None:
            return None
        while path not in worker.got and worker.alive:
            _receive(worker)
        data = worker.got.pop(path, None)
        if data is None:
            return None
        try:
            stamp, value, records = _SharedUnpickler(io.BytesIO(data), self.shared).load()
        except Exception:
            return None
        if stamp != read_file_stamp(path):  # changed since it was read: read it as it is now
            return None
        for record in records:
            pass_on(record)
        return value

    def close(self) -> None:
        """Stops the workers (those still reading are killed); paths not taken yet are read
        here if asked for."""
        for worker in self.workers:
            _stop(worker)
        self.workers.clear()
        self.owner.clear()


def _fork_worker(
    read: Callable[[str], Any], share: list[str], shared_ids: dict[int, str], others: list[int]
) -> _Worker:
    pid, fd = fork_piped(lambda out: _read_all(read, share, shared_ids, out), others)
    return _Worker(pid, fd)


def fork_piped(work: Callable[[int], None], close: Iterable[int] = ()) -> tuple[int, int]:
    """A process forked from here that closes ``close`` (other workers' pipes), keeps its
    log records (``keep_logs_in_worker``), runs ``work(fd)`` with ``fd`` its end of a new
    pipe and leaves by ``os._exit``, never back into the caller's code. Returns its pid and
    the pipe's end to read here."""
    readable, writable = os.pipe()
    with warnings.catch_warnings():  # Python 3.12 warns about forking with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        gc.freeze()  # the worker's collections then leave the build's objects' pages shared
        pid = os.fork()
    if pid == 0:
        try:
            os.close(readable)
            for fd in close:
                os.close(fd)
            keep_logs_in_worker()
            work(writable)
        finally:
            os._exit(0)
    gc.unfreeze()
    os.close(writable)
    return pid, readable


def _receive(worker: _Worker) -> None:
    """One result from ``worker``; a worker that died, or said nothing for WAIT seconds, is
    stopped (its files are read here)."""
    header = read_exactly(worker.fd, FRAME.size)
    frame = read_exactly(worker.fd, FRAME.unpack(header)[0]) if header else None
    if frame is None:
        _stop(worker)
        return
    path, data = pickle.loads(frame)
    worker.got[path] = data


def read_exactly(fd: int, size: int, wait: float | None = None) -> bytes | None:
    """``size`` bytes from ``fd``; None at its end or after ``wait`` seconds (WAIT) of silence."""
    parts, left = [], size
    while left:
        ready, _, _ = select.select([fd], [], [], WAIT if wait is None else wait)
        chunk = os.read(fd, min(left, 1 << 20)) if ready else b""
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _stop(worker: _Worker) -> None:
    if worker.alive:
        worker.alive = False
        stop_process(worker.pid, worker.fd)


def stop_process(pid: int, fd: int, grace: float = 0.0) -> None:
    """Closes ``fd`` (the pipe from a forked worker), stops the worker and reaps it. With
    ``grace``, it is asked first (SIGTERM) and killed only if still running after that many
    seconds; without, killed at once (a stuck worker)."""
    os.close(fd)
    if grace > 0 and _ask_to_leave(pid, grace):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _ask_to_leave(pid: int, grace: float) -> bool:
    """SIGTERM, then True once the process has ended and been reaped within ``grace`` s."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    ends = time.monotonic() + grace
    while time.monotonic() < ends:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            return True
        time.sleep(0.02)
    return False


def pass_on(record: logging.LogRecord) -> None:
    """A worker's record to this process's logger of that name: its filters, then handlers."""
    with contextlib.suppress(Exception):  # a filter that raises to say "dropped" (Pelican's)
        logging.getLogger(record.name).handle(record)


def can_fork() -> bool:
    return hasattr(os, "fork")


def count_workers(setting: int | None) -> int:
    """``setting`` processes, or one per core this process may run on."""
    if setting is not None:
        return max(int(setting), 1)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# -- in a worker ----------------------------------------------------------------------------


class KeptRecords(logging.Handler):
    """Keeps a worker's log records, made picklable, for the file being read."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:  # kept as they are where they can be: filters here may match on a message's template
            pickle.dumps((record.msg, record.args))
        except Exception:
            record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


KEPT = KeptRecords()


def keep_logs_in_worker() -> None:
    """Every record a logger lets through is kept, unfiltered: the loggers' filters run when
    the record is passed on in the build's process, where they keep count (Pelican's drop a
    line logged twice in one build, wherever it was read)."""
    for logger in _list_loggers():
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.filters.clear()
    logging.getLogger().addHandler(KEPT)
    logging.captureWarnings(True)


def _list_loggers() -> Iterable[logging.Logger]:
    yield logging.getLogger()
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            yield logger


def _read_all(
    read: Callable[[str], Any], paths: list[str], shared: dict[int, str], fd: int
) -> None:
    with os.fdopen(fd, "wb") as out:
        for path in paths:
            KEPT.records = []
            stamp = read_file_stamp(path)
            try:
                data: bytes | None = _dumps((stamp, read(path), KEPT.records), shared)
            except BaseException:  # the build reads it again, and meets it there
                data = None
            frame = pickle.dumps((path, data), protocol=pickle.HIGHEST_PROTOCOL)
            out.write(FRAME.pack(len(frame)) + frame)
            out.flush()


def _dumps(value: Any, shared: dict[int, str]) -> bytes:
    buffer = io.BytesIO()
    _SharedPickler(buffer, shared).dump(value)
    return buffer.getvalue()


class _SharedPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, shared: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: Any) -> str | None:
        return self.shared.get(id(obj))


class _SharedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: dict[str, object]) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> object:
        return self.shared[pid]


@dataclass
class BackgroundWrite:
    """A file written by a process forked for it (``fork_pickle_write``)."""

    pid: int
    fd: int
    path: str

    def wait(self) -> str | None:
        """Once the process has ended: None if the file was written, else why not (a
        temporary file a killed process left is removed)."""
        parts = []
        while chunk := os.read(self.fd, 1 << 16):
            parts.append(chunk)
        os.close(self.fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        said = b"".join(parts).decode("utf-8", "replace")
        if said == "ok":
            return None
        if not said:  # killed: the temporary file it was writing is still there
            target = Path(self.path)
            for left in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
                left.unlink(missing_ok=True)
        return said or "the process writing it stopped before it was done"


def fork_pickle_write(
    path: str | os.PathLike[str], value: Any, compressed: bool = False
) -> BackgroundWrite:
    """``write_pickle_atomic(path, value, compressed)`` in a process forked for it, while
    this one goes on: pickling a content cache (37 MB at 1,000 digests, half a second) takes
    neither this process's time nor its memory (the pickler's memo of every object, and
    the compressed stream, 28 MiB at the build's peak). Its pages are shared until written."""

    def work(fd: int) -> None:
        try:
            write_pickle_atomic(path, value, compressed)
            said = "ok"
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
            said = str(error) or type(error).__name__
        with contextlib.suppress(OSError):
            os.write(fd, said.encode("utf-8", "replace"))

    pid, fd = fork_piped(work)
    return BackgroundWrite(pid, fd, str(path))
