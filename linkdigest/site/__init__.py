"""The site build: digest HTML for templates, sanitizing, images, intrasite references,
checks of a post's source, the links page and links.json, feeds, sitemap and search index.
Used by the Pelican plugin; never touches the network.

May import: ``linkdigest.format``, ``linkdigest.errors``, ``linkdigest.files``. Never
``linkdigest.net``, ``fetching``, ``drafting``, ``checking`` or ``shipping``.
"""
