"""urls: each post's address worked out once per build instead of on every read.

Pelican works out a post's ``url`` and ``save_as`` each time they are read: a copy of the
post's metadata, its date formatted, the URL setting formatted. Pages, listings, feeds, the
links page and the page memo read them tens of thousands of times in a build of a thousand
digests (an eighth of a devserver rebuild went there). Signals, and why:

- ``all_generators_finalized``: every post's address is final (its slug, date, language and
  status are set), so each post and page (translations, drafts and hidden ones too) gets its
  address as Pelican's own ``override_url``/``override_save_as``, which Pelican then returns
  as they are. Static files are left alone: an ``{attach}`` link moves one while pages are
  written. A post whose front matter set its own ``URL``/``Save_as`` keeps it.
- ``finalized``: the pinned addresses are taken off again, so a post kept for the next build
  (the devserver's) or pickled in a cache never carries this build's address.

Connected before the write-ahead part, so that the workers it forks have them too.

Pelican also looks for ``{static}`` and ``{attach}`` links in every post's HTML on every
build (``get_static_links``: a regular expression over each tag of it, a twentieth of a
devserver rebuild at 1,000 digests). A post whose HTML holds neither character the default
``INTRASITE_LINK_REGEX`` starts with has none: ``get_static_links`` is wrapped (when the
plugin is registered) to say so at once; any other pattern, or a post class of its own,
goes to Pelican's.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from pelican import signals
from pelican.contents import Content, Static

# Where Pelican's article and page generators keep their posts.
POST_LISTS = (
    "articles",
    "translations",
    "drafts",
    "drafts_translations",
    "hidden_articles",
    "hidden_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
    "draft_translations",
)
PINNED = ("url", "save_as")
_pinned: list[Any] = []  # the posts this build pinned, to unpin them when it ends


def pin_addresses(generators: list[Any]) -> None:
    unpin_addresses()  # a build that stopped before ``finalized`` left its own
    seen: set[int] = set()
    for generator in generators:
        for name in POST_LISTS:
            for post in getattr(generator, name, None) or ():
                if id(post) in seen or not isinstance(post, Content) or isinstance(post, Static):
                    continue
                seen.add(id(post))
                pin_post(post)


def pin_post(post: Any) -> None:
    own = [key for key in PINNED if hasattr(post, f"override_{key}")]
    if own:
        return  # set by its front matter (or a plugin): Pelican returns that already
    # Worked out while none is set, then set together: ``save_as`` never sees a pinned url.
    addresses = {key: post.get_url_setting(key) for key in PINNED}
    for key, value in addresses.items():
        setattr(post, f"override_{key}", value)
    _pinned.append(post)


def unpin_addresses(_pelican: Any = None) -> None:
    while _pinned:
        post = _pinned.pop()
        for key in PINNED:
            post.__dict__.pop(f"override_{key}", None)


DEFAULT_INTRASITE = "[{|](?P<what>.*?)[|}]"  # Pelican's INTRASITE_LINK_REGEX
PELICAN_INTRASITE_REGEX = inspect.getattr_static(Content, "_get_intrasite_link_regex")


def holds_no_intrasite_link(post: Any) -> bool:
    """True when Pelican's intrasite pattern cannot match the post's raw HTML: it holds
    neither ``{`` nor ``|`` and the pattern is Pelican's default (most posts)."""
    raw = getattr(post, "_content", None)
    return (
        isinstance(raw, str)
        and "{" not in raw
        and "|" not in raw
        and post.settings.get("INTRASITE_LINK_REGEX") == DEFAULT_INTRASITE
        and inspect.getattr_static(type(post), "_get_intrasite_link_regex")
        is PELICAN_INTRASITE_REGEX
    )


def skip_plain_posts(original: Any) -> Any:
    """``Content.get_static_links``, answering at once for a post without intrasite links.
    Wrapping twice wraps once."""
    if getattr(original, "skips_plain_posts", False):
        return original

    @functools.wraps(original)
    def get_static_links(post: Any) -> set[str]:
        if holds_no_intrasite_link(post):
            return set()
        return original(post)  # type: ignore[no-any-return]

    get_static_links.skips_plain_posts = True  # type: ignore[attr-defined]
    return get_static_links


def register() -> None:
    Content.get_static_links = skip_plain_posts(Content.get_static_links)  # type: ignore[method-assign]
    signals.all_generators_finalized.connect(pin_addresses)
    signals.finalized.connect(unpin_addresses)
