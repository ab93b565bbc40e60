#!/usr/bin/env python3
"""Build speed: our settings, theme and plugins against stock Pelican, on the same content.

Generates N synthetic digests (default 1,000, about 30 links each) and times, in one run:
  1. stock Pelican (default theme, no plugins), cold;
  2. ours (pelicanconf.py, our theme and plugins) without the search index, cold (no
     content cache yet), then warm (Pelican's content cache from the cold run);
  3. the same with the search index (Pagefind), cold then warm: search is work stock
     Pelican does not do at all, so it is measured on its own line, not hidden in 2.
Goals: ours cold <= 1.3x stock; ours warm <= 0.6x ours cold. Prints figures, never asserts.

Usage: benchmarks/build_speed.py [--digests 1000] [--links 30] [--repeat 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ["Articles", "Python", "Web", "Security", "Tools", "Videos"]
WORDS = [
    "queue",
    "cache",
    "latency",
    "socket",
    "parser",
    "schema",
    "index",
    "thread",
    "request",
    "proxy",
    "vector",
    "compiler",
    "release",
    "feed",
    "digest",
    "editor",
    "terminal",
    "browser",
    "packet",
    "kernel",
    "module",
]


def render_summary(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(14, 30))]
    return " ".join(words).capitalize() + "."


def render_synthetic_digest(number: int, links: int, rng: random.Random) -> str:
    year, month = 2000 + number // 12, number % 12 + 1
    lines = [
        f"Title: Month summary {number}",
        f"Date: {year}-{month:02d}-28",
        "Category: summary",
        f"Tags: links, {rng.choice(WORDS)}, {year}",
        f"Slug: digest-{number}",
        f"Summary: Synthetic digest number {number}.",
        "",
        f"# Digest {number}",
        "",
        render_summary(rng) + " " + render_summary(rng),
        "",
    ]
    per_section = max(1, links // 5)
    for index in range(links):
        if index % per_section == 0:
            lines += [f"## {SECTIONS[(index // per_section) % len(SECTIONS)]}", ""]
        host = f"site{rng.randint(1, 400)}.example"
        lines += [
            f"### [{render_summary(rng)[:60].rstrip('.')}](https://{host}/{number}/{index})",
            "",
            f"> {render_summary(rng)}",
            f"> {render_summary(rng)}",
            "",
        ]
    return "\n".join(lines) + "\n"


def write_corpus(content: Path, digests: int, links: int) -> None:
    rng = random.Random(20261123)
    (content / "posts").mkdir(parents=True)
    for number in range(digests):
        text = render_synthetic_digest(number, links, rng)
        (content / "posts" / f"digest-{number:05d}.md").write_text(text, encoding="utf-8")


def write_stock_settings(folder: Path, content: Path, output: Path) -> Path:
    settings = folder / "stock_settings.py"
    settings.write_text(
        textwrap.dedent(f"""\
        PATH = {str(content)!r}
        OUTPUT_PATH = {str(output)!r}
        TIMEZONE = "UTC"
        SITENAME = "Stock"
        SITEURL = ""
        PLUGINS = []
        CACHE_CONTENT = False
        LOAD_CONTENT_CACHE = False
        """),
        encoding="utf-8",
    )
    return settings


def write_our_settings(folder: Path, content: Path, output: Path, search: bool) -> Path:
    settings = folder / f"our_settings_{'search' if search else 'plain'}.py"
    settings.write_text(
        textwrap.dedent(f"""\
        from runpy import run_path
        pelicanconf = run_path({str(ROOT / "pelicanconf.py")!r})
        globals().update((k, v) for k, v in pelicanconf.items() if k.isupper())
        PATH = {str(content)!r}
        OUTPUT_PATH = {str(output)!r}
        THEME = {str(ROOT / "theme")!r}
        CACHE_PATH = {str(folder / "cache")!r}
        STATIC_PATHS = []
        SEARCH_ENABLED = {search!r}
        """),
        encoding="utf-8",
    )
    return settings


def time_build(settings: Path, content: Path, output: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `pelican` run in a child process."""
    shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, "-m", "pelican", str(content), "-o", str(output)]
    command += ["-s", str(settings), "-q"]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"build_speed: build failed with {settings.name}:\n{result.stderr}")
    cpu = cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime
    return elapsed, cpu


def measure(folder: Path, content: Path) -> dict[str, tuple[float, float]]:
    output = folder / "output"
    stock = write_stock_settings(folder, content, output)
    figures = {"stock_cold": time_build(stock, content, output)}
    for name, search in (("ours", False), ("search", True)):
        ours = write_our_settings(folder, content, output, search)
        shutil.rmtree(folder / "cache", ignore_errors=True)
        figures[f"{name}_cold"] = time_build(ours, content, output)
        figures[f"{name}_warm"] = time_build(ours, content, output)
    return figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digests", type=int, default=1000)
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best of each is kept")
    parser.add_argument("--keep", type=Path, help="keep the generated corpus in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="build-speed-"))
    content = folder / "content"
    shutil.rmtree(content, ignore_errors=True)
    print(
        f"build_speed: generating {args.digests} digests x {args.links} links in {content}",
        file=sys.stderr,
    )
    write_corpus(content, args.digests, args.links)
    runs = []
    for run in range(args.repeat):
        print(
            f"build_speed: run {run + 1}/{args.repeat} (stock; ours cold, warm; with search)",
            file=sys.stderr,
        )
        runs.append(measure(folder, content))
    wall = {key: min(run[key][0] for run in runs) for key in runs[0]}
    cpu = {key: min(run[key][1] for run in runs) for key in runs[0]}
    print(
        f"digests: {args.digests}, links each: {args.links}, runs: {args.repeat} "
        "(interleaved; best of each kept)"
    )
    print(f"{'':28}{'wall':>9}{'CPU':>9}")
    for key, label in (
        ("stock_cold", "stock Pelican, cold"),
        ("ours_cold", "ours, cold"),
        ("ours_warm", "ours, warm (content cache)"),
        ("search_cold", "ours + search index, cold"),
        ("search_warm", "ours + search index, warm"),
    ):
        print(f"{label + ':':28}{wall[key]:8.2f}s{cpu[key]:8.2f}s")
    for label, top, bottom, goal in (
        ("ours cold / stock cold", "ours_cold", "stock_cold", "  (goal <= 1.30x)"),
        ("ours warm / ours cold", "ours_warm", "ours_cold", "  (goal <= 0.60x)"),
        ("+ search cold / stock", "search_cold", "stock_cold", "  (search: no goal)"),
        ("+ search warm / cold", "search_warm", "search_cold", "  (search: no goal)"),
    ):
        print(
            f"{label + ':':28}{wall[top] / wall[bottom]:8.2f}x{cpu[top] / cpu[bottom]:8.2f}x{goal}"
        )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
