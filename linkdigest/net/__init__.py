"""The network: the one place HTTP clients are built (settings, transport, polite per-host
scheduling, retries, the Fetcher), and the cache of what was fetched.

May import: ``linkdigest.format`` (URLs), ``linkdigest.errors``, ``linkdigest.files``,
``linkdigest.settings``. Never imported by ``site`` or the Pelican plugin: the build never
uses the network.
"""
