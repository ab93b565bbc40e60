"""What a run of a subcommand needs, built once: its settings, caches and Fetcher.

Each subcommand used to read the settings, parse its tables, open a cache, build a Fetcher,
write the cache back and catch errors on its own; a ``Session`` does those once, and keeps
a list of what the run wrote, so an interrupted run can say it. The network modules are
imported only when a cache or the Fetcher is asked for.
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkdigest.cli.output import say
from linkdigest.settings import DEFAULT_PATH, read_settings_file

if TYPE_CHECKING:
    from linkdigest.checking.cache import LinkCache
    from linkdigest.net import Fetcher, HttpSettings
    from linkdigest.net.cache import Cache

# Caches live in the folder a command runs in (the blog's root), like the default settings.
FETCH_CACHE = Path(".cache/linkdigest/fetch.json")
LINK_CACHE = Path(".cache/linkdigest/links.json")


class Session:
    """One run: ``program`` (for messages), the settings file, read when first needed and
    then kept, the tables parsed from it, the run's caches and its one Fetcher."""

    def __init__(self, program: str, settings: str | Path = DEFAULT_PATH) -> None:
        self.program = program
        self.settings_path = Path(settings)
        self.written: list[str] = []
        self._fetcher: Fetcher | None = None

    @property
    def source(self) -> str:
        """The settings file as messages name it."""
        return str(self.settings_path)

    @property
    def base(self) -> Path:
        """The folder paths in the settings are relative to: the settings file's own."""
        return self.settings_path.resolve().parent

    @cached_property
    def data(self) -> dict[str, Any]:
        return read_settings_file(self.settings_path)

    @cached_property
    def http(self) -> HttpSettings:
        from linkdigest.net import parse_http_settings

        return parse_http_settings(self.data, self.source)

    def say(self, message: str) -> None:
        say(self.program, message)

    def wrote(self, what: str | Path) -> None:
        """Note that the run wrote ``what`` (a file, or a sentence), for an interrupt to say."""
        self.written.append(str(what))

    def render_written(self) -> str:
        if not self.written:
            return "nothing written"
        return "wrote " + ", ".join(dict.fromkeys(self.written)) + " (each whole)"

    def fetch_cache(self, path: str | Path, *, disabled: bool, normalise: bool = True) -> Cache:
        return read_run_cache(self.program, path, disabled=disabled, normalise=normalise)

    def write_fetch_cache(self, cache: Cache) -> None:
        from linkdigest.net.cache import write_cache

        write_cache(cache)
        self.wrote(cache.path)

    def link_cache(self, path: str | Path, *, disabled: bool = False) -> LinkCache:
        from linkdigest.checking.cache import LinkCache, read_link_cache

        cache = LinkCache(Path(path)) if disabled else read_link_cache(path)
        if cache.recovered:
            self.say(cache.recovered)
        return cache

    def write_link_cache(self, cache: LinkCache) -> None:
        from linkdigest.checking.cache import write_link_cache

        write_link_cache(cache)
        self.wrote(cache.path)

    def fetcher(self, links: LinkCache | None = None) -> Fetcher:
        """The run's one Fetcher (built on first use; enter it with ``async with``). With
        ``links``, it starts at the paces hosts taught the link checker's recent runs."""
        if self._fetcher is None:
            from linkdigest.net import Fetcher

            pacing = links.paces(time.time()) if links is not None else None
            self._fetcher = Fetcher(self.http, pacing=pacing)
        return self._fetcher


def read_run_cache(
    program: str, path: str | Path, *, disabled: bool, normalise: bool = True
) -> Cache:
    """The run's fetch cache: empty when ``disabled`` (``--no-cache``); an unreadable file is
    set aside and said so on stderr."""
    from linkdigest.net.cache import Cache, read_cache

    if disabled:
        return Cache(Path(path), normalise=normalise)
    cache = read_cache(path, normalise=normalise)
    if cache.recovered:
        say(program, cache.recovered)
    return cache
