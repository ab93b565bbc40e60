"""The month-end loop: reading the places links are kept (inbox, RSS/Atom feeds, bookmark
exports, reading lists), choosing and grouping candidates, and drafting or merging the
month's digest without losing an edit.

May import: ``linkdigest.format``, ``linkdigest.fetching``, ``linkdigest.net``,
``linkdigest.errors``, ``linkdigest.files``, ``linkdigest.settings``.
"""
