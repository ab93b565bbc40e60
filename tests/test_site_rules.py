"""Site rules (linkdigest/fetching/sites.py): each rule read from a saved page of its site.

The table is data; this test holds every row to a page: a rule without a fixture fails,
a fixture is read through the real parse_page and must give the site's title and
description exactly (tests/fixtures/sites/manifest.json, each page's origin recorded
there; rows pointing into the extraction corpus or tests/fixtures/pages take the expected
values from those manifests, so one page has one truth).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linkdigest.fetching.extract import parse_page
from linkdigest.fetching.sites import SITE_RULES, SiteRule, find_site_rule

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
ROWS: list[dict[str, Any]] = json.loads((SITES / "manifest.json").read_text(encoding="utf-8"))
CORPUS = {
    page["file"]: page
    for page in json.loads((FIXTURES / "extraction" / "manifest.json").read_text("utf-8"))
}
PAGES = json.loads((FIXTURES / "pages" / "expected.json").read_text(encoding="utf-8"))


def expected_for(row: dict[str, Any]) -> dict[str, Any]:
    path = (SITES / row["file"]).resolve()
    if path.parent == (FIXTURES / "extraction").resolve():
        page = CORPUS[path.name]
        return {**page, "description": page["description"] or "", "options": {}}
    if path.parent == (FIXTURES / "pages").resolve():
        return PAGES[path.name]
    return {"headers": {}, "options": {}, **row}


def rule_named(name: str) -> SiteRule:
    return next(rule for rule in SITE_RULES if rule.name == name)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['rule']}:{Path(r['file']).name}" for r in ROWS])
def test_site_rule_on_a_saved_page(row: dict[str, Any]) -> None:
    expected = expected_for(row)
    body = (SITES / row["file"]).read_bytes()
    info = parse_page(body, expected["url"], expected["headers"], **expected["options"])
    assert (info.title, info.description) == (expected["title"], expected["description"])
    if "summary" in expected:
        assert info.summary == expected["summary"]
    meta_names = frozenset({"citation_title"} if row["rule"] == "scholarly" else ())
    assert find_site_rule(expected["url"], meta_names) == rule_named(row["rule"])


@pytest.mark.parametrize("rule", SITE_RULES, ids=[rule.name for rule in SITE_RULES])
def test_every_rule_has_a_saved_page(rule: SiteRule) -> None:
    assert any(row["rule"] == rule.name for row in ROWS), f"no fixture for {rule.name}"


def test_new_fixtures_say_where_they_come_from() -> None:
    own = [row for row in ROWS if not row["file"].startswith("../")]
    assert own and all(row["origin"] and row["licence"] and row["url"] for row in own)
    listed = {row["file"] for row in own}
    assert listed == {path.name for path in SITES.glob("*.html")}
    assert all((SITES / name).stat().st_size < 8 * 1024 for name in listed)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.amazon.co.uk/dp/B07FZ8S74R", "amazon"),
        ("https://amzn.to/3xYz", "amazon"),
        ("https://m.youtube.com/watch?v=x", "youtube"),
        ("https://youtu.be/x", "youtube"),
        ("https://x.com/jack/status/20", "x"),
        ("https://old.reddit.com/r/python/", "reddit"),
        ("https://de.wikipedia.org/wiki/Python", "wikipedia"),
        ("https://unix.stackexchange.com/q/1", "stackoverflow"),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC1/", "pubmed"),
    ],
)
def test_hosts_match_at_a_label_boundary(url: str, name: str) -> None:
    assert find_site_rule(url, frozenset()) == rule_named(name)


@pytest.mark.parametrize(
    "url",
    ["https://notamazon.com/x", "https://myx.com/a", "https://example.org/imdb.com", "mailto:a@b"],
)
def test_other_hosts_get_no_rule(url: str) -> None:
    assert find_site_rule(url, frozenset({"og:title", "description"})) is None


def test_scholarly_metadata_is_a_trait_of_any_host() -> None:
    rule = find_site_rule("https://journal.example/a/1", frozenset({"citation_title"}))
    assert rule == rule_named("scholarly")


def test_a_rule_falls_back_to_the_generic_sources() -> None:
    # A YouTube page without a <title>: the rule gives nothing, og:title still counts.
    markup = '<html><head><meta property="og:title" content="Clip"></head><body></body></html>'
    info = parse_page(markup.encode(), "https://www.youtube.com/watch?v=x", {})
    assert info.title == "Clip"


def test_x_without_og_title_is_named_by_its_handle() -> None:
    info = parse_page(
        b"<html><head></head><body></body></html>", "https://x.com/jack/status/20", {}
    )
    assert info.title == "@jack on X"
