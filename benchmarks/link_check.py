#!/usr/bin/env python3
"""Link checking as shipped, on a hostile farm, against a naive checker in the same run.

A child process (``linkfarm``) serves 50 hosts on 127.0.3.x, 40 links each, after 50 ms:
front pages that 404, pages that trickle for 15 s after their 200, connections dropped after
the headers, lasting 500s, redirect loops, hosts limited to 5 requests a second (429, with
or without Retry-After), a host that refuses connections, and the usual HEAD refusals,
transient 500/503s, bot walls and 999s. The truth: a link is dead when it answers 404/410
or its host refuses; nothing else is (a lasting 500 is dead only after days).

Ours runs as a user runs it: ``scripts/links.py --content DIR --format json`` with the
repository's own ``linkdigest.toml``, cold (no cache) and warm (the cache of the cold run,
a minute later as far as the cache can tell, no clock faked). The naive checker is 30 lines
of httpx: every URL at once (50 in flight), GET, follow redirects, dead when it fails or
answers 400 and up. Each round runs naive, ours cold, ours warm, in turn; the figures are
medians of the rounds (min-max beside them). Goals (issue 13): 0 false dead and 0 missed
dead, cold and warm; never more than the per-host limit in flight; cold <= 2x naive;
warm <= 0.5x cold; <= 200 MB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from linkfarm import CONTROL_HOST, host_kind, is_dead, serve

ROOT = Path(__file__).resolve().parent.parent
NAIVE = """
import asyncio, json, sys
import httpx

async def main(urls):
    limit = asyncio.Semaphore(50)
    async def check(client, url):
        async with limit:
            try:
                answer = await client.get(url)
                return url, answer.status_code >= 400
            except httpx.HTTPError:
                return url, True
    async with httpx.AsyncClient(follow_redirects=True, timeout=10.0) as client:
        results = await asyncio.gather(*(check(client, u) for u in urls))
    print(json.dumps([url for url, dead in results if dead]))

asyncio.run(main(json.load(sys.stdin)))
"""
# Peak memory of the command it runs (its children only).
MEASURE = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=sys.stdout); "
    "sys.stderr.write('\\nPEAK %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "sys.exit(done.returncode)"
)


def write_content(folder: Path, bases: list[str], per_host: int) -> list[str]:
    """One post per host, each link on a line of its own; the URLs, in order."""
    urls = []
    for number, base in enumerate(bases):
        lines = [f"Title: Host {number}", "Date: 2026-11-30", "Category: notes", ""]
        for n in range(per_host):
            url = f"{base}/p{n}"
            urls.append(url)
            lines.append(f"- [Link {n}]({url})")
        (folder / f"host-{number:02d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return urls


def truth(bases: list[str], per_host: int) -> dict[str, bool]:
    return {
        f"{base}/p{n}": is_dead(number, len(bases), n)
        for number, base in enumerate(bases)
        for n in range(per_host)
    }


def control(port: int, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{CONTROL_HOST}:{port}{path}", timeout=10) as answer:
        data = answer.read()
    return json.loads(data) if path == "/stats" else {}


def run_measured(command: list[str], stdin: str = "") -> tuple[str, float, float, int]:
    """(stdout, wall seconds, peak MiB, exit code) of ``command`` run as a whole process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    peak = next(
        (
            int(line.split()[1]) / 1024
            for line in done.stderr.splitlines()
            if line.startswith("PEAK")
        ),
        0.0,
    )
    return done.stdout, wall, peak, done.returncode


def run_ours(content: Path, cache: Path) -> tuple[set[str], float, float, dict[str, Any]]:
    command = [
        str(ROOT / ".venv/bin/python"),
        "scripts/links.py",
        "--content",
        str(content),
        "--settings",
        str(ROOT / "linkdigest.toml"),
        "--cache",
        str(cache),
        "--format",
        "json",
    ]
    out, wall, peak, code = run_measured(command)
    if code not in (0, 2):
        raise SystemExit(f"scripts/links.py failed with exit {code}")
    report = json.loads(out)
    dead = {p["url"] for p in report["problems"] if p["verdict"] == "dead"}
    return dead, wall, peak, report["counts"]


def run_naive(urls: list[str]) -> tuple[set[str], float, float]:
    out, wall, peak, _ = run_measured(
        [str(ROOT / ".venv/bin/python"), "-c", NAIVE], json.dumps(urls)
    )
    return set(json.loads(out)), wall, peak


def accuracy(dead: set[str], expected: dict[str, bool]) -> tuple[int, int]:
    false_dead = sum(1 for url in dead if not expected.get(url, False))
    missed = sum(1 for url, is_dead_ in expected.items() if is_dead_ and url not in dead)
    return false_dead, missed


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s (min-max {min(values):.2f}-{max(values):.2f})"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args(argv)


def one_round(
    content: Path, urls: list[str], port: int, scratch: Path, number: int
) -> dict[str, Any]:
    control(port, "/reset-cold")
    naive = run_naive(urls)
    naive_stats = control(port, "/stats")
    control(port, "/reset-cold")
    cache = scratch / f"links-{number}.json"
    cold = run_ours(content, cache)
    cold_stats = control(port, "/stats")
    control(port, "/reset")
    warm = run_ours(content, cache)
    warm_stats = control(port, "/stats")
    return {
        "naive": naive, "naive_stats": naive_stats,
        "cold": cold, "cold_stats": cold_stats,
        "warm": warm, "warm_stats": warm_stats,
    }  # fmt: skip


def report(rounds: list[dict[str, Any]], expected: dict[str, bool], hosts: int) -> int:
    limited = [
        f"127.0.3.{h + 1}" for h in range(hosts) if host_kind(h, hosts).startswith("limited")
    ]
    misses = 0
    for name in ("naive", "cold", "warm"):
        walls = [r[name][1] for r in rounds]
        peaks = [r[name][2] for r in rounds]
        stats = [r[f"{name}_stats"] for r in rounds]
        wrong = [accuracy(r[name][0], expected) for r in rounds]
        busiest = max(max(s["peak"].values(), default=0) for s in stats)
        refusals = [sum(s["limited"].get(h, 0) for h in limited) for s in stats]
        worst = max(max((s["limited"].get(h, 0) for h in limited), default=0) for s in stats)
        requests = [sum(s["requests"].values()) for s in stats]
        label = {"naive": "naive httpx", "cold": "ours, cold", "warm": "ours, warm"}[name]
        print(
            f"{label:<12} {spread(walls)}  false dead {max(w[0] for w in wrong):3d}  "
            f"missed dead {max(w[1] for w in wrong):3d}  max in flight per host {busiest:3d}  "
            f"429s {statistics.median(refusals):4.0f} over {len(limited)} limited hosts (at most "
            f"{worst} on one)  requests {statistics.median(requests):5.0f}  "
            f"peak {max(peaks):4.0f} MB"
        )
        if name != "naive":
            misses += sum(w[0] + w[1] for w in wrong)
    naive = statistics.median(r["naive"][1] for r in rounds)
    cold = statistics.median(r["cold"][1] for r in rounds)
    warm = statistics.median(r["warm"][1] for r in rounds)
    print(
        f"ratios (medians): ours cold / naive {cold / naive:.2f}x (goal <= 2), "
        f"warm / cold {warm / cold:.2f}x (goal <= 0.5); ours wrong on {misses} verdicts "
        f"over {len(rounds)} rounds (goal 0)"
    )
    counts = rounds[-1]["cold"][3]
    print(f"ours, cold, last round: {json.dumps(counts)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    farm = multiprocessing.Process(
        target=serve, daemon=True, args=(args.hosts, args.latency, ports)
    )
    farm.start()
    scratch = Path(tempfile.mkdtemp(prefix="link-check-"))
    try:
        info = ports.get(timeout=60)
        content = scratch / "content"
        content.mkdir()
        urls = write_content(content, info["bases"], args.per_host)
        expected = truth(info["bases"], args.per_host)
        print(
            f"{len(urls)} links on {args.hosts} hosts, {args.latency * 1000:.0f} ms, "
            f"{sum(expected.values())} dead; {args.rounds} interleaved rounds of naive, "
            "ours cold, ours warm (scripts/links.py with linkdigest.toml as shipped)"
        )
        rounds = [one_round(content, urls, info["control"], scratch, n) for n in range(args.rounds)]
        return report(rounds, expected, args.hosts)
    finally:
        farm.terminate()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
