"""Production settings: everything from pelicanconf.py, with absolute URLs and no drafts.

Built with `pelican --fatal warnings -s publishconf.py` (see `make publish`).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("SITEURL", "https://links.example.org").rstrip("/")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
CANONICAL_SITEURL = SITEURL
DELETE_OUTPUT_DIRECTORY = True

# Drafts are read (so their problems can be reported) but never written.
DRAFT_SAVE_AS = ""
DRAFT_URL = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_URL = ""
DIGEST_WARN_DRAFTS = False
SHOW_DRAFTS = False

SITEMAP_ENABLED = True

# Always a cold, complete build: every warning is reported and fatal.
LOAD_CONTENT_CACHE = False
