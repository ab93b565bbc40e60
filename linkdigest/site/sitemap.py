"""sitemap.xml and robots.txt for production builds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: str = ""


def render_sitemap(urls: Iterable[SitemapUrl]) -> str:
    """A sitemaps.org urlset; each URL once, in the order given."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    seen: set[str] = set()
    for url in urls:
        if url.loc in seen:
            continue
        seen.add(url.loc)
        lastmod = f"<lastmod>{escape(url.lastmod)}</lastmod>" if url.lastmod else ""
        lines.append(f"<url><loc>{escape(url.loc)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def render_robots(site_url: str, sitemap_path: str = "sitemap.xml") -> str:
    """Allow everything and point crawlers at the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site_url.rstrip('/')}/{sitemap_path}\n"
