"""The network: the one place HTTP clients are built, and the cache of what was fetched.

- ``settings``: the ``[http]`` and ``[hosts.*]`` tables (HttpSettings, HostPolicy).
- ``transport``: httpcore pools on asyncio sockets; failures given a kind (FailureKind).
- ``scheduler``: per-host slots, spacing, holds and the pace a host teaches (429s).
- ``fetcher``: the Fetcher (redirects, retries, deadlines, caps) and FetchResult.
- ``cache``: a JSON cache of fetched titles and summaries.

May import: ``linkdigest.format`` (URLs), ``linkdigest.errors``, ``linkdigest.files``,
``linkdigest.settings``. Never imported by ``site`` or the Pelican plugin: the build never
uses the network.
"""

from linkdigest.net.fetcher import Fetcher, FetchResult, Redirect
from linkdigest.net.scheduler import HostPace
from linkdigest.net.settings import (
    HostPolicy,
    HttpSettings,
    parse_http_settings,
    read_http_settings,
)
from linkdigest.net.transport import FailureKind

__all__ = [
    "FailureKind",
    "FetchResult",
    "Fetcher",
    "HostPace",
    "HostPolicy",
    "HttpSettings",
    "Redirect",
    "parse_http_settings",
    "read_http_settings",
]
