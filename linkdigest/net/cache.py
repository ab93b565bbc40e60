"""A JSON cache on disk, keyed by normalised URL, with a time-to-live per read.

The file is replaced atomically, so an interrupted run leaves the previous cache intact;
a corrupt or partial file is set aside and the run starts with an empty cache instead of
failing. Callers decide what may be stored: transient failures never should be.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkdigest.files import write_text_atomic
from linkdigest.format.urls import normalise_url

VERSION = 1


@dataclass
class Cache:
    """Entries in memory; ``recovered`` says the file on disk was unreadable and set aside."""

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovered: str = ""
    changed: bool = False
    normalise: bool = True  # False: key by the exact URL (link checks: /a and /a/ may differ)

    def key(self, url: str) -> str:
        return normalise_url(url) if self.normalise else url

    def get(self, url: str, ttl: float, now: float | None = None) -> Mapping[str, Any] | None:
        """The value stored for ``url`` if it is younger than ``ttl`` seconds."""
        entry = self.entries.get(self.key(url))
        if not entry or (now or time.time()) - entry["stored"] > ttl:
            return None
        value: Mapping[str, Any] = entry["value"]
        return value

    def put(self, url: str, value: Mapping[str, Any], now: float | None = None) -> None:
        self.entries[self.key(url)] = {"stored": now or time.time(), "value": dict(value)}
        self.changed = True


def read_cache(path: str | os.PathLike[str], normalise: bool = True) -> Cache:
    """Load the cache; a missing file is an empty cache, a corrupt one is renamed aside."""
    target = Path(path)
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        entries = data["entries"] if data.get("version") == VERSION else {}
        if not isinstance(entries, dict) or not all(_valid(e) for e in entries.values()):
            raise ValueError("unexpected structure")
        return Cache(target, entries, normalise=normalise)
    except FileNotFoundError:
        return Cache(target, normalise=normalise)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        aside = target.with_name(target.name + ".corrupt")
        os.replace(target, aside)
        return Cache(
            target,
            recovered=f"{target} was unreadable ({error}); moved to {aside}",
            normalise=normalise,
        )


def write_cache(cache: Cache) -> None:
    """Write the cache atomically when something changed."""
    if cache.changed:
        document = {"version": VERSION, "entries": cache.entries}
        write_text_atomic(
            cache.path, json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        )
        cache.changed = False


def _valid(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("stored"), int | float)
        and isinstance(entry.get("value"), dict)
    )
