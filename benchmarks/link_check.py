#!/usr/bin/env python3
"""Link checking: ours against LinkChecker and linkinator on one local corpus, in one run.

A child process serves N hosts (127.0.2.x) whose pages answer after a fixed latency: about
5% of the URLs are dead (404/410 on hosts that otherwise answer), and a share behave
awkwardly (HEAD 405 or 404 but GET 200, a transient 500, redirects, 999, a Cloudflare
challenge, 429 and 503 with Retry-After). One page on 127.0.2.250 links to every URL, for
the tools that crawl. Prints wall time against the politeness floor (URLs per host x
latency / per-host limit), CPU per URL, peak memory, the warm re-run, accuracy (false dead,
missed dead) and the most requests each tool had in flight on one host.

The other tools are optional: LinkChecker (PyPI ``linkchecker``) on PATH or in --linkchecker,
linkinator 7 (npm) from --linkinator (a node_modules/.bin/linkinator). Missing ones are
reported as not run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import io
import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkdigest.cache import read_cache, write_cache
from linkdigest.http import Fetcher, HostPolicy, HttpSettings
from linkdigest.linkcheck import CheckOptions, Verdict, check_many, render_confirm_settings

PAGE_HOST = "127.0.2.250"


def behaviour(host: int, n: int) -> str:
    """What URL n on host number ``host`` does; dead ones first so the truth is simple."""
    if n % 40 == 0:
        return "404"
    if n % 40 == 20:
        return "410"
    special = {1: "head405", 2: "head404", 3: "flaky", 4: "redirect", 5: "999", 6: "challenge"}
    if n % 25 in special:
        return special[n % 25]
    if n == 7 and host % 10 == 0:
        return "429"
    if n == 8 and host % 10 == 5:
        return "503"
    return "ok"


def serve(hosts: int, per_host: int, latency: float, ports: multiprocessing.Queue) -> None:
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}
    served: dict[str, int] = {}
    page = "".join(
        f'<a href="{{base{h}}}/p{n}">link {h}-{n}</a>\n'
        for h in range(hosts)
        for n in range(per_host)
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            return

        def answer(
            self, status: int, headers: dict[str, str] | None = None, body: bytes = b"ok"
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def page_host(self) -> None:
            if self.path == "/stats":
                self.answer(200, body=json.dumps(peak).encode())
            elif self.path == "/reset":
                with lock:
                    peak.clear()
                    served.clear()
                self.answer(200)
            else:
                self.answer(200, body=page.format(**BASES).encode())

        def farm(self) -> None:
            host = self.server.server_address[0]
            number = int(host.rsplit(".", 1)[1]) - 1
            with lock:
                in_flight[host] = in_flight.get(host, 0) + 1
                peak[host] = max(peak.get(host, 0), in_flight[host])
            try:
                time.sleep(latency)
            finally:
                with lock:
                    in_flight[host] -= 1
            if self.path in ("/", "/final", "/robots.txt", "/favicon.ico"):
                self.answer(404 if self.path == "/robots.txt" else 200)
                return
            n = int(self.path.lstrip("/p") or 0)
            key = f"{host}{self.path}"
            with lock:
                served[key] = served.get(key, 0) + 1
                first = served[key] == 1
            self.respond(behaviour(number, n), first)

        def respond(self, kind: str, first: bool) -> None:
            head = self.command == "HEAD"
            replies = {
                "404": (404, {}),
                "410": (410, {}),
                "999": (999, {}),
                "head405": (405 if head else 200, {}),
                "head404": (404 if head else 200, {}),
                "flaky": (500 if first else 200, {}),
                "redirect": (301, {"Location": "/final"}),
                "challenge": (403, {"cf-mitigated": "challenge"}),
                "429": (429, {"Retry-After": "1"}) if first else (200, {}),
                "503": (503, {"Retry-After": "1"}) if first else (200, {}),
                "ok": (200, {}),
            }
            status, headers = replies[kind]
            self.answer(status, headers)

        def do_GET(self) -> None:
            if self.server.server_address[0] == PAGE_HOST:
                self.page_host()
            else:
                self.farm()

        do_HEAD = do_GET

    servers = [ThreadingHTTPServer((f"127.0.2.{h + 1}", 0), Handler) for h in range(hosts)]
    servers.append(ThreadingHTTPServer((PAGE_HOST, 0), Handler))
    BASES = {
        f"base{h}": f"http://127.0.2.{h + 1}:{s.server_address[1]}"
        for h, s in enumerate(servers[:-1])
    }
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports.put({"bases": list(BASES.values()), "page": servers[-1].server_address[1]})
    threading.Event().wait()


def truth(bases: list[str], per_host: int) -> dict[str, bool]:
    """URL -> dead?"""
    return {
        f"{base}/p{n}": behaviour(h, n) in ("404", "410")
        for h, base in enumerate(bases)
        for n in range(per_host)
    }


def accuracy(dead: set[str], expected: dict[str, bool]) -> tuple[int, int]:
    false_dead = sum(1 for url in dead if url in expected and not expected[url])
    missed = sum(1 for url, is_dead in expected.items() if is_dead and url not in dead)
    return false_dead, missed


def control(page: int, path: str) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(f"http://{PAGE_HOST}:{page}{path}") as answer:
        return json.loads(answer.read() or b"{}") if path == "/stats" else {}


async def run_ours(urls: list[str], cache_path: Path, cool_down: float) -> set[str]:
    settings = HttpSettings(
        site="Benchmark",
        retries=2,
        backoff=0.2,
        retry_after_cap=5,
        max_connections=32,
        default_host=HostPolicy(2, 0.0),
    )
    cache = read_cache(cache_path, normalise=False)
    async with Fetcher(settings) as fetcher, Fetcher(render_confirm_settings(settings)) as confirm:
        checks = await check_many(fetcher, confirm, urls, cache, CheckOptions(cool_down=cool_down))
    write_cache(cache)
    return {url for url, check in checks.items() if check.verdict is Verdict.DEAD}


def run_linkchecker(command: str, page_url: str) -> set[str]:
    done = subprocess.run(
        [command, "--no-status", "--check-extern", "-o", "csv", "--threads", "10", page_url],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = [line for line in done.stdout.splitlines() if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";")
    return {row["url"] for row in reader if row.get("valid") == "False"}


def run_linkinator(command: str, page_url: str) -> set[str]:
    done = subprocess.run(
        [command, page_url, "--format", "json"], capture_output=True, text=True, check=False
    )
    links = json.loads(done.stdout or "{}").get("links", [])
    return {link["url"] for link in links if link.get("state") == "BROKEN"}


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """(value, wall seconds, CPU seconds of this process and its children)."""
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    value = function()
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (
        cpu_after.ru_utime
        - cpu.ru_utime
        + cpu_after.ru_stime
        - cpu.ru_stime
        + children_after.ru_utime
        - children.ru_utime
        + children_after.ru_stime
        - children.ru_stime
    )
    return value, wall, used


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--cool-down", type=float, default=0.5)
    parser.add_argument("--linkchecker", default=shutil.which("linkchecker") or "")
    parser.add_argument("--linkinator", default="")
    return parser.parse_args(argv)


def report(
    name: str,
    dead: set[str],
    expected: dict[str, bool],
    wall: float,
    cpu: float,
    peak: dict[str, int],
    floor: float,
) -> None:
    false_dead, missed = accuracy(dead, expected)
    print(
        f"{name:<12} {wall:7.2f} s ({wall / floor:4.2f}x floor)  CPU {cpu:6.2f} s  "
        f"false dead {false_dead:4d}  missed dead {missed:3d}  "
        f"max per host {max(peak.values(), default=0)}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # figures survive a run cut short
    ports: multiprocessing.Queue = multiprocessing.Queue()
    farm = multiprocessing.Process(
        target=serve, daemon=True, args=(args.hosts, args.per_host, args.latency, ports)
    )
    farm.start()
    try:
        info = ports.get(timeout=60)
        expected = truth(info["bases"], args.per_host)
        urls, page_url = list(expected), f"http://{PAGE_HOST}:{info['page']}/"
        floor = args.per_host * args.latency / 2
        print(
            f"{len(urls)} URLs over {args.hosts} hosts, {args.latency * 1000:.0f} ms, "
            f"{sum(expected.values())} dead; politeness floor {floor:.2f} s "
            f"(goal: ours <= {1.25 * floor:.2f} s, 0 false dead, 0 missed)"
        )
        cache = Path(tempfile.mkdtemp(prefix="link-check-")) / "links.json"
        control(info["page"], "/reset")
        dead, wall, cpu = timed(lambda: asyncio.run(run_ours(urls, cache, args.cool_down)))
        report("ours", dead, expected, wall, cpu, control(info["page"], "/stats"), floor)
        print(
            f"{'':12} CPU per URL {cpu / len(urls) * 1000:.2f} ms, peak memory "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
        _, warm, _ = timed(lambda: asyncio.run(run_ours(urls, cache, args.cool_down)))
        print(f"{'':12} warm re-run {warm:.2f} s (ok verdicts cached; failures re-checked)")
        for name, command, runner in (
            ("LinkChecker", args.linkchecker, run_linkchecker),
            ("linkinator", args.linkinator, run_linkinator),
        ):
            if not command:
                print(f"{name:<12} not run (give its path with --{name.lower()})")
                continue
            control(info["page"], "/reset")
            dead, wall, cpu = timed(functools.partial(runner, command, page_url))
            report(name, dead, expected, wall, cpu, control(info["page"], "/stats"), floor)
    finally:
        farm.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
