"""The JSON Feed beside Atom and RSS: JSON Feed 1.1's required fields, the same items.

feedparser (6.0) reads no JSON Feed, so the spec's rules are checked here, and the items
are compared with the Atom feed as feedparser reads it: the same ids (so a reader that
follows both sees one post, not two), URLs, titles and order.
"""

from __future__ import annotations

import json
from datetime import datetime

import feedparser
import pytest
from bs4 import BeautifulSoup

from tests.conftest import Build
from tests.scan import scan_json

pytestmark = pytest.mark.slow  # builds whole sites with Pelican


@pytest.mark.parametrize("fixture", ["example_site", "production_site"])
def test_the_json_feed_follows_the_spec(fixture: str, request: pytest.FixtureRequest) -> None:
    build: Build = request.getfixturevalue(fixture)
    text = build.read("feeds/all.json")
    assert scan_json(text, "feeds/all.json") == []  # embeddable: no raw < or >
    feed = json.loads(text)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Links & Notes" and feed["home_page_url"].endswith("/")
    assert feed["feed_url"].endswith("/feeds/all.json") and feed["language"] == "en"
    assert feed["authors"] == [{"name": "Sam Rivera"}]
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)) > 0
    for item in feed["items"]:
        assert item["url"].startswith(("http://", "https://"))
        assert item["content_html"] and item["title"]
        assert datetime.fromisoformat(item["date_published"]).tzinfo is not None
        soup = BeautifulSoup(item["content_html"], "html.parser")
        for tag in soup.find_all(href=True) + soup.find_all(src=True):
            target = tag.get("href") or tag.get("src")
            assert target.startswith(("http://", "https://", "mailto:", "#")), target


@pytest.mark.parametrize("fixture", ["example_site", "production_site"])
def test_the_json_feed_has_the_atom_feeds_items(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    build: Build = request.getfixturevalue(fixture)
    feed = json.loads(build.read("feeds/all.json"))
    atom = feedparser.parse(build.read("feeds/all.atom.xml"))
    assert not atom.bozo
    assert [i["id"] for i in feed["items"]] == [e.id for e in atom.entries]
    assert [i["url"] for i in feed["items"]] == [e.link for e in atom.entries]
    assert [i["title"] for i in feed["items"]] == [e.title for e in atom.entries]


def test_every_page_links_the_json_feed_for_autodiscovery(production_site: Build) -> None:
    for page in ("index.html", "links/index.html", "posts/2026/10/2026-october-links/index.html"):
        head = BeautifulSoup(production_site.read(page), "html.parser").head
        link = head.select_one('link[rel="alternate"][type="application/feed+json"]')
        assert link is not None and link["href"] == "https://links.example.org/feeds/all.json"
