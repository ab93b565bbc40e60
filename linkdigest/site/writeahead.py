"""Writing pages on every core: a build's pages shared out by their file names between this
process and workers forked from it, each rendering and writing only its own share.

A site generator writes its pages in one loop on one core (Pelican's ``generate_output``);
run in several processes forked from the same state, the loop asks for the same pages in
each, and ``Share(index, count).holds(name)`` tells each process which are its own: a page's
name (its ``save_as``, or a feed's path) hashed, so every write to one file, a second write
that would overwrite it included, happens in one process, as in a build on one core.

``fork_share(run, index)`` forks a worker that calls ``run(beat)`` and sends back what it
returned, pickled, with the log records it made on the way (kept unfiltered, as
``readahead`` keeps a reader's: the loggers' filters run here, where they keep count);
``collect_share`` waits for that, and gives None when the worker failed, died or said
nothing for WAIT seconds (it is then killed): its share is then the caller's to write, where
whatever went wrong happens for real. ``beat`` is for ``run`` to call now and then (each page,
say): a worker that writes for minutes is not taken for a stuck one.

Starts processes; no Pelican import.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linkdigest.site.readahead import FRAME, KEPT, fork_piped, read_exactly, stop_process

WAIT = 60.0  # seconds without a word (a beat, or the result) before a worker is taken for stuck
BEAT = 1.0  # seconds between a worker's beats at most


@dataclass(frozen=True)
class Share:
    """One process's pages among ``count``: those whose name hashes to ``index``."""

    index: int
    count: int

    def holds(self, name: str) -> bool:
        return zlib.crc32(name.encode("utf-8", "surrogatepass")) % self.count == self.index


@dataclass
class ShareWorker:
    index: int
    pid: int
    fd: int
    alive: bool = True


def fork_share(run: Callable[[Callable[[], None]], Any], index: int) -> ShareWorker:
    """A worker forked from here that calls ``run(beat)`` and sends its result back."""

    def work(out: int) -> None:
        signal.signal(signal.SIGTERM, _leave)
        _run_and_send(run, out)

    pid, fd = fork_piped(work)
    return ShareWorker(index, pid, fd)


def _run_and_send(run: Callable[[Callable[[], None]], Any], fd: int) -> None:
    with os.fdopen(fd, "wb") as out:
        last = [time.monotonic()]

        def beat() -> None:
            now = time.monotonic()
            if now - last[0] >= BEAT:
                out.write(FRAME.pack(0))
                out.flush()
                last[0] = now

        KEPT.records = []
        try:
            frame = pickle.dumps((run(beat), KEPT.records), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # the caller writes this share itself, and meets it there
            return
        out.write(FRAME.pack(len(frame)) + frame)
        out.flush()


def collect_share(worker: ShareWorker) -> tuple[Any, list[logging.LogRecord]] | None:
    """What the worker's ``run`` returned and the records it logged; None when it failed,
    died or was stuck (then killed)."""
    try:
        while worker.alive:
            header = read_exactly(worker.fd, FRAME.size, WAIT)
            if header is None:
                return None
            size = FRAME.unpack(header)[0]
            if size == 0:  # a beat
                continue
            frame = read_exactly(worker.fd, size, WAIT)
            if frame is None:
                return None
            result: tuple[Any, list[logging.LogRecord]] = pickle.loads(frame)
            return result
        return None
    except Exception:  # a result that cannot be read back is no result
        return None
    finally:
        stop_share(worker)


def stop_share(worker: ShareWorker, grace: float = 0.0) -> None:
    """Stops the worker and reaps it. With ``grace``, it is asked first (SIGTERM: the file
    it is writing is left unwritten, its temporary file removed) and killed only if still
    running after that many seconds; without, killed at once (a stuck worker)."""
    if worker.alive:
        worker.alive = False
        stop_process(worker.pid, worker.fd, grace)


def _leave(_signal: int, _frame: object) -> None:
    raise SystemExit(1)  # unwinds the worker: an atomic write under way removes its temporary file
