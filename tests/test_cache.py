"""The on-disk cache: TTL, normalised keys, atomic writes, corrupt files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkdigest.files import read_fingerprint
from linkdigest.net.cache import read_cache, write_cache


def test_round_trip_with_ttl_and_normalised_keys(tmp_path: Path) -> None:
    cache = read_cache(tmp_path / "c.json")
    cache.put("https://www.example.org/a/?utm_source=x", {"title": "A"}, now=1000.0)
    write_cache(cache)
    again = read_cache(tmp_path / "c.json")
    assert again.get("https://example.org/a", ttl=60, now=1059.0) == {"title": "A"}
    assert again.get("https://example.org/a", ttl=60, now=1061.0) is None
    assert again.get("https://example.org/b", ttl=60, now=1000.0) is None


def test_missing_file_is_an_empty_cache(tmp_path: Path) -> None:
    cache = read_cache(tmp_path / "none.json")
    assert cache.entries == {} and cache.recovered == ""
    write_cache(cache)
    assert not (tmp_path / "none.json").exists()  # nothing changed, nothing written


@pytest.mark.parametrize(
    "text",
    [
        '{"version": 1, "entries": {"k": {"stored": 1',
        "not json at all",
        '{"version": 1, "entries": {"k": {"stored": "yesterday", "value": {}}}}',
        "[1, 2]",
    ],
)
def test_corrupt_file_is_set_aside(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    cache = read_cache(path)
    assert cache.entries == {} and "moved to" in cache.recovered
    assert (tmp_path / "c.json.corrupt").read_text(encoding="utf-8") == text
    cache.put("https://example.org/", {"title": "T"})
    write_cache(cache)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    cache = read_cache(tmp_path / "c.json")
    cache.put("https://example.org/", {"title": "T"})
    write_cache(cache)
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_fingerprint_changes_with_any_file_or_extra(tmp_path: Path) -> None:
    # Names the folder of Pelican's content cache: stale code must never read it back.
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    first = read_fingerprint([a, b], "markdown settings")
    assert first == read_fingerprint([b, a], "markdown settings")  # order does not matter
    assert first != read_fingerprint([a, b], "other settings")
    b.write_text("y = 3\n")
    assert first != read_fingerprint([a, b], "markdown settings")
