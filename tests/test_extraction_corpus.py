"""The extraction corpus holds together: files, fields, spread. Scores are the benchmark's job."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "fixtures" / "extraction"
FIELDS = ("file", "url", "kind", "site", "origin", "licence", "headers", "title", "description")
KINDS = {
    "news",
    "blog",
    "docs",
    "shop",
    "social",
    "video",
    "scholarly",
    "wiki",
    "forum",
    "code",
    "other",
}
REQUIRED_KINDS = {"news", "blog", "shop", "social", "scholarly", "video"}
MAX_BYTES = 1_500_000


@pytest.fixture(scope="module")
def manifest() -> list[dict]:
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_is_big_and_varied_enough(manifest):
    assert len(manifest) >= 150
    assert len({page["site"] for page in manifest}) >= 20
    assert {page["kind"] for page in manifest} >= REQUIRED_KINDS


def test_every_record_has_its_fields(manifest):
    for page in manifest:
        assert set(FIELDS) <= set(page), page.get("file")
        assert page["kind"] in KINDS, page["file"]
        assert page["url"].startswith(("http://", "https://")), page["file"]
        assert page["site"] and page["origin"] and page["licence"], page["file"]
        assert isinstance(page["headers"], dict), page["file"]
        for name in ("title", "description"):
            assert page[name] is None or (isinstance(page[name], str) and page[name].strip())


def test_every_file_exists_once_and_is_a_page(manifest):
    files = [page["file"] for page in manifest]
    assert len(files) == len(set(files))
    for name in files:
        path = CORPUS / name
        assert path.is_file(), name
        assert 0 < path.stat().st_size <= MAX_BYTES, name
        assert b"<" in path.read_bytes()[:4096], name


def test_no_page_is_left_out_of_the_manifest(manifest):
    listed = {page["file"] for page in manifest}
    on_disk = {path.name for path in CORPUS.iterdir() if path.suffix == ".html"}
    assert on_disk == listed


FRESH = CORPUS.parent / "extraction-fresh"
FRESH_FIELDS = ("file", "url", "kind", "site", "title", "description", "expected_by", "origin")


def _url_key(url: str) -> str:
    host, _, rest = url.split("://", 1)[1].partition("/")
    return host.lower().removeprefix("www.") + "/" + rest.rstrip("/")


def test_fresh_corpus_holds_pages_the_tuned_one_lacks(manifest):
    fresh = json.loads((FRESH / "manifest.json").read_text(encoding="utf-8"))
    tuned_hashes = {hashlib.sha256((CORPUS / p["file"]).read_bytes()).hexdigest() for p in manifest}
    tuned_urls = {_url_key(page["url"]) for page in manifest}
    assert len(fresh) >= 100
    assert {page["file"] for page in fresh} == {path.name for path in FRESH.glob("*.html")}
    for page in fresh:
        assert set(FRESH_FIELDS) <= set(page), page["file"]
        assert page["kind"] in KINDS and page["licence"], page["file"]
        assert page["expected_by"].startswith("metascraper "), page["file"]
        digest = hashlib.sha256((FRESH / page["file"]).read_bytes()).hexdigest()
        assert digest == page["sha256"] and digest not in tuned_hashes, page["file"]
        assert _url_key(page["url"]) not in tuned_urls, page["file"]
