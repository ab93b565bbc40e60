#!/usr/bin/env python3
"""Link checking: ours against LinkChecker and linkinator on one local corpus, in one run.

A child process (``linkfarm``, asyncio, so it costs little of the CPU we measure) serves N
hosts (127.0.2.x) whose pages answer after a fixed latency: about 5% of the URLs are dead
(404/410 on hosts that otherwise answer), and a share behave awkwardly (HEAD 405 or 404 but
GET 200, a transient 500, redirects, 999, a Cloudflare challenge, 429 and 503 with
Retry-After). A page on 127.0.2.250 links to every URL (or to the first hosts' only), for
the tools that crawl. Prints wall time against the politeness floor (URLs per host x
latency / per-host limit), against the work floor (the busiest host's requests x latency
/ per-host limit) and against the least floor (the same for the fewest requests any checker
keeping the rules could make), when the hosts with and without a Retry-After were done,
CPU per URL, peak memory, the warm re-run, accuracy (false dead, missed dead) and the most
requests each tool had in flight on one host. Ours is best of --runs.

The other tools run on the first hosts only (--compare-urls, whole hosts, so the floor is
the same) and are stopped after --time-limit seconds: LinkChecker (PyPI ``linkchecker``) on
PATH or in --linkchecker, linkinator 7 (npm) from --linkinator (a
node_modules/.bin/linkinator). Missing ones are reported as not run.
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
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkfarm import PAGE_HOST, serve

from linkdigest.checking.verdicts import CheckOptions, Verdict, check_many
from linkdigest.net.cache import read_cache, write_cache
from linkdigest.net.http import Fetcher, HttpSettings


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


def holds_host(host: int, n: int) -> bool:
    """Whether URL n answers first with a Retry-After (which holds its whole host)."""
    return behaviour(host, n) in ("429", "503")


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


def control(page: int, path: str) -> dict[str, dict[str, float]]:
    with urllib.request.urlopen(f"http://{PAGE_HOST}:{page}{path}") as answer:
        return json.loads(answer.read() or b"{}") if path == "/stats" else {}


def settings_for(args: argparse.Namespace) -> HttpSettings:
    """The project's defaults, except a global limit that lets every host use its own."""
    return HttpSettings(site="Benchmark", max_connections=args.max_connections)


async def run_ours(
    urls: list[str], cache_path: Path, settings: HttpSettings, cool_down: float
) -> set[str]:
    cache = read_cache(cache_path, normalise=False)
    async with Fetcher(settings) as fetcher:
        checks = await check_many(fetcher, urls, cache, CheckOptions(cool_down=cool_down))
    write_cache(cache)
    return {url for url, check in checks.items() if check.verdict is Verdict.DEAD}


def run_linkchecker(command: str, page_url: str, limit: float) -> set[str]:
    arguments = ["--no-status", "--check-extern", "-o", "csv", "--threads", "10", page_url]
    done = subprocess.run(
        [command, *arguments], capture_output=True, text=True, check=False, timeout=limit
    )
    rows = [line for line in done.stdout.splitlines() if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";")
    return {row["url"] for row in reader if row.get("valid") == "False"}


def run_linkinator(command: str, page_url: str, limit: float) -> set[str]:
    done = subprocess.run(
        [command, page_url, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=limit,
    )
    links = json.loads(done.stdout or "{}").get("links", [])
    return {link["url"] for link in links if link.get("state") == "BROKEN"}


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """(value, wall seconds, CPU seconds of this process and its finished children)."""
    before = _cpu()
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started, _cpu() - before


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--cool-down", type=float, default=0.5)
    parser.add_argument(
        "--max-connections", type=int, help="global limit (default: hosts x per-host limit)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="ours: best of N, cold and warm (0: only the comparison)",
    )
    parser.add_argument(
        "--compare-urls", type=int, default=400, help="URLs (whole hosts) for the other tools"
    )
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per other tool")
    # The copies `make bench` installs come first, so the figures are for the pinned versions.
    root = Path(__file__).resolve().parent.parent
    linkchecker = root / ".cache/bench-venv/bin/linkchecker"
    linkinator = root / "benchmarks/tools/node_modules/.bin/linkinator"
    parser.add_argument(
        "--linkchecker",
        default=str(linkchecker) if linkchecker.exists() else shutil.which("linkchecker") or "",
    )
    parser.add_argument("--linkinator", default=str(linkinator) if linkinator.exists() else "")
    args = parser.parse_args(argv)
    limit = HttpSettings().default_host.concurrency
    args.max_connections = args.max_connections or max(32, args.hosts * limit)
    return args


def report(
    name: str,
    dead: set[str] | None,
    expected: dict[str, bool],
    wall: float,
    cpu: float,
    stats: dict[str, dict[str, float]],
    floor: float,
) -> None:
    requests = stats.get("requests", {})
    figures = f"{wall:7.2f} s ({wall / floor:4.2f}x floor)  CPU {cpu:6.2f} s  "
    if dead is None:
        figures = f"timed out after {wall:.0f} s (the run was stopped)  "
    else:
        false_dead, missed = accuracy(dead, expected)
        figures += f"false dead {false_dead:4d}  missed dead {missed:3d}  "
    print(
        f"{name:<12} {figures}max per host {max(stats.get('peak', {}).values(), default=0)}  "
        f"requests {sum(requests.values()):.0f} (busiest host "
        f"{max(requests.values(), default=0):.0f})"
    )


def print_setup(args: argparse.Namespace, expected: dict[str, bool], floor: float) -> None:
    settings = settings_for(args)
    policy = settings.default_host
    print(
        f"{len(expected)} URLs over {args.hosts} hosts, {args.latency * 1000:.0f} ms, "
        f"{sum(expected.values())} dead; politeness floor {floor:.2f} s "
        f"(goal: ours <= {1.25 * floor:.2f} s, 0 false dead, 0 missed)"
    )
    print(
        f"ours: project defaults (per host {policy.concurrency} at a time, {policy.delay} s "
        f"between starts; retries {settings.retries}, backoff {settings.backoff} s) except "
        f"global limit {settings.max_connections} (hosts x per-host, so only the per-host "
        f"limit binds, as the floor assumes) and cool-down {args.cool_down} s (default "
        f"{CheckOptions().cool_down} s, a fixed wait that does not grow with the links)"
    )


def measure_ours(
    args: argparse.Namespace, info: dict[str, Any], expected: dict[str, bool], floor: float
) -> None:
    urls, settings, runs = list(expected), settings_for(args), []
    for _ in range(args.runs):
        cache = Path(tempfile.mkdtemp(prefix="link-check-", dir=args.scratch)) / "links.json"
        control(info["page"], "/reset")
        go = functools.partial(run_ours, urls, cache, settings, args.cool_down)
        dead, wall, cpu = timed(lambda go=go: asyncio.run(go()))
        runs.append((wall, cpu, dead, control(info["page"], "/stats"), cache))
    wall, cpu, dead, stats, cache = min(runs, key=lambda run: run[0])
    report("ours", dead, expected, wall, cpu, stats, floor)
    limit = settings.default_host.concurrency
    print(
        f"{'':12} cold runs {', '.join(f'{r[0]:.2f}' for r in runs)} s; CPU per URL "
        f"{cpu / len(urls) * 1000:.2f} ms; peak memory "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print_work_floor(stats, args, limit, wall)
    warm = [timed(lambda go=go: asyncio.run(go()))[1:] for _ in range(args.runs)]
    wall, cpu = min(warm)
    print(
        f"{'':12} warm re-run {wall:.2f} s, CPU {cpu:.2f} s (best of "
        f"{', '.join(f'{w:.2f}' for w, _ in warm)} s; ok verdicts cached, failures re-checked)"
    )


def print_work_floor(
    stats: dict[str, dict[str, float]], args: argparse.Namespace, limit: int, wall: float
) -> None:
    """Where the time went. The work floor: each host's requests at ``limit`` at a time,
    plus the second a Retry-After (on a 429 or 503 host) holds the whole host. The least
    floor: the same for the fewest requests any checker keeping the rules must make here.
    And when the hosts with and without a Retry-After had their last answer."""
    requests, last = stats["requests"], stats.get("last", {})
    held = {f"127.0.2.{h + 1}" for h in range(args.hosts) if holds_host_any(h, args.per_host)}
    hold = {host: 1.0 if host in held else 0.0 for host in requests}
    floors = {host: n * args.latency / limit + hold[host] for host, n in requests.items()}
    host = max(floors, key=floors.__getitem__)
    print(
        f"{'':12} work floor {floors[host]:.2f} s (ours {wall / floors[host]:.2f}x): {host} "
        f"had {requests[host]:.0f} requests to answer ({requests[host] / args.per_host:.2f} per "
        f"URL) at {limit} at a time" + (", and its Retry-After held it 1 s" if hold[host] else "")
    )
    least = {f"127.0.2.{h + 1}": least_requests(h, args.per_host) for h in range(args.hosts)}
    least_floors = {h: n * args.latency / limit + hold.get(h, 0.0) for h, n in least.items()}
    worst = max(least_floors, key=least_floors.__getitem__)
    nominal = args.per_host * args.latency / limit
    print(
        f"{'':12} least floor {least_floors[worst]:.2f} s "
        f"({least_floors[worst] / nominal:.2f}x the floor): the fewest requests a checker "
        f"keeping the rules asks of {worst}, {least[worst]} (HEAD or GET once per URL, a second "
        "request for each failure's confirmation, each 500's retry, each Retry-After's retry, "
        "one for the redirects' shared target, one to learn HEAD is refused)"
        + (", plus its 1 s Retry-After" if hold.get(worst) else "")
    )
    if last:
        done = {
            kind: max((t for h, t in last.items() if (h in held) == kind), default=0.0)
            for kind in (False, True)
        }
        print(
            f"{'':12} last answers: hosts without a Retry-After by {done[False]:.2f} s "
            f"({done[False] / nominal:.2f}x the floor), the {len(held)} with one by "
            f"{done[True]:.2f} s ({done[True] / nominal:.2f}x)"
        )


def least_requests(host: int, per_host: int) -> int:
    """The fewest requests a checker that follows the rules (every failure confirmed once,
    transient answers retried, redirects followed) can make of one host of this corpus."""
    costs = {
        "ok": 1,
        "404": 2,
        "410": 2,
        "999": 2,
        "challenge": 2,
        "flaky": 2,
        "429": 2,
        "503": 2,
        "redirect": 1,
        "head405": 1,
        "head404": 1,
    }
    kinds = [behaviour(host, n) for n in range(per_host)]
    shared = ("redirect" in kinds) + ("head405" in kinds or "head404" in kinds)
    return sum(costs[kind] for kind in kinds) + shared


def holds_host_any(host: int, per_host: int) -> bool:
    return any(holds_host(host, n) for n in range(per_host))


def compare(args: argparse.Namespace, info: dict[str, Any], floor: float) -> None:
    hosts = max(1, min(args.hosts, args.compare_urls // args.per_host))
    expected = truth(info["bases"][:hosts], args.per_host)
    page_url = f"http://{PAGE_HOST}:{info['page']}/hosts/{hosts}"
    print(
        f"\nThe same corpus, first {hosts} hosts ({len(expected)} URLs, floor {floor:.2f} s), "
        f"through each tool (other tools stopped after {args.time_limit:.0f} s):"
    )
    cache = Path(tempfile.mkdtemp(prefix="link-check-", dir=args.scratch)) / "links.json"
    control(info["page"], "/reset")
    go = functools.partial(run_ours, list(expected), cache, settings_for(args), args.cool_down)
    dead, wall, cpu = timed(lambda: asyncio.run(go()))
    report("ours", dead, expected, wall, cpu, control(info["page"], "/stats"), floor)
    for name, command, runner in (
        ("LinkChecker", args.linkchecker, run_linkchecker),
        ("linkinator", args.linkinator, run_linkinator),
    ):
        if not command:
            print(f"{name:<12} not run (give its path with --{name.lower()})")
            continue
        control(info["page"], "/reset")
        try:
            dead, wall, cpu = timed(lambda r=runner, c=command: r(c, page_url, args.time_limit))
        except subprocess.TimeoutExpired:
            dead, wall, cpu = None, args.time_limit, 0.0
        report(name, dead, expected, wall, cpu, control(info["page"], "/stats"), floor)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # figures survive a run cut short
    ports: multiprocessing.Queue = multiprocessing.Queue()
    farm = multiprocessing.Process(
        target=serve,
        daemon=True,
        args=(behaviour, args.hosts, args.per_host, args.latency, ports),
    )
    farm.start()
    with tempfile.TemporaryDirectory(prefix="link-check-") as scratch:
        args.scratch = scratch  # the caches of every run, removed at the end
        try:
            info = ports.get(timeout=60)
            expected = truth(info["bases"], args.per_host)
            floor = args.per_host * args.latency / HttpSettings().default_host.concurrency
            print_setup(args, expected, floor)
            if args.runs:
                measure_ours(args, info, expected, floor)
            compare(args, info, floor)
        finally:
            farm.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
