#!/usr/bin/env python3
"""Fetch speed: titles and summaries for many URLs, against the floor politeness allows.

Starts N local hosts (distinct 127.0.1.x addresses, in a separate process so their CPU is
not counted as ours) whose pages answer after a fixed latency, then fetches every URL with
the project's HTTP layer, extraction and cache, cold and then warm. Prints wall time
against the floor (URLs per host x latency / per-host limit), CPU time per URL, peak memory
and the warm re-run. Goals: <= 1.25x the floor, <= 200 MB, warm re-run <= 2 s.

Usage: benchmarks/fetch_speed.py [--urls 2000] [--hosts 20] [--latency 0.1] [--per-host 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkdigest.fetching.fetch import FetchOptions, fetch_many
from linkdigest.net import Fetcher, HostPolicy, HttpSettings
from linkdigest.net.cache import read_cache, write_cache

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Article {path} | Host {host}</title>
<meta property="og:title" content="Article {path}">
<meta property="og:description" content="A page about {path}, long enough to be a real
summary of what the article says, with a sentence or two of detail.">
<meta property="og:site_name" content="Host {host}">
<link rel="canonical" href="http://{host}{path}">
</head><body><nav><a href="/">Home</a></nav><article><h1>Article {path}</h1>
{paragraphs}</article><footer><p>Footer text.</p></footer></body></html>"""
PARAGRAPH = "<p>Paragraph of body text that makes the page a realistic size. " * 6 + "</p>\n"


def serve(hosts: int, latency: float, ports: multiprocessing.Queue) -> None:
    body_cache: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, the body waits for the
        # client's delayed ACK (40 ms a request) - a stall real servers do not have.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:
            time.sleep(latency)
            key = f"{self.server.server_address[0]}{self.path}"
            if key not in body_cache:
                body_cache[key] = PAGE.format(
                    path=self.path, host=self.server.server_address[0], paragraphs=PARAGRAPH * 8
                ).encode()
            body = body_cache[key]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = []
    for index in range(hosts):
        server = ThreadingHTTPServer((f"127.0.1.{index + 1}", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ports.put([(s.server_address[0], s.server_address[1]) for s in servers])
    threading.Event().wait()


async def fetch_all(urls: list[str], settings: HttpSettings, cache_path: Path) -> int:
    cache = read_cache(cache_path)
    async with Fetcher(settings) as fetcher:
        infos = await fetch_many(fetcher, urls, cache, FetchOptions())
    write_cache(cache)
    return sum(1 for info in infos if info.ok)


def timed(urls: list[str], settings: HttpSettings, cache: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    ok = asyncio.run(fetch_all(urls, settings, cache))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.05, help="per-host delay (seconds)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(args.hosts, args.latency, ports), daemon=True
    )
    server.start()
    try:
        hosts = ports.get(timeout=30)
        urls = [
            f"http://{hosts[n % args.hosts][0]}:{hosts[n % args.hosts][1]}/article/{n}"
            for n in range(args.urls)
        ]
        settings = HttpSettings(
            site="Benchmark",
            retries=0,
            max_connections=64,
            default_host=HostPolicy(args.per_host, args.delay),
        )
        cache = Path(tempfile.mkdtemp(prefix="fetch-speed-")) / "cache.json"
        print(
            f"fetch_speed: {args.urls} URLs over {args.hosts} hosts, {args.latency * 1000:.0f}"
            f" ms latency, {args.per_host} per host",
            file=sys.stderr,
        )
        cold, cpu, ok = timed(urls, settings, cache)
        warm, _, warm_ok = timed(urls, settings, cache)
    finally:
        server.terminate()
    floor = args.urls / args.hosts * args.latency / args.per_host
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"URLs fetched: {ok}/{args.urls} cold, {warm_ok}/{args.urls} warm")
    print(f"politeness floor:     {floor:7.2f} s")
    print(f"cold run:             {cold:7.2f} s  = {cold / floor:.2f}x the floor (goal <= 1.25x)")
    print(f"CPU per URL:          {cpu / args.urls * 1000:7.2f} ms")
    print(f"peak memory (RSS):    {peak_mb:7.1f} MB (goal <= 200 MB)")
    print(f"warm re-run (cache):  {warm:7.2f} s (goal <= 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
