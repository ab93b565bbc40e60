"""Titles and summaries from pages: extraction from a page's bytes (pure), fetching many
links politely through ``net``, and filling a digest's empty entries in place.

May import: ``linkdigest.format``, ``linkdigest.net``, ``linkdigest.errors``,
``linkdigest.files``, ``linkdigest.settings``.
"""
