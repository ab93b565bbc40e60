"""Posts' addresses pinned once per build (``pelican.plugins.linkdigest.urls``): the same
addresses Pelican works out, none left on a post when the build ends, and a post's own
``URL``/``Save_as`` and static files left as they are."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from pelican.contents import Article, Page, Static
from pelican.plugins.linkdigest import urls
from pelican.settings import DEFAULT_CONFIG


def settings() -> dict[str, Any]:
    return {
        **DEFAULT_CONFIG,
        "ARTICLE_URL": "posts/{date:%Y}/{date:%m}/{slug}/",
        "ARTICLE_SAVE_AS": "posts/{date:%Y}/{date:%m}/{slug}/index.html",
    }


def article(slug: str, **metadata: Any) -> Article:
    fields = {"title": slug, "slug": slug, "date": dt.datetime(2026, 3, 31), **metadata}
    return Article("<p>Text.</p>", metadata=fields, settings=settings())


def test_addresses_are_pelicans_while_the_build_runs_and_gone_after() -> None:
    posts = [article("march"), article("april", status="draft")]
    page = Page("<p>About.</p>", metadata={"title": "About", "slug": "about"}, settings=settings())
    expected = [(p.url, p.save_as) for p in (*posts, page)]
    generators = [
        SimpleNamespace(articles=[posts[0]], drafts=[posts[1]], translations=[]),
        SimpleNamespace(pages=[page], hidden_pages=None),
        SimpleNamespace(),  # a generator without posts (the links page's)
    ]
    urls.pin_addresses(generators)
    assert [(p.override_url, p.override_save_as) for p in (*posts, page)] == expected
    assert [(p.url, p.save_as) for p in (*posts, page)] == expected
    assert expected[0] == ("posts/2026/03/march/", "posts/2026/03/march/index.html")
    urls.unpin_addresses()
    assert not any(hasattr(p, "override_url") or hasattr(p, "override_save_as") for p in posts)
    assert [(p.url, p.save_as) for p in (*posts, page)] == expected


def test_a_posts_own_address_and_static_files_are_left_alone() -> None:
    own = article("own", url="custom/place/", save_as="custom/place/index.html")
    static = Static("", metadata={"title": "room.png"}, settings=settings())
    urls.pin_addresses([SimpleNamespace(articles=[own], pages=[static])])
    assert (own.url, own.save_as) == ("custom/place/", "custom/place/index.html")
    assert not hasattr(static, "override_url")
    urls.unpin_addresses()
    assert (own.url, own.save_as) == ("custom/place/", "custom/place/index.html")


def test_a_build_that_stopped_before_its_end_is_unpinned_by_the_next() -> None:
    post = article("march")
    urls.pin_addresses([SimpleNamespace(articles=[post])])  # no finalized: the build failed
    post.slug = "renamed"  # read again, changed (a post kept by the devserver, say)
    urls.pin_addresses([SimpleNamespace(articles=[])])
    assert post.url == "posts/2026/03/renamed/"
    urls.unpin_addresses()
