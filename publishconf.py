"""Production settings: everything from pelicanconf.py, with absolute URLs and no drafts.

Built with `pelican --fatal warnings -s publishconf.py` (see `make publish`).
"""

from __future__ import annotations

import os
from runpy import run_path

# Pelican loads a settings file by its path, without putting its folder on sys.path, so
# pelicanconf.py is read by its path too (`from pelicanconf import *` would need sys.path).
_preview = run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pelicanconf.py"))
globals().update((name, value) for name, value in _preview.items() if name.isupper())

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
