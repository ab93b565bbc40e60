"""HTTP settings: the ``[http]`` and ``[hosts.*]`` tables, as data the Fetcher obeys.

Politeness is data, not code: per-host concurrency, delays, skips and accepted codes live in
the settings file, the longest matching ``[hosts."name"]`` entry winning for a host and its
subdomains. Invalid settings are reported once, naming the file, when they are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from linkdigest import __version__
from linkdigest.errors import ConfigError
from linkdigest.settings import parse_table, read_settings_file


@dataclass(frozen=True)
class HostPolicy:
    """How to treat one host: politeness, and whether to leave it alone."""

    concurrency: int = 2
    delay: float = 0.05
    skip: bool = False
    reason: str = ""
    accept: tuple[int, ...] = ()


@dataclass(frozen=True)
class HttpSettings:
    """Client and politeness settings, read from the ``[http]`` and ``[hosts.*]`` tables."""

    site: str = "linkdigest"
    contact: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    # Seconds one request may take in all (connecting, the answer, its body): a server that
    # trickles or stalls cannot hold a link longer than this.
    deadline: float = 15.0
    max_connections: int = 32
    max_redirects: int = 10
    retries: int = 3
    backoff: float = 0.5
    retry_after_cap: float = 60.0
    max_bytes: int = 5_000_000
    default_host: HostPolicy = field(default_factory=HostPolicy)
    hosts: Mapping[str, HostPolicy] = field(default_factory=dict)

    @property
    def user_agent(self) -> str:
        name = "".join(ch for ch in self.site if ch.isalnum()) or "linkdigest"
        contact = f"; +{self.contact}" if self.contact else ""
        return f"{name}-linkdigest/{__version__} (link digest helper{contact})"

    def policy_for(self, host: str) -> HostPolicy:
        """The policy of the longest ``[hosts]`` entry matching the host or a parent domain."""
        host = host.lower().rstrip(".")
        matches = [name for name in self.hosts if host == name or host.endswith("." + name)]
        return self.hosts[max(matches, key=len)] if matches else self.default_host


def read_http_settings(path: str | Path) -> HttpSettings:
    """Read ``[http]`` and ``[hosts.*]`` from a TOML settings file; ConfigError names the
    file and the bad key."""
    return parse_http_settings(read_settings_file(path), str(path))


def parse_http_settings(data: Mapping[str, Any], source: str = "<settings>") -> HttpSettings:
    """Settings from parsed TOML; unknown keys and wrong types are errors, not surprises."""
    http = parse_table(
        data.get("http", {}), HttpSettings, source, "http", ignore=("default_host", "hosts")
    )
    for key in ("connect_timeout", "read_timeout", "deadline"):
        if key in http and http[key] <= 0:
            raise ConfigError(source, None, f"[http] {key} must be more than 0 seconds")
    hosts = dict(data.get("hosts", {}))
    default = _host_policy(hosts.pop("default", {}), HostPolicy(), source, "default")
    policies = {
        name.lower(): _host_policy(table, default, source, name) for name, table in hosts.items()
    }
    return HttpSettings(**http, default_host=default, hosts=policies)


def _host_policy(table: Mapping[str, Any], base: HostPolicy, source: str, name: str) -> HostPolicy:
    values = parse_table(table, HostPolicy, source, f"hosts.{name}")
    if "accept" in values:
        values["accept"] = tuple(int(code) for code in values["accept"])
    policy = replace(base, **values)
    if policy.concurrency < 1 or policy.delay < 0:
        raise ConfigError(source, None, f"[hosts.{name}]: concurrency must be >= 1 and delay >= 0")
    return policy


def render_request_headers(settings: HttpSettings) -> dict[str, str]:
    """The headers every request carries: one honest user agent, what we accept."""
    return {
        "User-Agent": settings.user_agent,
        "Accept-Encoding": "gzip, deflate",
        "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    }


def render_timeouts(settings: HttpSettings) -> dict[str, float]:
    """httpcore's timeout extension: connect, and the longest gap between bytes."""
    read, connect = settings.read_timeout, settings.connect_timeout
    return {"connect": connect, "read": read, "write": read, "pool": settings.deadline}
