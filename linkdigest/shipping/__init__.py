"""Shipping a built site: the publish gates (links, content), the deploy targets (a folder,
rsync, a GitHub Pages branch) and the audit of pages in a real browser.

May import: ``linkdigest.checking``, ``linkdigest.format``, ``linkdigest.net``,
``linkdigest.errors``, ``linkdigest.files``, ``linkdigest.settings``.
"""
