"""Pelican's content cache under the plugin: saved only when it changed, never half written."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from linkdigest.files import write_pickle_atomic
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
