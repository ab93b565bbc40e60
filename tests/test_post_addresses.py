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


def test_static_links_are_pelicans_and_a_post_without_any_is_not_scanned() -> None:
    """skip_plain_posts: Pelican's own answer wherever a link could be, and none asked of it
    for HTML holding neither character of the default intrasite pattern."""
    asked: list[Any] = []

    def pelicans(post: Any) -> set[str]:
        asked.append(post)
        return set(PELICAN_STATIC_LINKS(post))

    get_static_links = urls.skip_plain_posts(pelicans)
    assert urls.skip_plain_posts(get_static_links) is get_static_links
    linking = Article(
        '<p><img src="{static}/images/room.png"> <a href="|attach|/notes.pdf">notes</a></p>',
        metadata={"title": "Linking", "slug": "linking", "date": dt.datetime(2026, 3, 31)},
        settings=settings(),
    )
    assert get_static_links(linking) == {"images/room.png", "notes.pdf"}
    plain = article("plain")
    assert get_static_links(plain) == set() == PELICAN_STATIC_LINKS(plain)
    assert asked == [linking]
    # Another pattern: Pelican's, whatever the HTML holds.
    own = {**settings(), "INTRASITE_LINK_REGEX": "@(?P<what>static)@"}
    other = Article(
        '<p><img src="@static@/a.png"></p>',
        metadata={"title": "Other", "slug": "other", "date": dt.datetime(2026, 3, 31)},
        settings=own,
    )
    assert get_static_links(other) == {"a.png"} and asked[-1] is other


PELICAN_STATIC_LINKS = getattr(Article.get_static_links, "__wrapped__", None) or (
    Article.get_static_links
)
