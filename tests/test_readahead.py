"""Posts read ahead by forked workers: the same results, logs, failures and output as reading
them one after another in the build's process."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path

import pytest

import linkdigest.site.readahead as readahead
from linkdigest.site.readahead import ReadAhead
from tests.conftest import CONTENT, run_pelican

SHARED = {"answer": 42}
logger = logging.getLogger("tests.readahead")


def read_post(path: str) -> dict[str, object]:
    """What a reader returns: text, a reference to a shared object, a log line or two."""
    text = Path(path).read_text(encoding="utf-8")
    if "boom" in text:
        raise ValueError(f"cannot read {path}")
    if "exit" in text and os.getpid() != PARENT:
        os._exit(3)  # a worker that dies (killed, out of memory)
    if "hang" in text and os.getpid() != PARENT:
        time.sleep(60)
    logger.warning("read %s", Path(path).name)
    return {"text": text, "shared": SHARED, "pid": os.getpid()}


PARENT = os.getpid()


def write_posts(folder: Path, texts: list[str]) -> list[str]:
    paths = []
    for index, text in enumerate(texts):
        path = folder / f"post-{index:02d}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def test_results_come_back_in_order_with_their_logs_and_shared_objects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = write_posts(tmp_path, [f"post {n}" for n in range(9)])
    ahead = ReadAhead(read_post, paths, 3, {"shared": SHARED})
    caplog.set_level(logging.WARNING, "tests.readahead")
    try:
        values = [ahead.take(path) for path in paths]
    finally:
        ahead.close()
    assert [v["text"] for v in values] == [f"post {n}" for n in range(9)]  # type: ignore[index]
    assert all(v["shared"] is SHARED for v in values)  # type: ignore[index]  # not a copy
    assert {v["pid"] for v in values} - {PARENT}, "read in other processes"  # type: ignore[index]
    # Each file's log line is passed on when it is taken: the order of a sequential read.
    assert [r.getMessage() for r in caplog.records] == [f"read {Path(p).name}" for p in paths]
    assert ahead.take(paths[0]) is None  # taken already: the caller reads it


def test_what_a_worker_could_not_do_is_left_to_the_caller(tmp_path: Path) -> None:
    paths = write_posts(tmp_path, ["fine", "boom", "fine", "exit", "fine", "fine"])
    ahead = ReadAhead(read_post, paths, 2, {"shared": SHARED})
    try:
        # worker 0 reads 0, 2, 4; worker 1 reads 1, 3 (dies there), 5
        results = [ahead.take(path) for path in paths]
    finally:
        ahead.close()
    assert results[0] is not None and results[2] is not None and results[4] is not None
    assert results[1] is None  # raised: the caller reads it, and meets the error itself
    assert results[3] is None and results[5] is None  # the worker died on 3
    assert ahead.take(str(tmp_path / "never-asked.md")) is None


def test_a_file_changed_after_it_was_read_is_read_again(tmp_path: Path) -> None:
    paths = write_posts(tmp_path, ["one", "two"])
    ahead = ReadAhead(read_post, paths, 2, {"shared": SHARED})
    try:
        time.sleep(0.3)  # both read by now
        Path(paths[1]).write_text("two, edited at length", encoding="utf-8")
        assert ahead.take(paths[0]) is not None
        assert ahead.take(paths[1]) is None
    finally:
        ahead.close()


def test_a_stuck_worker_is_killed_and_its_files_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readahead, "WAIT", 0.5)
    paths = write_posts(tmp_path, ["hang", "fine", "fine", "fine"])
    ahead = ReadAhead(read_post, paths, 2, {"shared": SHARED})
    started = time.monotonic()
    try:
        assert ahead.take(paths[0]) is None
        assert ahead.take(paths[2]) is None  # the same worker's
        assert ahead.take(paths[1]) is not None
        pid = ahead.workers[0].pid
    finally:
        ahead.close()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped, not left a zombie


# -- the plugin: a real build -------------------------------------------------------------

DUPLICATE_TITLE = """\
Title: Notes on caching
Title: A second title
Date: 2026-03-01 10:00
Category: notes
Tags: python

A post whose front matter names its title twice: the reader warns while it reads.
"""


def site_content(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "posts" / "duplicate-title.md").write_text(DUPLICATE_TITLE, encoding="utf-8")
    return content


def read_tree(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def log_lines(log: str) -> list[str]:
    """The log without timings and the read-ahead's own line."""
    return [
        re.sub(r"\d+\.\d+ s\b", "_ s", line)
        for line in log.splitlines()
        if "seconds" not in line and "linkdigest: reading" not in line and line.strip()
    ]


def test_a_build_read_ahead_matches_one_read_in_process(tmp_path: Path) -> None:
    content = site_content(tmp_path)
    (tmp_path / "ahead").mkdir()
    (tmp_path / "here").mkdir()
    ahead = run_pelican(
        content, tmp_path / "ahead", extra="DIGEST_READ_WORKERS = 2\n", args=("-v",)
    )
    here = run_pelican(content, tmp_path / "here", extra="DIGEST_READ_WORKERS = 1\n", args=("-v",))
    assert ahead.returncode == here.returncode == 0, ahead.log
    assert "linkdigest: reading 11 posts in 2 processes" in ahead.log
    assert "linkdigest: reading" not in here.log
    assert "Duplicate definition of `title`" in ahead.log
    # The first title is the post's (a second line made the title a list that broke the
    # build's search index).
    page = ahead.read("posts/2026/03/notes-on-caching/index.html")
    assert "<title>Notes on caching ·" in page
    expected = [
        line.replace(str(tmp_path / "here"), str(tmp_path / "ahead"))
        for line in log_lines(here.log)
    ]
    # The same lines (Pelican copies static files in an order of its own, each run), and
    # the warnings in the same order.
    assert sorted(log_lines(ahead.log)) == sorted(expected)
    assert [line for line in log_lines(ahead.log) if not line.startswith("INFO")] == [
        line for line in expected if not line.startswith("INFO")
    ]
    assert read_tree(ahead.output) == read_tree(here.output)


def test_a_warning_read_ahead_still_fails_a_fatal_build(tmp_path: Path) -> None:
    content = site_content(tmp_path)
    build = run_pelican(content, tmp_path, fatal=True, extra="DIGEST_READ_WORKERS = 2\n")
    assert build.returncode != 0
    assert "Duplicate definition of `title`" in build.log
