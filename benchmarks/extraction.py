#!/usr/bin/env python3
"""Extraction: titles and descriptions on real saved pages, ours against a baseline and metascraper.

Runs each tool once per page per round, as a user would (one process per page, default
settings), on the corpus in tests/fixtures/extraction/ (manifest.json; CONVENTIONS.md says what
the expected values are) or another one given by --corpus: tests/fixtures/extraction-fresh/
holds pages nobody here tuned for, whose expected values are metascraper's own recorded output
(each entry's "expected_by" says so, and the printout repeats it). Rounds are interleaved, the
tools' order rotating page by page, so a busy moment costs every tool alike. Prints exact-match
rates for title and description per tool, per field and per site kind, crashes, the median time
per page (process start included) and, with --misses, our misses (file, expected, got).

Tools:
  ours         the shipped command: .venv/bin/linkdigest fetch --html FILE --url URL
               --json (--command replaces everything before --html, if the entry point moves)
  baseline     20 lines of BeautifulSoup: og:title else <title>; og:description else
               <meta name=description> (this file, run as its own process)
  metascraper  npm metascraper with its title, description and provider rules, when
               benchmarks/tools/node_modules holds it (make bench installs it)

Exact means equal after Unicode NFC and whitespace condensing, nothing else; a missing
value and null are equal. Misses that differ only in quote marks (metascraper writes
typographic quotes) are counted apart, for information. Never touches the network.

Usage: benchmarks/extraction.py [--corpus tests/fixtures/extraction] [--rounds 1]
       [--tools ours,baseline,metascraper]
       [--command ".venv/bin/linkdigest fetch"] [--kind news] [--limit N] [--misses]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "extraction"
NODE_TOOLS = ROOT / "benchmarks" / "tools"
DEFAULT_COMMAND = f"{ROOT / '.venv' / 'bin' / 'linkdigest'} fetch"
FIELDS = ("title", "description")
TIMEOUT = 60
HELD_OUT_EVERY = 5
QUOTES = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a", "'") | dict.fromkeys("\u201c\u201d\u201e", '"')
)


def baseline(path: str) -> dict[str, str | None]:
    """The 20-line baseline: og:title else <title>; og:description else meta description."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(Path(path).read_bytes(), "html.parser")

    def meta(**attrs: str) -> str | None:
        tag = soup.find("meta", attrs=attrs)
        return tag.get("content") if tag else None

    title = meta(property="og:title")
    if not title and soup.title:
        title = soup.title.get_text()
    description = meta(property="og:description") or meta(name="description")
    return {"title": title, "description": description}


def normalise(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split())
    return text or None


@dataclass
class Result:
    values: dict[str, str | None] = field(default_factory=dict)
    error: str = ""
    seconds: list[float] = field(default_factory=list)


def tool_commands(args: argparse.Namespace) -> dict[str, list[str]]:
    commands = {
        "ours": shlex.split(args.command),
        "baseline": [sys.executable, str(Path(__file__).resolve()), "--baseline-page"],
        "metascraper": ["node", str(NODE_TOOLS / "metascraper.mjs")],
    }
    wanted = [name.strip() for name in args.tools.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in commands]
    if unknown:
        raise SystemExit(
            f"extraction: unknown tool(s) {', '.join(unknown)}: pick from {', '.join(commands)}"
        )
    if "metascraper" in wanted and not (NODE_TOOLS / "node_modules" / "metascraper").is_dir():
        print("extraction: metascraper not installed in benchmarks/tools (make bench): skipped")
        wanted.remove("metascraper")
    return {name: commands[name] for name in wanted}


def argv_for(tool: str, prefix: list[str], page: dict, corpus: Path) -> list[str]:
    path = str(corpus / page["file"])
    if tool == "ours":
        return [*prefix, "--html", path, "--url", page["url"], "--json"]
    return [*prefix, path, page["url"]]


def run_once(argv: list[str]) -> tuple[dict | None, str, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {TIMEOUT} s", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {done.stderr.strip()[-200:]}", seconds
    try:
        return json.loads(done.stdout.strip().splitlines()[-1]), "", seconds
    except (json.JSONDecodeError, IndexError):
        return None, f"no JSON on stdout: {done.stdout.strip()[:200]!r}", seconds


def run_all(pages: list[dict], commands: dict[str, list[str]], rounds: int, corpus: Path) -> dict:
    results = {tool: [Result() for _ in pages] for tool in commands}
    tools = list(commands)
    for round_no in range(rounds):
        for index, page in enumerate(pages):
            shift = (index + round_no) % len(tools)
            for tool in tools[shift:] + tools[:shift]:
                output, error, seconds = run_once(argv_for(tool, commands[tool], page, corpus))
                result = results[tool][index]
                result.seconds.append(seconds)
                if round_no == 0:
                    result.error = error
                    result.values = {f: normalise((output or {}).get(f)) for f in FIELDS}
        print(f"  round {round_no + 1}/{rounds} done", file=sys.stderr)
    return results


def matches(page: dict, result: Result, name: str) -> bool:
    return not result.error and result.values.get(name) == normalise(page[name])


def quote_only(page: dict, result: Result, name: str) -> bool:
    got, want = result.values.get(name), normalise(page[name])
    return bool(got and want and got != want and got.translate(QUOTES) == want.translate(QUOTES))


def percent(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f} %" if total else "    -"


def print_summary(pages: list[dict], results: dict) -> None:
    print(f"\n{len(pages)} pages, {len({p['site'] for p in pages})} sites\n")
    print(
        f"{'tool':12} {'title':>8} {'descr.':>8} {'both':>8} {'crashes':>8} {'s/page':>7}"
        f" {'quote-only misses (t/d)':>24}"
    )
    for tool, per_page in results.items():
        counts = {
            f: sum(matches(p, r, f) for p, r in zip(pages, per_page, strict=True)) for f in FIELDS
        }
        both = sum(
            all(matches(p, r, f) for f in FIELDS) for p, r in zip(pages, per_page, strict=True)
        )
        crashes = sum(bool(r.error) for r in per_page)
        quotes = [
            sum(quote_only(p, r, f) for p, r in zip(pages, per_page, strict=True)) for f in FIELDS
        ]
        median = statistics.median(s for r in per_page for s in r.seconds)
        print(
            f"{tool:12} {percent(counts['title'], len(pages)):>8} "
            f"{percent(counts['description'], len(pages)):>8} {percent(both, len(pages)):>8} "
            f"{crashes:>8} {median:>7.3f} {quotes[0]:>19}/{quotes[1]}"
        )


def print_kinds(pages: list[dict], results: dict) -> None:
    kinds: dict[str, list[int]] = defaultdict(list)
    for index, page in enumerate(pages):
        kinds[page["kind"]].append(index)
    tools = list(results)
    print("\nby kind (title / description exact)")
    print(f"{'kind':10} {'pages':>5}  " + "  ".join(f"{tool:>17}" for tool in tools))
    for kind, indexes in sorted(kinds.items(), key=lambda item: -len(item[1])):
        cells = []
        for tool in tools:
            hits = [sum(matches(pages[i], results[tool][i], f) for i in indexes) for f in FIELDS]
            cells.append(f"{percent(hits[0], len(indexes))} / {percent(hits[1], len(indexes))}")
        print(f"{kind:10} {len(indexes):>5}  " + "  ".join(f"{cell:>17}" for cell in cells))


def print_misses(pages: list[dict], per_page: list[Result]) -> None:
    print("\nour misses")
    for page, result in zip(pages, per_page, strict=True):
        if result.error:
            print(f"- {page['file']} ({page['kind']}): CRASH {result.error}")
            continue
        for name in FIELDS:
            if not matches(page, result, name):
                print(f"- {page['file']} ({page['kind']}) {name}")
                print(f"    expected: {normalise(page[name])!r}")
                print(f"    got:      {result.values.get(name)!r}")


def expected_by(pages: list[dict]) -> str:
    """Who wrote the expected values: a peer's recorded output, or written by hand here."""
    sources = sorted({page.get("expected_by") or "" for page in pages})
    if sources == [""]:
        return "written here from each page (CONVENTIONS.md)"
    named = ", ".join(source or "written here" for source in sources)
    if any(source.startswith("metascraper") for source in sources):
        named += " -- metascraper's own output: its row scores itself, the others agree with it"
    return named


def in_split(index: int, split: str) -> bool:
    """Every 5th page is held out: rules are tuned on the others and checked on these."""
    held_out = index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1
    return split == "all" or held_out == (split == "held-out")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS,
        help="folder holding manifest.json and the pages (default: %(default)s)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (timing)")
    parser.add_argument("--tools", default="ours,baseline,metascraper", help="comma-separated")
    parser.add_argument(
        "--command",
        default=DEFAULT_COMMAND,
        help="our command line before --html (default: %(default)s)",
    )
    parser.add_argument("--kind", help="only pages of this kind")
    parser.add_argument(
        "--split",
        choices=("all", "tuning", "held-out"),
        default="all",
        help="held-out: every 5th page of the manifest, kept out of tuning; tuning: the rest",
    )
    parser.add_argument("--limit", type=int, help="only the first N pages (a quick look)")
    parser.add_argument("--misses", action="store_true", help="list our misses")
    parser.add_argument("--baseline-page", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.baseline_page:
        print(json.dumps(baseline(args.baseline_page[0]), ensure_ascii=False))
        return 0
    corpus = args.corpus if args.corpus.is_absolute() else Path.cwd() / args.corpus
    manifest = corpus / "manifest.json"
    if not manifest.is_file():
        print(f"extraction: {manifest}: no manifest.json (check --corpus)", file=sys.stderr)
        return 1
    pages = json.loads(manifest.read_text(encoding="utf-8"))
    pages = [p for i, p in enumerate(pages) if in_split(i, args.split)]
    pages = [p for p in pages if not args.kind or p["kind"] == args.kind][: args.limit]
    if not pages or args.rounds < 1:
        print("extraction: no pages to run (check --kind, --limit, --rounds)", file=sys.stderr)
        return 1
    commands = tool_commands(args)
    print(
        f"extraction: {len(pages)} pages x {len(commands)} tools x {args.rounds} round(s); "
        f"ours = {args.command}"
    )
    print(f"corpus: {corpus}; expected values: {expected_by(pages)}")
    results = run_all(pages, commands, args.rounds, corpus)
    print_summary(pages, results)
    print_kinds(pages, results)
    if args.misses and "ours" in results:
        print_misses(pages, results["ours"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
