"""URL helpers: domains, normalisation for comparison, and video recognition."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|ref_src)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Added by YouTube's share button: who shared, not which video.
YOUTUBE_SHARE_PARAMS = frozenset({"si", "feature", "pp"})
YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"}
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^/(?:video/)?(\d+)(?:/([0-9a-f]+))?/?$")


@lru_cache(maxsize=65536)
def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@lru_cache(maxsize=65536)
def parse_domain(url: str) -> str:
    """The host a reader would recognise: lower case, without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


@lru_cache(maxsize=65536)
def normalise_url(url: str) -> str:
    """A comparison key: the same page gives the same key however it was written.

    Lower-cases scheme and host, drops default ports, tracking parameters, an empty
    query and a trailing slash on the path; YouTube short links become watch URLs.
    The fragment is kept: two sections of one long page are two different links.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    if host in YOUTUBE_HOSTS or host == "youtu.be":
        video = parse_youtube_id(url)
        if video:
            return f"https://youtube.com/watch?v={video}"
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = parts.query
    if query:
        query = urlencode(
            [
                (k, v)
                for k, v in parse_qsl(query, keep_blank_values=True)
                if not TRACKING_PARAMS.match(k)
            ]
        )
    return urlunsplit((scheme, host, parts.path.rstrip("/"), query, parts.fragment))


@lru_cache(maxsize=65536)
def normalise_for_dedup(url: str) -> str:
    """A looser key than ``normalise_url`` for merging links saved in several places: http
    and https, query parameter order, text-fragment directives and Vimeo player URLs do not
    make two links different. ``normalise_url`` stays as it is: it keys the fetch cache."""
    url = render_clean_url(url)
    vimeo = parse_vimeo_id(url)
    if vimeo:
        return f"https://vimeo.com/{vimeo}"
    parts = urlsplit(normalise_url(url))
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return urlunsplit(("https", parts.netloc, parts.path, query, parts.fragment))


@lru_cache(maxsize=65536)
def render_clean_url(url: str) -> str:
    """``url`` as written, without tracking parameters or a ``#:~:text=`` highlight: the
    link to publish. Everything else, encoding and parameter order included, is kept."""
    parts = urlsplit(url.strip())
    share = YOUTUBE_SHARE_PARAMS if parse_youtube_id(url) else frozenset()
    kept = [
        p
        for p in parts.query.split("&")
        if p and not TRACKING_PARAMS.match(name := p.split("=")[0]) and name not in share
    ]
    fragment = parts.fragment.split(":~:")[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), fragment))


@lru_cache(maxsize=65536)
def parse_youtube_id(url: str) -> str | None:
    """The 11-character video id of a YouTube video URL, or None."""
    parts = urlsplit(url)
    host = parse_domain(url)
    candidate = ""
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in YOUTUBE_HOSTS:
        if parts.path == "/watch":
            candidate = dict(parse_qsl(parts.query)).get("v", "")
        elif parts.path.startswith(("/embed/", "/shorts/", "/live/", "/v/")):
            candidate = parts.path.split("/")[2]
    return candidate if YOUTUBE_ID.match(candidate) else None


@lru_cache(maxsize=65536)
def parse_vimeo_id(url: str) -> str | None:
    """The numeric id of a Vimeo video URL (vimeo.com/ID or player.vimeo.com/video/ID)."""
    if parse_domain(url) not in ("vimeo.com", "player.vimeo.com"):
        return None
    match = VIMEO_ID.match(urlsplit(url).path)
    return match.group(1) if match else None


CACHED = (
    is_http_url,
    parse_domain,
    normalise_url,
    normalise_for_dedup,
    render_clean_url,
    parse_youtube_id,
    parse_vimeo_id,
)


def clear_url_caches() -> None:
    """Forget every URL seen so far: a site build calls this once it has read all posts,
    because the caches hold each of the archive's URLs several times over (about a fifth of
    the memory a digest costs) and the rest of the build asks them nothing new."""
    for function in CACHED:
        function.cache_clear()


def is_video_url(url: str) -> bool:
    """True when the URL is a YouTube or Vimeo video."""
    return bool(parse_youtube_id(url) or parse_vimeo_id(url))


def render_embed_url(url: str) -> str | None:
    """The privacy-enhanced player URL for a video URL, or None for anything else."""
    video = parse_youtube_id(url)
    if video:
        return f"https://www.youtube-nocookie.com/embed/{video}"
    vimeo = parse_vimeo_id(url)
    if vimeo:
        return f"https://player.vimeo.com/video/{vimeo}?dnt=1"
    return None


def render_site_url(site_url: str, path: str) -> str:
    """A site path made absolute with the site's URL; already absolute URLs, and any path
    when there is no site URL, stay as they are."""
    if not site_url or re.match(r"^[a-z][a-z0-9+.-]*://", path):
        return path
    return f"{site_url.rstrip('/')}/{path.lstrip('/')}"


@lru_cache(maxsize=65536)
def parse_scheme_host(url: str) -> tuple[str, str]:
    """The scheme and the lower-case host name of ``url`` ("" for either it lacks). Cached:
    a link check asks this of the same URLs several times per request."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower()


@lru_cache(maxsize=65536)
def parse_origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the port always given (a connection's end)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number: no connection is made to it anyway
        port = None
    scheme = parts.scheme.lower()
    return f"{scheme}://{(parts.hostname or '').lower()}:{port or DEFAULT_PORTS.get(scheme, 0)}"
