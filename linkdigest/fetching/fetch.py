"""Turn URLs into link information (title, summary, site) through the polite fetcher.

Videos ask their provider's oEmbed endpoint first (one small JSON request instead of a
heavy page); everything else is fetched and read by ``linkdigest.fetching.extract``. Results go
through the cache; a failure is never cached, so the next run tries again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import urlencode

from linkdigest.fetching.extract import parse_oembed, parse_page, render_summary_cut
from linkdigest.format.urls import normalise_url, parse_vimeo_id, parse_youtube_id
from linkdigest.net import Fetcher, FetchResult
from linkdigest.net.cache import Cache
from linkdigest.settings import parse_table

DAY = 86400.0


@dataclass(frozen=True)
class FetchOptions:
    """The ``[fetch]`` table of the settings file."""

    ttl_days: float = 30.0
    trim_site_suffix: bool = False
    max_description: int = 300
    youtube_oembed: str = "https://www.youtube.com/oembed"
    vimeo_oembed: str = "https://vimeo.com/api/oembed.json"


@dataclass(frozen=True)
class LinkInfo:
    """What a digest entry needs from a URL; ``error`` says why there is nothing.

    ``description`` is the page's whole description, ``summary`` the digest's quote (cut to
    ``max_description``); entries are written with the summary.
    """

    url: str
    final_url: str = ""
    title: str = ""
    description: str = ""
    site_name: str = ""
    canonical_url: str = ""
    language: str = ""
    content_type: str = ""
    error: str = ""
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinkInfo:
        known = {f.name for f in fields(cls)}
        info = cls(**{k: str(v) for k, v in data.items() if k in known})
        # Caches written before the summary was its own field held the cut description.
        return info if "summary" in data else replace(info, summary=info.description)


def parse_fetch_options(data: Mapping[str, Any], source: str = "<settings>") -> FetchOptions:
    """Options from the parsed settings file's ``[fetch]`` table."""
    return FetchOptions(**parse_table(data.get("fetch", {}), FetchOptions, source, "fetch"))


def render_oembed_url(url: str, options: FetchOptions) -> str | None:
    """The oEmbed request for a YouTube or Vimeo video URL, or None for anything else."""
    if parse_youtube_id(url):
        return f"{options.youtube_oembed}?{urlencode({'url': url, 'format': 'json'})}"
    if parse_vimeo_id(url):
        return f"{options.vimeo_oembed}?{urlencode({'url': url})}"
    return None


def parse_fetch_result(result: FetchResult, options: FetchOptions) -> LinkInfo:
    """LinkInfo from a fetched page: an error for network trouble, HTTP errors and walls."""
    if result.error:
        return LinkInfo(result.url, result.final_url, error=result.describe())
    if result.status is None or result.status >= 400:
        return LinkInfo(result.url, result.final_url, error=f"HTTP {result.status}")
    page = parse_page(
        result.body,
        result.final_url,
        result.headers,
        trim_site_suffix=options.trim_site_suffix,
        max_description=options.max_description,
    )
    if page.blocked:
        return LinkInfo(result.url, result.final_url, error=f"blocked: {page.blocked}")
    if result.body_failure is not None and not page.title:
        # The headers came, the page stalled or broke off before its title: a failure to
        # name (and retry next run), not an entry titled with its URL.
        return LinkInfo(result.url, result.final_url, error=result.body_problem)
    return LinkInfo(
        result.url,
        result.final_url,
        page.title,
        page.description,
        page.site_name,
        page.canonical_url,
        page.language,
        page.content_type,
        summary=page.summary,
    )


async def fetch_link_info(fetcher: Fetcher, url: str, options: FetchOptions) -> LinkInfo:
    """LinkInfo for one URL: oEmbed for videos (falling back to the page), else the page."""
    oembed = render_oembed_url(url, options)
    if oembed:
        info = parse_oembed_result(await fetcher.fetch(oembed), url, options.max_description)
        if info.ok:
            return info
    return parse_fetch_result(await fetcher.fetch(url), options)


def parse_oembed_result(
    result: FetchResult, url: str, max_description: int = FetchOptions.max_description
) -> LinkInfo:
    if result.error or result.status != 200:
        return LinkInfo(url, error=f"oEmbed: {result.error or f'HTTP {result.status}'}")
    try:
        data = json.loads(result.body)
    except ValueError:
        return LinkInfo(url, error="oEmbed: not JSON")
    title, description = parse_oembed(data if isinstance(data, dict) else {})
    site = str(data.get("provider_name", "")) if isinstance(data, dict) else ""
    if not title:
        return LinkInfo(url, error="oEmbed: no title")
    summary = render_summary_cut(description, max_description)
    return LinkInfo(url, url, title, description, site, content_type="text/html", summary=summary)


async def fetch_many(
    fetcher: Fetcher,
    urls: Iterable[str],
    cache: Cache,
    options: FetchOptions,
    progress: Callable[[LinkInfo], None] | None = None,
) -> list[LinkInfo]:
    """LinkInfo for each URL, in order: from the cache when fresh, else fetched once per
    normalised URL, all concurrently (the fetcher keeps it polite)."""
    urls = list(urls)
    ttl = options.ttl_days * DAY
    unique: dict[str, str] = {}
    for url in urls:
        unique.setdefault(normalise_url(url), url)

    async def one(url: str) -> LinkInfo:
        cached = cache.get(url, ttl)
        if cached:
            info = LinkInfo.from_json(cached)
        else:
            info = await fetch_link_info(fetcher, url, options)
        if info.ok and not cached:
            cache.put(url, info.to_json())
        if progress:
            progress(info)
        return info

    results = dict(
        zip(unique, await asyncio.gather(*(one(u) for u in unique.values())), strict=True)
    )
    return [_for_url(results[normalise_url(url)], url) for url in urls]


def _for_url(info: LinkInfo, url: str) -> LinkInfo:
    # Two spellings of one page share a result, but each keeps the URL its author wrote.
    return info if info.url == url else LinkInfo(**{**info.to_json(), "url": url})
