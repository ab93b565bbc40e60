"""Site settings for local preview: `make html`, `make serve`, `make devserver`.

publishconf.py imports everything here and overrides what production needs.
"""

from __future__ import annotations

import os

AUTHOR = "Sam Rivera"
SITENAME = "Links & Notes"
SITESUBTITLE = "What I read this month, and a few notes of my own"
SITE_DESCRIPTION = (
    "A monthly digest of the articles, talks and tools worth your time: "
    "Python, the web, security and the craft of building software."
)
# Local preview: links relative so output/ works from a file:// URL, while feeds carry
# absolute URLs pointing at the preview server (`make serve` / `make devserver`).
SITEURL = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
RELATIVE_URLS = True
FEED_DOMAIN = SITEURL
# Absolute even when RELATIVE_URLS rewrites SITEURL per page: canonical, Open Graph, JSON-LD.
CANONICAL_SITEURL = SITEURL

PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
TIMEZONE = "Europe/Berlin"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"
DEFAULT_PAGINATION = 10
SUMMARY_MAX_LENGTH = 40
# How the theme names a category (the digest category's name is a setting of the plugin).
CATEGORY_LABELS = {"summary": "Monthly digests", "notes": "Notes"}
# Shared by link previews (Open Graph, Twitter) for pages without a Header_Cover of their own.
SOCIAL_IMAGE = "/images/avatar.jpg"
# The browser's toolbar colour in each scheme; the same values as --bg in theme/static/css.
THEME_COLOR_LIGHT = "#fdfcfa"
THEME_COLOR_DARK = "#15171b"

# The package's Pelican plugin (pelican.plugins.linkdigest), installed in .venv by `make`.
PLUGINS = ["linkdigest"]

ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "extra"]
EXTRA_PATH_METADATA = {
    "extra/favicon.svg": {"path": "favicon.svg"},
}

ARTICLE_URL = "posts/{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = DRAFT_URL + "index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = PAGE_URL + "index.html"
DRAFT_PAGE_URL = "drafts/pages/{slug}/"
DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_URL + "index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = CATEGORY_URL + "index.html"
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = CATEGORIES_URL + "index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = TAG_URL + "index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = TAGS_URL + "index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = AUTHOR_URL + "index.html"
AUTHORS_URL = "authors/"
AUTHORS_SAVE_AS = AUTHORS_URL + "index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = ARCHIVES_URL + "index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = YEAR_ARCHIVE_URL + "index.html"
MONTH_ARCHIVE_URL = "{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_URL + "index.html"
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
INDEX_SAVE_AS = "index.html"

# Feeds: Atom and RSS for everything, per category and per tag; one entry per post.
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
FEED_ALL_JSON = "feeds/all.json"  # JSON Feed 1.1, by the linkdigest plugin (same items)
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/category/{slug}.rss.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tag/{slug}.rss.xml"
FEED_ATOM = None
FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
FEED_MAX_ITEMS = 20
RSS_FEED_SUMMARY_ONLY = False

# 404 is written to 404.html, where static hosts (GitHub Pages, Netlify, nginx) look for it.
DIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives", "404"]

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {},
    },
    "output_format": "html5",
}

# Digest (plugins/linkdigest/digest.py): the category that marks a digest, where the links go.
DIGEST_CATEGORY = "summary"
DIGEST_LINKS_SAVE_AS = "links/index.html"
DIGEST_LINKS_URL = "links/"
DIGEST_LINKS_JSON_SAVE_AS = "links.json"
DIGEST_WARN_DRAFTS = True

# Drafts are written to drafts/ and listed on the home page while previewing.
SHOW_DRAFTS = True
SITEMAP_ENABLED = False

# Search (plugins/linkdigest/search.py): the Pagefind index of posts and digest links, and the
# search page. Indexing runs on every build and needs no network.
SEARCH_ENABLED = True
SEARCH_URL = "search/"
SEARCH_SAVE_AS = "search/index.html"

CACHE_CONTENT = True
GZIP_CACHE = False  # compressing the cache costs more build time than the disk it saves
LOAD_CONTENT_CACHE = True
CACHE_PATH = ".cache/pelican"
