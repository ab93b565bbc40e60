"""Pelican's content cache under the plugin: saved only when it changed, never half written."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkdigest.files import remove_stale_folders, write_chunks_if_changed, write_pickle_atomic
from linkdigest.site.readahead import fork_pickle_write
from tests.conftest import CONTENT, run_pelican


def read_cache_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each content cache file of a build's cache folder: its inode and modification time."""
    return {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (folder / "cache").rglob("*-Readers")
    }


def test_an_unchanged_cache_is_not_saved_again_and_a_changed_one_is(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    first = run_pelican(content, tmp_path)
    assert first.returncode == 0, first.log
    saved = read_cache_files(tmp_path)
    assert "ArticlesGenerator-Readers" in saved
    again = run_pelican(content, tmp_path)
    assert again.returncode == 0, again.log
    assert read_cache_files(tmp_path) == saved  # nothing read anew: the file left alone
    post = content / "posts" / "sqlite-for-small-tools.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    edited = run_pelican(content, tmp_path)
    assert edited.returncode == 0, edited.log
    after = read_cache_files(tmp_path)
    assert after["ArticlesGenerator-Readers"] != saved["ArticlesGenerator-Readers"]
    assert after["PagesGenerator-Readers"] == saved["PagesGenerator-Readers"]
    cache_file = next((tmp_path / "cache").rglob("ArticlesGenerator-Readers"))
    entries = pickle.loads(cache_file.read_bytes())
    assert any("One more line." in data[0] for _stamp, data in entries.values())
    assert not [p for p in (tmp_path / "cache").rglob(".*.tmp")]


def test_a_deleted_cache_file_is_written_again(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    assert run_pelican(content, tmp_path).returncode == 0
    cache_file = next((tmp_path / "cache").rglob("ArticlesGenerator-Readers"))
    cache_file.unlink()
    build = run_pelican(content, tmp_path)
    assert build.returncode == 0, build.log
    assert cache_file.is_file() and pickle.loads(cache_file.read_bytes())


@pytest.mark.parametrize("compressed", [False, True])
def test_a_save_that_fails_half_way_leaves_the_old_cache(tmp_path: Path, compressed: bool) -> None:
    path = tmp_path / "ArticlesGenerator-Readers"
    write_pickle_atomic(path, {"a.md": (1.0, ("<p>A</p>", {}))}, compressed)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        # The second value cannot be pickled: the first is written by then.
        write_pickle_atomic(path, {"a.md": "x" * 100_000, "b.md": lambda: None}, compressed)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_cache_saved_by_a_forked_process_is_whole_or_says_why_not(tmp_path: Path) -> None:
    path = tmp_path / "ArticlesGenerator-Readers"
    value = {f"{n}.md": (float(n), (f"<p>{n}</p>" * 50, {"n": n})) for n in range(2000)}
    saving = fork_pickle_write(path, value, compressed=True)
    assert saving.pid != os.getpid()
    assert saving.wait() is None
    assert pickle.loads(gzip.decompress(path.read_bytes())) == value
    before = path.read_bytes()
    failing = fork_pickle_write(path, {"a.md": "x" * 100_000, "b.md": lambda: None})
    assert "lambda" in (failing.wait() or "")
    killed = fork_pickle_write(path, {f"{n}": "x" * 1000 for n in range(200_000)})
    os.kill(killed.pid, signal.SIGKILL)
    assert "stopped before it was done" in (killed.wait() or "")
    assert path.read_bytes() == before  # the cache as it was, and no temporary file left
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_build_whose_cache_cannot_be_saved_warns_and_is_whole(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    assert run_pelican(content, tmp_path).returncode == 0
    cache_file = next((tmp_path / "cache").rglob("ArticlesGenerator-Readers"))
    cache_file.unlink()
    (cache_file / "in-the-way").mkdir(parents=True)  # no file can be put there, even by root
    build = run_pelican(content, tmp_path)
    assert build.returncode == 0, build.log
    assert "Could not save cache" in build.log and "ArticlesGenerator-Readers" in build.log
    page = next(build.output.glob("posts/*/*/sqlite-for-small-tools/index.html"))
    assert "<title>" in page.read_text(encoding="utf-8")
    assert not [p for p in (tmp_path / "cache").rglob(".*.tmp")]


def test_caches_of_other_code_unused_for_a_week_are_removed(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    old, recent, other = (
        tmp_path / "cache" / name for name in ("digest-0ld", "digest-rec", "notes")
    )
    for folder in (old, recent, other):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "ArticlesGenerator-Readers").write_bytes(b"x")
    week_ago = time.time() - 8 * 24 * 3600
    for path in (old, old / "sub", old / "sub" / "ArticlesGenerator-Readers", other):
        os.utime(path, (week_ago, week_ago))
    build = run_pelican(content, tmp_path)
    assert build.returncode == 0, build.log
    assert not old.exists() and recent.is_dir() and other.is_dir()  # only digest-* folders
    current = [p for p in (tmp_path / "cache").glob("digest-*") if p not in (recent,)]
    assert len(current) == 1 and (current[0] / "ArticlesGenerator-Readers").is_file()


def test_a_stale_folder_with_one_recent_file_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "digest-abc"
    (folder / "deep").mkdir(parents=True)
    (folder / "deep" / "new").write_text("x")
    long_ago = time.time() - 30 * 24 * 3600
    os.utime(folder, (long_ago, long_ago))
    os.utime(folder / "deep", (long_ago, long_ago))
    assert remove_stale_folders(tmp_path, "digest-*", "digest-current", 7 * 24 * 3600) == []
    os.utime(folder / "deep" / "new", (long_ago, long_ago))
    assert remove_stale_folders(tmp_path, "digest-*", "digest-current", 7 * 24 * 3600) == [folder]


def test_a_page_written_as_a_stream_replaces_the_file_only_when_its_bytes_differ(
    tmp_path: Path,
) -> None:
    page = tmp_path / "links" / "index.html"
    assert write_chunks_if_changed(page, iter(["<p>", "é", "</p>\n"]))
    assert page.read_bytes() == "<p>é</p>\n".encode()
    before = page.stat()
    assert not write_chunks_if_changed(page, iter(["<p>é", "</p>\n"]))  # the same bytes
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert write_chunks_if_changed(page, iter(["<p>e", "</p>\n"]))
    assert page.read_text(encoding="utf-8") == "<p>e</p>\n"

    def failing() -> Iterator[str]:
        yield "<p>half"
        raise RuntimeError("a template error half way")

    with pytest.raises(RuntimeError):
        write_chunks_if_changed(page, failing())
    assert page.read_text(encoding="utf-8") == "<p>e</p>\n"
    assert [p.name for p in page.parent.iterdir()] == ["index.html"]
