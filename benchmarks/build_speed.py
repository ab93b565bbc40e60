#!/usr/bin/env python3
"""Build speed and memory: ours as shipped against stock Pelican and Hugo, on the same content.

For each size (default 250, 1,000 and 4,000 digests of about 30 links, plus 40 ordinary
posts) the generator writes one site three ways: for our build (pelicanconf.py as shipped,
our theme and plugin, search on), for stock Pelican (its default theme, no plugins, the
same Markdown files) and for Hugo (the same posts with YAML front matter and a few plain
layouts). Each round then runs, in an order that rotates from round to round:

  - stock Pelican, cold: ``pelican content -o output -s stock.py``;
  - ours, cold (no output, no cache), then warm (the output and Pelican's content cache of
    the cold run, as a second ``make html``: nothing changed, so the build sees that its
    output is up to date and stops), then warm with one digest edited (a link title
    changed, as a third ``make html``: what the build does for one change), each with
    ``make html``'s command: ``pelican content -o output -s pelicanconf.py``;
  - Hugo, cold: ``hugo --quiet`` (Debian's ``hugo``; `make bench` installs it).

Each build is one child process. Its wall time, its CPU time, its own peak resident set
(VmHWM, sampled every 20 ms from /proc until it exits: Pelican's or Hugo's, without the
Pagefind process our build starts), the largest resident set of any one process of its
tree (``wait4``'s ``ru_maxrss``, what /usr/bin/time reports; Pagefind's when it is the
larger) and the resident sets of the whole tree summed (sampled) are recorded. Figures are
medians of the rounds with min-max; ratios are of medians measured in this run. Sizes above
1,000 digests run one round (--big-rounds).

Edit to reload: ``scripts/devserver.py`` (what `make devserver` runs) on the --reload-size
site; a websocket client joins its livereload channel as a browser does, one digest is
saved with a changed link title, and the time from the write to the reload message is
taken, three times; the changed page is then checked to hold the new title. Each edit
waits until no devserver is busy (a search index after the last reload, say).

Usage: benchmarks/build_speed.py [--sizes 250,1000,4000] [--rounds 3] [--big-rounds 1]
       [--links 30] [--posts 40] [--reload-size 1000] [--edits 3] [--no-hugo] [--keep DIR]
       [--reload-only] [--devserver SCRIPT]...
--reload-only times only the edits; each --devserver SCRIPT (say an older devserver.py
kept aside) runs on its own copy of the site, all at once, their edits taking turns.
Prints figures and the issue's goals beside them; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
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
MIB = 1024 * 1024


# --- the content, three ways -------------------------------------------------------------


def render_words(rng: random.Random, low: int = 14, high: int = 30) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def render_digest_body(number: int, links: int, rng: random.Random) -> list[str]:
    lines = [f"# Digest {number}", "", render_words(rng) + " " + render_words(rng), ""]
    per_section = max(1, links // 5)
    for index in range(links):
        if index % per_section == 0:
            lines += [f"## {SECTIONS[(index // per_section) % len(SECTIONS)]}", ""]
        host = f"site{rng.randint(1, 400)}.example"
        title = render_words(rng)[:60].rstrip(". ")
        lines += [f"### [{title}](https://{host}/{number}/{index})", ""]
        lines += [f"> {render_words(rng)}", f"> {render_words(rng)}", ""]
    return lines


def render_post_body(number: int, rng: random.Random) -> list[str]:
    lines = [render_words(rng, 40, 80) for _ in range(4)]
    lines.insert(2, f"See [the notes](https://notes{number}.example/page) and `code {number}`.")
    return [part for line in lines for part in (line, "")]


@dataclass(frozen=True)
class Post:
    """One generated post: what both front matters say, and the Markdown body."""

    title: str
    date: str
    category: str
    tags: tuple[str, ...]
    slug: str
    summary: str
    body: tuple[str, ...]


def generate_posts(digests: int, links: int, posts: int) -> list[Post]:
    rng = random.Random(20261123)
    made = []
    for number in range(digests):
        year, month = 2000 + number // 12, number % 12 + 1
        made.append(
            Post(
                f"Month summary {number}",
                f"{year}-{month:02d}-28",
                "summary",
                ("links", rng.choice(WORDS), str(year)),
                f"digest-{number}",
                f"Synthetic digest number {number}.",
                tuple(render_digest_body(number, links, rng)),
            )
        )
    for number in range(posts):
        day = 1 + number % 27
        made.append(
            Post(
                f"A note on {rng.choice(WORDS)} {number}",
                f"{2000 + number % max(1, digests // 12 + 1)}-{1 + number % 12:02d}-{day:02d}",
                "notes",
                (rng.choice(WORDS), "notes"),
                f"note-{number}",
                f"Note number {number}.",
                tuple(render_post_body(number, rng)),
            )
        )
    return made


def render_pelican_post(post: Post) -> str:
    head = [
        f"Title: {post.title}",
        f"Date: {post.date}",
        f"Category: {post.category}",
        f"Tags: {', '.join(post.tags)}",
        f"Slug: {post.slug}",
        f"Summary: {post.summary}",
        "",
    ]
    return "\n".join([*head, *post.body]) + "\n"


def render_hugo_post(post: Post) -> str:
    head = [
        "---",
        f"title: {json.dumps(post.title)}",
        f"date: {post.date}",
        f"categories: [{json.dumps(post.category)}]",
        f"tags: {json.dumps(list(post.tags))}",
        f"slug: {json.dumps(post.slug)}",
        f"summary: {json.dumps(post.summary)}",
        "---",
        "",
    ]
    return "\n".join([*head, *post.body]) + "\n"


def post_file(post: Post) -> str:
    return f"{post.slug}.md"


STOCK_SETTINGS = """\
PATH = "content"
TIMEZONE = "UTC"
SITENAME = "Stock"
SITEURL = ""
PLUGINS = []
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""

HUGO_CONFIG = """\
baseURL = "http://127.0.0.1:8000/"
title = "Links & Notes"
languageCode = "en"
paginate = 10
[permalinks]
  posts = "/posts/:year/:month/:slug/"
[taxonomies]
  tag = "tags"
  category = "categories"
"""

# Plain layouts, about as much markup per page as a small theme: a base, a post, lists with
# pagination (home, sections, tags, categories), the lists of terms; RSS is Hugo's own.
HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | \
{{ .Site.Title }}</title>{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" \
type="{{ .MediaType.Type }}" href="{{ .Permalink }}">{{ end }}</head><body>\
<header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a></header>\
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """\
{{ define "main" }}<article><h1>{{ .Title }}</h1><time datetime="{{ .Date.Format \
"2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>{{ .Content }}\
<p>{{ range .Params.tags }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a> \
{{ end }}</p>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>\
{{ end }}{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}\
</article>{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>{{ $list := .Pages }}{{ if .IsHome }}\
{{ $list = .Site.RegularPages }}{{ end }}{{ $pages := .Paginate $list }}\
{{ range $pages.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>\
<p>{{ .Summary }}</p></article>{{ end }}{{ with $pages.Prev }}<a href="{{ .URL }}">newer\
</a>{{ end }}{{ with $pages.Next }}<a href="{{ .URL }}">older</a>{{ end }}{{ end }}
""",
    "_default/terms.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.ByCount }}<li>\
<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>\
{{ end }}
""",
}


def write_sites(folder: Path, posts: list[Post]) -> tuple[Path, Path]:
    """``folder/pelican`` (our settings, stock settings, one content folder for both) and
    ``folder/hugo``; returns both folders."""
    ours, hugo = folder / "pelican", folder / "hugo"
    (ours / "content" / "posts").mkdir(parents=True)
    (hugo / "content" / "posts").mkdir(parents=True)
    shutil.copy(ROOT / "pelicanconf.py", ours / "pelicanconf.py")
    (ours / "theme").symlink_to(ROOT / "theme")
    (ours / "stock.py").write_text(STOCK_SETTINGS, encoding="utf-8")
    (hugo / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (hugo / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (hugo / "layouts" / name).write_text(text, encoding="utf-8")
    for post in posts:
        (ours / "content" / "posts" / post_file(post)).write_text(
            render_pelican_post(post), encoding="utf-8"
        )
        (hugo / "content" / "posts" / post_file(post)).write_text(
            render_hugo_post(post), encoding="utf-8"
        )
    return ours, hugo


# --- running and measuring one build ------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_process: int  # bytes: the largest resident set of one process of the tree
    peak_tree: int  # bytes: the largest sum of the tree's resident sets, as sampled
    peak_main: int  # bytes: the build's own process (Pelican or Hugo), its children aside


def list_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return found


def read_tree_rss(pid: int) -> int:
    total = 0
    for member in list_tree(pid):
        try:
            with open(f"/proc/{member}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def read_high_water(pid: int) -> int:
    """VmHWM: the largest resident set ``pid`` has had so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_build(command: list[str], cwd: Path) -> Run:
    """One build in a child process, waited for with wait4 for its own resource usage."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak, main = [0], [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], read_tree_rss(process.pid))
            main[0] = max(main[0], read_high_water(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    errors = process.stderr.read()  # the child's end closes when it exits
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if process.returncode != 0:
        how = (
            f"killed by signal {-process.returncode}"
            if process.returncode < 0
            else f"exit code {process.returncode}"
        )
        raise SystemExit(f"build_speed: {' '.join(command)} failed ({how}) in {cwd}:\n{errors}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, cpu, usage.ru_maxrss * 1024, peak[0], main[0])


def pelican_command(settings: str) -> list[str]:
    return [str(BIN / "pelican"), "content", "-o", "output", "-s", settings]


def build_stock(site: Path) -> Run:
    shutil.rmtree(site / "stock-output", ignore_errors=True)
    command = [str(BIN / "pelican"), "content", "-o", "stock-output", "-s", "stock.py"]
    return run_build(command, site)


def build_ours_cold(site: Path) -> Run:
    shutil.rmtree(site / "output", ignore_errors=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    return run_build(pelican_command("pelicanconf.py"), site)


def build_ours_warm(site: Path) -> Run:
    return run_build(pelican_command("pelicanconf.py"), site)


def build_ours_edited(site: Path, edit: int) -> Run:
    edit_digest(site, f"Edited in round {edit}")
    return run_build(pelican_command("pelicanconf.py"), site)


def edit_digest(site: Path, title: str) -> Path:
    """One digest's first link title changed (the same digest every time), as a blogger does."""
    source = sorted((site / "content" / "posts").glob("digest-*.md"))[len(WORDS)]
    text = source.read_text(encoding="utf-8")
    before, marker, after = text.partition("### [")
    after = after.split("| ", 1)[1] if after.startswith("Edited in round") else after
    source.write_text(f"{before}{marker}{title} | {after}", encoding="utf-8")
    return source


def build_hugo(site: Path) -> Run:
    shutil.rmtree(site / "public", ignore_errors=True)
    shutil.rmtree(site / "resources", ignore_errors=True)
    return run_build(["hugo", "--quiet"], site)


@dataclass
class Figures:
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, name: str, run: Run) -> None:
        self.runs.setdefault(name, []).append(run)

    def median(self, name: str, what: Callable[[Run], float]) -> float:
        return statistics.median(what(run) for run in self.runs[name])

    def spread(self, name: str, what: Callable[[Run], float]) -> tuple[float, float]:
        values = [what(run) for run in self.runs[name]]
        return min(values), max(values)


def measure_size(ours: Path, hugo: Path | None, rounds: int) -> Figures:
    figures = Figures()
    figures.runs["ours_edited"] = []

    def ours_both() -> None:
        figures.add("ours_cold", build_ours_cold(ours))
        figures.add("ours_warm", build_ours_warm(ours))
        figures.add("ours_edited", build_ours_edited(ours, len(figures.runs["ours_edited"])))

    steps: list[Callable[[], None]] = [
        lambda: figures.add("stock_cold", build_stock(ours)),
        ours_both,
    ]
    if hugo is not None:
        steps.append(lambda: figures.add("hugo_cold", build_hugo(hugo)))
    for round_number in range(rounds):
        shift = round_number % len(steps)
        for step in steps[shift:] + steps[:shift]:
            step()
        print(f"build_speed:   round {round_number + 1}/{rounds} done", file=sys.stderr)
    return figures


# --- edit to reload ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_devserver(site: Path, port: int, script: Path) -> subprocess.Popen[str]:
    """`make devserver`'s command, on the generated site, in a process group of its own. A
    script from another checkout (an older version, say) runs with that checkout's .venv,
    so that it runs that version's plugin and library too."""
    own = script.parent.parent / ".venv" / "bin" / "python"
    python = own if own.is_file() else BIN / "python"
    command = [str(python), str(script), "--port", str(port)]
    command += ["--settings", str(site / "pelicanconf.py"), "--content", str(site / "content")]
    command += ["--output", str(site / "output")]
    environment = {**os.environ, "PORT": str(port)}
    process = subprocess.Popen(
        command,
        cwd=site,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("devserver: http://"):
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep it drained
            return process
    raise SystemExit(f"build_speed: the devserver stopped (exit {process.wait()})")


def stop_devserver(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Devserver:
    """One devserver under test: its script, its copy of the site, its socket."""

    script: Path
    site: Path
    port: int = 0
    process: subprocess.Popen[str] | None = None
    reloads: asyncio.Queue[float] = field(default_factory=asyncio.Queue)
    times: list[float] = field(default_factory=list)


def read_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by the live processes of ``pid``'s tree."""
    total = 0
    for member in list_tree(pid):
        try:
            with open(f"/proc/{member}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


async def wait_until_idle(servers: list[Devserver]) -> None:
    """Until no devserver works (a search index after a reload, say): each edit starts on
    a machine free of the benchmark's own work, whichever devserver went before it."""
    for _ in range(600):
        before = sum(read_tree_cpu(s.process.pid) for s in servers if s.process)
        await asyncio.sleep(0.5)
        after = sum(read_tree_cpu(s.process.pid) for s in servers if s.process)
        if after - before < 0.05:
            return


async def listen_reloads(server: Devserver) -> None:
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(f"ws://127.0.0.1:{server.port}/livereload")
    await connection.write_message(json.dumps({"command": "hello", "protocols": []}))
    await connection.read_message()  # the server's hello
    page = f"http://127.0.0.1:{server.port}/"
    await connection.write_message(json.dumps({"command": "info", "url": page}))
    while (message := await connection.read_message()) is not None:
        if json.loads(message).get("command") == "reload":
            server.reloads.put_nowait(time.perf_counter())


async def time_edit(server: Devserver, edit: int) -> float:
    source = sorted((server.site / "content" / "posts").glob("digest-*.md"))[len(WORDS)]
    original = source.read_text(encoding="utf-8")
    while not server.reloads.empty():  # a reload the server sent before this edit
        server.reloads.get_nowait()
    title = f"Edited title number {edit} {time.time_ns()}"
    text = original.replace("### [", f"### [{title} ", 1)
    started = time.perf_counter()
    source.write_text(text, encoding="utf-8")
    reloaded = await asyncio.wait_for(server.reloads.get(), timeout=600)
    check_edit_shown(server.site / "output", source, title)
    return reloaded - started


async def time_edits(servers: list[Devserver], edits: int) -> None:
    """Edits in rounds, each devserver once a round, in an order that rotates."""
    listeners = [asyncio.create_task(listen_reloads(server)) for server in servers]
    try:
        for edit in range(edits):
            shift = edit % len(servers)
            for server in servers[shift:] + servers[:shift]:
                await asyncio.sleep(4)  # livereload ignores changes within 3 s of a reload
                await wait_until_idle(servers)
                server.times.append(await time_edit(server, edit))
            print(f"build_speed:   edit round {edit + 1}/{edits} done", file=sys.stderr)
    finally:
        for listener in listeners:
            listener.cancel()


def check_edit_shown(output: Path, source: Path, title: str) -> None:
    slug = source.stem
    pages = list(output.glob(f"posts/*/*/{slug}/index.html"))
    if not pages or title not in pages[0].read_text(encoding="utf-8"):
        raise SystemExit(f"build_speed: the reload came before {slug}'s page showed the edit")


def measure_reload(site: Path, edits: int, scripts: list[Path]) -> dict[Path, list[float]]:
    """Each devserver on its own copy of ``site`` (cold: no output, no cache), all running
    while their edits alternate."""
    servers = []
    for number, script in enumerate(scripts):
        copy = site.with_name(f"{site.name}-reload-{number}")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(
            site, copy, symlinks=True, ignore=shutil.ignore_patterns("output", ".cache")
        )
        servers.append(Devserver(script, copy))

    async def run() -> None:
        await time_edits(servers, edits)

    try:
        for server in servers:  # one at a time: their first builds are cold full builds
            server.port = free_port()
            server.process = start_devserver(server.site, server.port, server.script)
        asyncio.run(run())
    finally:
        for server in servers:
            if server.process is not None:
                stop_devserver(server.process)
    return {server.script: server.times for server in servers}


# --- printing ------------------------------------------------------------------------------

LABELS = {
    "stock_cold": "stock Pelican, cold",
    "ours_cold": "ours as shipped, cold",
    "ours_warm": "ours as shipped, warm",
    "ours_edited": "ours, warm, 1 edit",
    "hugo_cold": "Hugo, cold",
}
RATIOS = (
    ("ours cold / stock cold", "ours_cold", "stock_cold", 1.30),
    ("ours warm / ours cold", "ours_warm", "ours_cold", 0.35),
    ("ours warm / Hugo cold", "ours_warm", "hugo_cold", 1.50),
    ("1 edit / ours cold", "ours_edited", "ours_cold", None),
    ("1 edit / Hugo cold", "ours_edited", "hugo_cold", None),
)


def print_size(digests: int, figures: Figures) -> None:
    rounds = len(figures.runs["ours_cold"])
    print(f"\n{digests} digests: median of {rounds} interleaved round(s), [min-max]")
    print(f"{'':24}{'wall s':>16}{'CPU s':>8}{'own MiB':>18}{'1 proc':>8}{'tree':>6} (peaks)")
    for name, label in LABELS.items():
        if name not in figures.runs:
            continue
        low, high = figures.spread(name, lambda r: r.wall)
        wall = figures.median(name, lambda r: r.wall)
        cpu = figures.median(name, lambda r: r.cpu)
        own = figures.median(name, lambda r: r.peak_main / MIB)
        olow, ohigh = figures.spread(name, lambda r: r.peak_main / MIB)
        peak = figures.median(name, lambda r: r.peak_process / MIB)
        tree = figures.median(name, lambda r: r.peak_tree / MIB)
        print(
            f"{label:24}{wall:6.2f} [{low:5.2f}-{high:5.2f}]{cpu:8.2f}"
            f"{own:6.0f} [{olow:4.0f}-{ohigh:4.0f}]{peak:8.0f}{tree:6.0f}"
        )
    for label, top, bottom, goal in RATIOS:
        if bottom in figures.runs:
            wall = figures.median(top, lambda r: r.wall) / figures.median(bottom, lambda r: r.wall)
            cpu = figures.median(top, lambda r: r.cpu) / figures.median(bottom, lambda r: r.cpu)
            aim = f" (goal <= {goal:.2f}x)" if goal is not None else " (no goal: for scale)"
            print(f"{label:24}{wall:6.2f}x wall, {cpu:.2f}x CPU{aim}")
    for what, peak in (("own", lambda r: r.peak_main), ("1 proc", lambda r: r.peak_process)):
        ours = figures.median("ours_cold", peak) / MIB
        stock = figures.median("stock_cold", peak) / MIB
        print(
            f"{'peak ours/stock, ' + what:24}{ours / stock:6.2f}x (goal <= 2.00x at 1,000"
            f" digests); ours {ours:.0f} MiB (goal <= 400 MiB at 4,000)"
        )


def print_scaling(results: dict[int, Figures]) -> None:
    if len(results) < 2:
        return
    print("\nscaling (medians): digests, ours cold s, warm s, own peak MiB, KiB per digest")
    for digests, figures in results.items():
        cold = figures.median("ours_cold", lambda r: r.wall)
        warm = figures.median("ours_warm", lambda r: r.wall)
        peak = figures.median("ours_cold", lambda r: r.peak_main)
        per_digest = peak / 1024 / digests
        print(f"{digests:>8}{cold:10.2f}{warm:10.2f}{peak / MIB:10.0f}{per_digest:10.0f}")


def print_reload(digests: int, results: dict[Path, list[float]]) -> None:
    rounds = len(next(iter(results.values())))
    print(
        f"\nedit to reload, `make devserver` on {digests} digests, from the write to the "
        f"reload message: median of {rounds} interleaved edit(s) (goal <= 2 s)"
    )
    for script, times in results.items():
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"  {statistics.median(times):6.2f} s [{shown}]  {script}")


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000,4000", help="digest counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-rounds", type=int, default=1, help="rounds above 1,000 digests")
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--reload-size", type=int, default=1000, help="0: no edit-to-reload")
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument(
        "--devserver",
        type=Path,
        action="append",
        help="a devserver script to time (again for another, timed in the same rounds); "
        "default: scripts/devserver.py",
    )
    parser.add_argument("--reload-only", action="store_true", help="only the edit-to-reload part")
    parser.add_argument("--no-hugo", action="store_true", help="leave Hugo out")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    return parser.parse_args(argv)


def prepare(folder: Path, digests: int, args: argparse.Namespace) -> tuple[Path, Path]:
    target = folder / str(digests)
    shutil.rmtree(target, ignore_errors=True)
    posts = generate_posts(digests, args.links, args.posts)
    return write_sites(target, posts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [] if args.reload_only else [int(size) for size in args.sizes.split(",") if size]
    if sizes and not args.no_hugo and shutil.which("hugo") is None:
        print("build_speed: hugo is missing (apt-get install hugo, or --no-hugo)", file=sys.stderr)
        return 1
    folder = args.keep or Path(tempfile.mkdtemp(prefix="build-speed-"))
    print(
        f"build_speed: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{args.links} links per digest, {args.posts} posts; in {folder}",
        file=sys.stderr,
    )
    results: dict[int, Figures] = {}
    try:
        for digests in sizes:
            print(f"build_speed: {digests} digests", file=sys.stderr)
            ours, hugo = prepare(folder, digests, args)
            rounds = args.rounds if digests <= 1000 else args.big_rounds
            results[digests] = measure_size(ours, None if args.no_hugo else hugo, rounds)
            print_size(digests, results[digests])
        print_scaling(results)
        if args.reload_size:
            print(f"build_speed: edit to reload, {args.reload_size} digests", file=sys.stderr)
            ours, _ = prepare(folder, args.reload_size, args)
            scripts = [p.resolve() for p in args.devserver or [ROOT / "scripts" / "devserver.py"]]
            print_reload(args.reload_size, measure_reload(ours, args.edits, scripts))
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
