"""The saved real-world-like pages served by a local server and read through the real
HTTP layer: charsets from headers and <meta>, a BOM, gzip, a PDF, walls, all exact."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from linkdigest.fetching.extract import parse_page
from linkdigest.net import Fetcher, FetchResult, HostPolicy, HttpSettings
from tests.servers import LocalServer, Reply, start_servers

PAGES = Path(__file__).parent / "fixtures" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
SETTINGS = HttpSettings(site="Test", retries=0, default_host=HostPolicy(4, 0.0))


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, FetchResult]]:
    for (server,) in start_servers(["127.0.0.8"]):
        for index, (name, case) in enumerate(sorted(EXPECTED.items())):
            body = (PAGES / name).read_bytes()
            headers = dict(case.get("headers", {}))
            if index % 2:  # every other page travels gzipped, as most servers send them
                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            server.routes[f"/{quote(name)}"] = Reply(headers=headers, body=body)
        yield fetch_all(server)
        assert not server.unexpected


def fetch_all(server: LocalServer) -> dict[str, FetchResult]:
    async def main() -> list[FetchResult]:
        async with Fetcher(SETTINGS) as fetcher:
            return await asyncio.gather(
                *(fetcher.fetch(server.url(f"/{quote(name)}")) for name in EXPECTED)
            )

    return dict(zip(EXPECTED, asyncio.run(main()), strict=True))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_served_page_reads_exactly_as_saved(served: dict[str, FetchResult], name: str) -> None:
    case, result = EXPECTED[name], served[name]
    assert (result.status, result.error) == (200, "")
    info = parse_page(result.body, case["url"], result.headers, **case.get("options", {}))
    assert info.title == case["title"]
    assert info.description == case["description"]
    if "summary" in case:
        assert info.summary == case["summary"]
    assert info.blocked == case.get("blocked", "")
    for key in ("site_name", "language", "canonical_url"):
        if key in case:
            assert getattr(info, key) == case[key], key
