"""Site rules: where a site keeps its real title and description, as data.

Pure data, like the host policies: a rule names its sites (a host pattern, or a trait of the
page such as scholarly ``citation_*`` metadata) and, per field, the sources to read in
order. ``GENERIC`` in a list stands for the generic order (``og:title``, ``<title>``, ...),
which also follows any list that does not name it, so a rule only says what the site does
differently. Adding a site is adding a row here and a saved page under
``tests/fixtures/sites/``; extraction reads the table and has no site names of its own.

A source is written ``kind:argument``:

- ``meta:KEY``: a ``<meta>`` by name or property (``meta:og:title``, ``meta:citation_title``)
- ``title``: the document's ``<title>``
- ``ld:PATH``: the first JSON-LD node with that dotted path (``ld:mainEntity.description``)
- ``element:SELECTOR``: the text of the first ``#id``, ``.class``, ``tag`` or ``tag.class``
- ``paragraph:SELECTOR``: the first real paragraph inside that element (summaries only)
- ``url``: no text of its own; only its ``template`` (with the URL's parts) counts

and tidied by ``pick`` (a regex: its ``text`` group, or its named groups for the template),
``drop`` (a regex removed once) and ``template`` (``str.format`` with the picked groups,
``handle``, the URL's first path segment, and ``at_handle``, the one after an ``@``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

GENERIC = "generic"


@dataclass(frozen=True)
class Source:
    """One place a field is read from, and how what it holds is tidied."""

    where: str
    pick: str = ""
    drop: str = ""
    template: str = ""


@dataclass(frozen=True)
class SiteRule:
    """Sources for a site's title, description and summary, tried before the generic ones."""

    name: str
    hosts: str = ""  # a regex matched against the host's end, at a label boundary
    when_meta: str = ""  # or: the page has a <meta> whose name starts so
    title: tuple[Source, ...] = ()
    description: tuple[Source, ...] = ()
    summary: tuple[Source, ...] = ()


def _s(where: str, pick: str = "", drop: str = "", template: str = "") -> Source:
    return Source(where, pick, drop, template)


X_NAME = r"^(?P<name>.+?)(?: on X:| on Twitter| \(@|$)"
TIKTOK_NAME = r"^(?P<name>.+?)(?: on TikTok| \(@| \| TikTok|$)"

SITE_RULES: tuple[SiteRule, ...] = (
    # Social sites: the post or the person, not the platform's wrapper.
    SiteRule(
        "x",
        hosts=r"twitter\.com|x\.com",
        title=(
            _s("meta:og:title", pick=X_NAME, template="{name} (@{handle}) on X"),
            _s("url", template="@{handle} on X"),
        ),
        description=(
            _s("ld:mainEntity.description"),
            _s("meta:og:description"),
            _s("meta:og:title", pick=r' on X: "(?P<text>.+?)"(?: / X)?$'),
        ),
    ),
    SiteRule(
        "instagram",
        hosts=r"instagram\.com",
        title=(_s("meta:twitter:title"),),
    ),
    SiteRule(
        "tiktok",
        hosts=r"tiktok\.com",
        title=(
            _s("meta:og:title", pick=TIKTOK_NAME, template="{name} (@{at_handle}) on TikTok"),
            _s("meta:og:title", pick=TIKTOK_NAME, template="{name}"),
        ),
    ),
    SiteRule(
        "reddit",
        hosts=r"reddit\.com|redd\.it",
        title=(_s("title"),),  # og:title is "From the r/... community on Reddit: ..."
        description=(_s("meta:description"),),  # og:description: "Explore this post and more"
    ),
    SiteRule(
        "dribbble",
        hosts=r"dribbble\.com",
        description=(
            _s(
                "meta:description",
                pick=r"^[^|]+? \| (?P<text>.+?)(?: \| [^|]*Connect with them on Dribbble.*)?$",
            ),
        ),
    ),
    # Shops and catalogues.
    SiteRule(
        "amazon",
        hosts=r"amazon(?:\.[a-z]{2,3}){1,2}|amzn\.[a-z]{2,3}|a\.co",
        title=(
            _s("element:#productTitle"),
            _s("element:#btAsinTitle"),
            _s("element:h1.a-size-large"),
            _s("element:#item_name"),
        ),
    ),
    SiteRule(
        "imdb",
        hosts=r"imdb\.com",
        title=(_s("ld:name"),),  # og:title adds the rating and genres
        description=(_s("meta:description"), _s("ld:description")),  # og: "1h 43m | PG-13"
    ),
    SiteRule(
        "spotify",
        hosts=r"spotify\.com",
        description=(
            _s("meta:og:description", pick=r"on Spotify\. (?P<text>.+)$"),
            _s("meta:og:description"),
        ),
    ),
    # Video.
    SiteRule(
        "youtube",
        hosts=r"youtube\.com|youtu\.be",
        title=(_s("title", drop=r" - YouTube"),),
    ),
    SiteRule(
        "vimeo",
        hosts=r"vimeo\.com",
        title=(_s("meta:og:title"),),  # <title> adds "on Vimeo"
        description=(_s("meta:og:description"),),
    ),
    # Code, questions, writing platforms: their og: tags hold the page's own text.
    SiteRule(
        "github",
        hosts=r"github\.com",
        title=(_s("meta:og:title"),),
        description=(_s("meta:og:description"),),
    ),
    SiteRule(
        "stackoverflow",
        hosts=r"stackoverflow\.com|stackexchange\.com|superuser\.com|serverfault\.com",
        title=(_s("meta:og:title"),),  # <title> prefixes the first tag: "python - ..."
        description=(_s("meta:og:description"),),
    ),
    SiteRule(
        "medium",
        hosts=r"medium\.com",
        title=(_s("meta:og:title"),),
        description=(_s("meta:og:description"),),
    ),
    SiteRule(
        "substack",
        hosts=r"substack\.com",
        title=(_s("meta:og:title"),),
        description=(_s("meta:og:description"),),
    ),
    SiteRule(
        "wikipedia",
        hosts=r"wikipedia\.org",
        # No description is declared; the digest's quote is the article's first paragraph.
        summary=(_s("paragraph:#mw-content-text"),),
    ),
    # Scholarly pages: the article's own metadata over the publisher's og: tags.
    SiteRule(
        "arxiv",
        hosts=r"arxiv\.org",
        title=(_s("meta:citation_title"),),
        description=(_s(GENERIC), _s("meta:citation_abstract")),
    ),
    SiteRule(
        "pubmed",
        hosts=r"pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov|europepmc\.org",
        title=(_s("meta:citation_title"), _s("meta:dc.title")),
        # The meta description is the abstract cut short; citation_abstract holds it whole.
        description=(_s("meta:citation_abstract"), _s(GENERIC)),
    ),
    SiteRule(
        "scholarly",
        when_meta="citation_",
        title=(_s("meta:citation_title"),),
        description=(_s(GENERIC), _s("meta:citation_abstract"), _s("meta:dc.description")),
    ),
)

_HOSTS = tuple(
    (rule, re.compile(rf"(?:^|\.)(?:{rule.hosts})$", re.IGNORECASE))
    for rule in SITE_RULES
    if rule.hosts
)


def find_site_rule(url: str, meta_names: frozenset[str]) -> SiteRule | None:
    """The first rule for the page at ``url`` whose host matches, else whose trait it has."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    for rule, pattern in _HOSTS:
        if pattern.search(host):
            return rule
    for rule in SITE_RULES:
        if rule.when_meta and any(name.startswith(rule.when_meta) for name in meta_names):
            return rule
    return None
