"""What link checks remember between runs: each URL's last verdict and failure history, and
what each host taught (it refused HEAD, it rate-limits, it answered).

The cache owns its keys: a URL is kept exactly as written (``/a`` and ``/a/`` may differ),
a host by its lower-case name. The file is replaced atomically, so an interrupted run
leaves the previous one intact, and an unreadable file is set aside, never fatal. Files of
the first format (URL entries only) are read as they are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkdigest.files import write_text_atomic
from linkdigest.net import HostPace

VERSION = 2
HOST_MEMORY = 30 * 86400.0  # seconds a host's HEAD refusal or pace is remembered


@dataclass(frozen=True)
class UrlRecord:
    """One URL's last verdict, and how long it has been failing the same way."""

    verdict: str
    reason: str = ""
    status: int | None = None
    final_url: str = ""
    permanent: bool = False
    checked_at: float = 0.0
    failure: str = ""  # the kind of failure ("HTTP 5xx", "redirect loop", ...), "" if none
    first_failure: float | None = None  # when this kind of failure was first seen
    failed_runs: int = 0  # runs in a row that saw it

    @property
    def failed(self) -> bool:
        return self.verdict in ("dead", "unverifiable")


@dataclass
class LinkCache:
    """The link checker's memory. ``recovered`` says the file on disk was unreadable."""

    path: Path
    urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovered: str = ""
    changed: bool = False

    def record(self, url: str) -> UrlRecord | None:
        value = self.urls.get(url)
        return (
            UrlRecord(**{k: v for k, v in value.items() if k in RECORD_FIELDS}) if value else None
        )

    def put(self, url: str, record: UrlRecord) -> None:
        self.urls[url] = {name: getattr(record, name) for name in RECORD_FIELDS}
        self.changed = True

    def host(self, name: str) -> Mapping[str, Any]:
        return self.hosts.get(name.lower(), {})

    def note_host(self, name: str, **values: Any) -> None:
        entry = self.hosts.setdefault(name.lower(), {})
        entry.update(values)
        self.changed = True

    def head_refusers(self, now: float) -> set[str]:
        """Hosts a recent run found refusing HEAD (or answering it unlike GET)."""
        return {
            host
            for host, entry in self.hosts.items()
            if (entry.get("head_refused_at") or 0.0) >= now - HOST_MEMORY
        }

    def paces(self, now: float) -> dict[str, HostPace]:
        """The paces hosts taught recent runs (after a 429, or by announcing their limit)."""
        return {
            host: HostPace(int(entry["pace"][0]), float(entry["pace"][1]))
            for host, entry in self.hosts.items()
            if entry.get("pace") and (entry.get("paced_at") or 0.0) >= now - HOST_MEMORY
        }

    def answered_at(self, host: str) -> float | None:
        """When the host last gave any HTTP answer."""
        value = self.host(host).get("answered_at")
        return float(value) if value is not None else None


RECORD_FIELDS = tuple(UrlRecord.__dataclass_fields__)


def read_link_cache(path: str | os.PathLike[str]) -> LinkCache:
    """Load the cache; a missing file is an empty cache, a corrupt one is renamed aside."""
    target = Path(path)
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        return _parse(target, data)
    except FileNotFoundError:
        return LinkCache(target)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        aside = target.with_name(target.name + ".corrupt")
        os.replace(target, aside)
        return LinkCache(target, recovered=f"{target} was unreadable ({error}); moved to {aside}")


def _parse(path: Path, data: Any) -> LinkCache:
    if data.get("version") == 1:  # the first format: {"entries": {url: {stored, value}}}
        return _parse_first_format(path, data["entries"])
    if data.get("version") != VERSION:
        return LinkCache(path)
    urls, hosts = data["urls"], data["hosts"]
    if not isinstance(urls, dict) or not isinstance(hosts, dict):
        raise ValueError("unexpected structure")
    if not all(isinstance(v, dict) and isinstance(v.get("verdict"), str) for v in urls.values()):
        raise ValueError("unexpected structure")
    return LinkCache(path, urls, hosts)


def _parse_first_format(path: Path, entries: dict[str, Any]) -> LinkCache:
    cache = LinkCache(path)
    for url, entry in entries.items():
        value = entry["value"]
        cache.urls[url] = {
            "verdict": value["verdict"],
            "reason": value.get("reason", ""),
            "status": value.get("status"),
            "final_url": value.get("final_url", ""),
            "permanent": bool(value.get("permanent")),
            "checked_at": float(entry["stored"]),
            "first_failure": value.get("first_failure"),
            "failed_runs": int(value.get("consecutive_failures", 0)),
        }
        if value.get("head_refused_at"):
            host = (url.split("://", 1)[-1].split("/", 1)[0].split(":")[0]).lower()
            cache.hosts.setdefault(host, {})["head_refused_at"] = value["head_refused_at"]
    return cache


def write_link_cache(cache: LinkCache) -> None:
    """Write the cache atomically when something changed."""
    if cache.changed:
        document = {"version": VERSION, "urls": cache.urls, "hosts": cache.hosts}
        write_text_atomic(
            cache.path, json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        )
        cache.changed = False
