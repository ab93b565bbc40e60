"""sitemap: writes sitemap.xml and robots.txt when SITEMAP_ENABLED (production builds).

Runs as a generator (``get_generators``) rather than on ``finalized`` because a generator's
``generate_output`` is handed the final context (articles, pages, period archives) and runs
before Pelican reports the build as done, so a failure here fails the build.
"""

from __future__ import annotations

import os
from typing import Any

from pelican import signals
from pelican.generators import Generator

from linkdigest.files import write_text_atomic
from linkdigest.format.urls import render_site_url
from linkdigest.site.sitemap import SitemapUrl, render_robots, render_sitemap


class SitemapGenerator(Generator):
    """Lists the home page, every published article and page, categories and tags."""

    def generate_output(self, _writer: Any) -> None:
        if not self.settings.get("SITEMAP_ENABLED"):
            return
        site = self.settings["SITEURL"]
        write_text_atomic(
            os.path.join(self.output_path, "sitemap.xml"), render_sitemap(self.iter_urls(site))
        )
        write_text_atomic(os.path.join(self.output_path, "robots.txt"), render_robots(site))

    def iter_urls(self, site: str) -> list[SitemapUrl]:
        urls = [SitemapUrl(render_site_url(site, ""))]
        for content in [*self.context.get("articles", []), *self.context.get("pages", [])]:
            changed = getattr(content, "modified", None) or getattr(content, "date", None)
            lastmod = changed.date().isoformat() if changed else ""
            urls.append(SitemapUrl(render_site_url(site, content.url), lastmod))
        for taxonomy in ("categories", "tags"):
            urls.extend(
                SitemapUrl(render_site_url(site, item.url))
                for item, _ in self.context.get(taxonomy, [])
            )
        return urls


def get_generators(_pelican: Any) -> type[Generator]:
    return SitemapGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
