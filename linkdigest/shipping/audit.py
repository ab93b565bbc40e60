"""Checks of the built site by outside tools: the Nu Html Checker, axe-core and Lighthouse.

The tools run elsewhere (Java, tools/audit/audit.mjs under Node); this module finds them, runs
the checker, and reads every tool's report back into values, a table and a list of problems.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import feedparser

from linkdigest.errors import ToolError

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
VNU_JAR = TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run `make test` (it installs tools/ with `npm ci --ignore-scripts --prefix tools`)"
# A folder of its own, so that `make test` installs the checker alone and not ~190 MB of these.
AUDIT_TOOLS = TOOLS / "audit"
AUDIT_INSTALL_HINT = (
    "run `make audit` (it installs tools/audit/ with"
    " `npm ci --ignore-scripts --prefix tools/audit`)"
)
JAVA_HINT = "install Java 17 or newer (`apt-get install default-jre-headless`)"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
# The privacy-enhanced players of the digest format (urls.render_embed_url): a digest with
# videos asks for them as the reader scrolls; in the audit they are blocked and listed.
EMBED_HOSTS = ("www.youtube-nocookie.com", "player.vimeo.com")


@dataclass(frozen=True)
class ValidatorMessage:
    """One error from the Nu Html Checker, at a file, line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def vnu_command(
    files: Iterable[Path], *, css: bool = False, jar: Path = VNU_JAR, java: str = "java"
) -> list[str]:
    """The checker over ``files``, all HTML or (``css``) all stylesheets."""
    # -Xss4m: the checker's regular expressions overflow Java's default stack on long pages.
    # Stylesheets get a run of their own: with --also-check-css, vnu 26.9 reports HTML lines
    # one too low.
    options = ["--errors-only", "--format", "json", "--stdout", *(["--css"] if css else [])]
    return [java, "-Xss4m", "-jar", str(jar), *options, *map(str, files)]


def check_html_files(
    files: Sequence[Path], *, jar: Path = VNU_JAR, names: Mapping[str, Path] | None = None
) -> list[ValidatorMessage]:
    """Every error the Nu Html Checker finds in ``files`` (pages, and stylesheets ending in
    .css); paths shown relative to ``names`` (label -> folder). Raises ToolError when Java or
    the checker is missing or fails."""
    java = shutil.which("java")
    if java is None:
        raise ToolError(f"java not found: {JAVA_HINT}; then run `make test`")
    if not jar.is_file():
        raise ToolError(f"{jar} is missing: {INSTALL_HINT}")
    pages = [path for path in files if path.suffix != ".css"]
    sheets = [path for path in files if path.suffix == ".css"]
    errors: list[ValidatorMessage] = []
    for group, css in ((pages, False), (sheets, True)):
        if group:
            report = run_vnu(vnu_command(group, css=css, jar=jar, java=java))
            errors += parse_vnu_report(report, names or {})
    return errors


def run_vnu(command: list[str]) -> str:
    """The checker's JSON report (it exits 1 when it found errors, which is no failure)."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolError(f"the Nu Html Checker failed ({last}): {JAVA_HINT}")
    return result.stdout


def parse_vnu_report(text: str, names: Mapping[str, Path]) -> list[ValidatorMessage]:
    """The errors of a ``--format json`` report (info and warnings are left out)."""
    try:
        messages = json.loads(text)["messages"]
    except (ValueError, KeyError, TypeError) as error:
        raise ToolError(f"the Nu Html Checker's report is not JSON ({error})") from None
    return [
        ValidatorMessage(
            file=render_report_path(message.get("url", "?"), names),
            line=int(message.get("firstLine", message.get("lastLine", 0))),
            column=int(message.get("firstColumn", message.get("lastColumn", 0))),
            message=str(message.get("message", "")),
        )
        for message in messages
        if message.get("type") in ("error", "non-document-error")
    ]


def render_report_path(url: str, names: Mapping[str, Path]) -> str:
    """``file:/tmp/x/output/a/index.html`` as ``label/a/index.html`` when under a named
    folder, else as a plain path."""
    path = Path(unquote(urlsplit(url).path)) if url.startswith("file:") else Path(url)
    for label, folder in names.items():
        if path.is_relative_to(folder):
            return f"{label}/{path.relative_to(folder).as_posix()}"
    return str(path)


def read_site_documents(output: Path) -> list[Path]:
    """Every HTML page and stylesheet of a built site, in a stable order."""
    return sorted(p for p in output.rglob("*") if p.suffix in (".html", ".css") and p.is_file())


@dataclass(frozen=True)
class AuditPage:
    """A page to audit: a short name for the table and its path on the site."""

    name: str
    path: str


def read_audit_pages(output: Path, digest_category: str = "summary") -> list[AuditPage]:
    """The home page, the newest digest, the links page and the newest ordinary post of a
    built site, found through its Atom feeds (newest first)."""
    digests = read_feed_paths(output / "feeds" / "category" / f"{digest_category}.atom.xml")
    posts = [p for p in read_feed_paths(output / "feeds" / "all.atom.xml") if p not in digests]
    if not digests or not posts:
        raise ToolError(f"{output}: no digest or no ordinary post in the Atom feeds")
    return [
        AuditPage("home", "/"),
        AuditPage("digest", digests[0]),
        AuditPage("links", "/links/"),
        AuditPage("post", posts[0]),
    ]


def read_feed_paths(feed: Path) -> list[str]:
    """The URL paths of a feed's entries, in the feed's order."""
    if not feed.is_file():
        raise ToolError(f"{feed} is missing: the site was not built with its feeds")
    parsed = feedparser.parse(feed.read_bytes())
    return [urlsplit(entry.link).path or "/" for entry in parsed.entries if "link" in entry]


@dataclass(frozen=True)
class AxeViolation:
    """An axe-core rule a page breaks, the elements breaking it and at which widths."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]
    viewports: tuple[str, ...]


@dataclass(frozen=True)
class LighthouseMiss:
    """A weighted Lighthouse audit that did not score 1 (what costs the page points)."""

    category: str
    audit: str
    title: str
    score: float


@dataclass(frozen=True)
class PageAudit:
    """axe-core and Lighthouse on one page in one colour scheme."""

    page: str
    path: str
    scheme: str
    axe: tuple[AxeViolation, ...]
    scores: Mapping[str, float | None]
    performance_runs: tuple[float | None, ...]  # every run's score; ``scores`` has the median
    misses: tuple[LighthouseMiss, ...]
    error: str | None
    scheme_seen: str  # what matchMedia said inside the page Lighthouse had just audited
    background: str
    luminance: float | None  # of Lighthouse's final screenshot, 0 black .. 1 white
    external: tuple[str, ...]


def parse_audit_lines(text: str) -> list[PageAudit]:
    """tools/audit/audit.mjs's output: one JSON object per page and scheme."""
    try:
        return [parse_page_audit(json.loads(line)) for line in text.splitlines() if line.strip()]
    except (ValueError, KeyError, TypeError) as error:
        raise ToolError(f"tools/audit/audit.mjs printed something unexpected ({error!r})") from None


def parse_page_audit(data: Mapping[str, Any]) -> PageAudit:
    seen = data.get("lighthouse_scheme") or {}
    return PageAudit(
        page=data["page"],
        path=data["path"],
        scheme=data["scheme"],
        axe=tuple(
            AxeViolation(v["id"], v.get("impact") or "", v.get("help", ""), *_pair(v))
            for v in data.get("axe", [])
        ),
        scores={c: data.get("scores", {}).get(c) for c in CATEGORIES},
        performance_runs=tuple(data.get("performance_runs", [])),
        misses=tuple(
            LighthouseMiss(m["category"], m["id"], m["title"], float(m["score"]))
            for m in data.get("lighthouse_failures", [])
        ),
        error=data.get("lighthouse_error"),
        scheme_seen="dark" if seen.get("dark") else "light" if seen else "?",
        background=seen.get("background", "?"),
        luminance=data.get("lighthouse_luminance"),
        external=tuple(data.get("external", [])),
    )


def _pair(violation: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(violation.get("targets", [])), tuple(violation.get("viewports", []))


def render_score(score: float | None) -> str:
    return "-" if score is None else str(round(score * 100))


def render_audit_table(results: Sequence[PageAudit]) -> str:
    """page x scheme: axe violations by rule, the four Lighthouse scores, the background
    colour Lighthouse's page had (proof of the emulated scheme)."""
    header = ("page", "path", "scheme", "axe", "perf", "a11y", "bp", "seo", "background")
    rows = [header] + [
        (
            r.page,
            r.path,
            r.scheme,
            ", ".join(v.rule for v in r.axe) or "0",
            *(render_score(r.scores.get(c)) for c in CATEGORIES),
            f"{r.background} ({r.scheme_seen})",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def check_audit(results: Sequence[PageAudit], min_score: int = 95) -> list[str]:
    """Every problem, one line each: axe violations, scores under ``min_score``, a scheme
    that was not emulated, requests that left 127.0.0.1, Lighthouse errors."""
    problems: list[str] = []
    for r in results:
        where = f"{r.page} {r.path} ({r.scheme})"
        problems += [render_violation(where, v) for v in r.axe]
        problems += [
            f"{where}: Lighthouse {c} {render_score(s)} < {min_score}"
            for c, s in r.scores.items()
            if s is None or s * 100 < min_score
        ]
        problems += [
            f"{where}: request for something not on 127.0.0.1: {url}"
            for url in r.external
            if not is_embed_url(url)
        ]
        problems += check_scheme(where, r)
        if r.error:
            problems.append(f"{where}: Lighthouse error: {r.error}")
    return problems


def is_embed_url(url: str) -> bool:
    return urlsplit(url).hostname in EMBED_HOSTS


def render_notes(results: Sequence[PageAudit]) -> list[str]:
    """What a reader of the table wants next: the Lighthouse audits that cost each page
    points, performance runs that disagree, and video embeds the audit blocked."""
    notes: list[str] = []
    for r in results:
        where = f"{r.page} ({r.scheme})"
        notes += [f"{where}: {m.category}: {m.audit} {m.score:.2f}: {m.title}" for m in r.misses]
        runs = [render_score(score) for score in r.performance_runs]
        if len(set(runs)) > 1:
            notes.append(f"{where}: performance runs {', '.join(runs)} (the median is shown)")
        if embeds := sorted({url for url in r.external if is_embed_url(url)}):
            notes.append(f"{where}: {len(embeds)} video embeds blocked (no network here)")
    return notes


def parse_log_urls(text: str) -> list[str]:
    """The URLs not on 127.0.0.1 that a tool's log mentions (Lighthouse names what it
    fetches)."""
    urls = re.findall(r"\b(?:https?|wss?)://[^\s\"'<>)\]]+", text)
    return sorted({url for url in urls if not is_loopback_url(url)})


def render_violation(where: str, violation: AxeViolation) -> str:
    targets = ", ".join(violation.targets[:3]) + (" ..." if len(violation.targets) > 3 else "")
    widths = "/".join(violation.viewports)
    return (
        f"{where}: axe {violation.rule} ({violation.impact}, {widths}): {violation.help}: {targets}"
    )


def check_scheme(where: str, result: PageAudit) -> list[str]:
    """The colour scheme really was emulated while Lighthouse ran, and the page followed it."""
    if result.scheme_seen != result.scheme:
        return [f"{where}: Lighthouse saw the {result.scheme_seen} scheme: emulation failed"]
    if result.luminance is None:
        return []
    if (result.scheme == "dark") != (result.luminance < 0.5):
        return [
            f"{where}: the page looks wrong for the {result.scheme} scheme "
            f"(mean luminance {result.luminance:.2f} in Lighthouse's screenshot)"
        ]
    return []


@dataclass(frozen=True)
class NetLogSummary:
    """What chromium's own net log says about traffic beyond the loopback address."""

    requests: tuple[str, ...]  # URLs chromium asked for that are not on 127.0.0.1
    lookups: tuple[str, ...]  # host names it sent to DNS
    connections: tuple[str, ...]  # non-loopback addresses it opened TCP or sent UDP to
    probes: tuple[str, ...]  # non-loopback UDP connects that sent nothing (route probes)


def parse_net_log(text: str) -> NetLogSummary:
    """The external traffic in a ``--log-net-log`` file (one cut short by a crash too)."""
    try:
        log = json.loads(text)
    except ValueError:
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    found: dict[str, set[str]] = {"requests": set(), "lookups": set(), "connections": set()}
    udp: dict[object, str] = {}  # socket (net log source) -> the address it connected to
    for event in log.get("events", []):
        name, params = names.get(event.get("type")), event.get("params") or {}
        source = (event.get("source") or {}).get("id")
        if name == "URL_REQUEST_START_JOB" and not is_loopback_url(params.get("url", "")):
            found["requests"].add(params["url"])
        elif name == "DNS_TRANSACTION" and "hostname" in params:
            found["lookups"].add(params["hostname"])
        elif name == "TCP_CONNECT_ATTEMPT" and not is_loopback_address(params.get("address", "")):
            found["connections"].add(params["address"])
        elif name == "UDP_CONNECT" and not is_loopback_address(params.get("address", "")):
            udp[source] = params["address"]
        elif name == "UDP_BYTES_SENT" and source in udp:
            found["connections"].add(udp[source])
    probes = set(udp.values()) - found["connections"]
    return NetLogSummary(*(tuple(sorted(v)) for v in (*found.values(), probes)))


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or is_loopback_address(
        parts.hostname or ""
    )


def is_loopback_address(address: str) -> bool:
    if not address:
        return True  # the closing half of an event: the opening half carried the address
    host = re.sub(r":\d+$", "", address).strip("[]")
    return host.startswith("127.") or host in ("localhost", "::1")


def check_net_log(summary: NetLogSummary) -> list[str]:
    """Problems: any name sent to DNS or socket opened beyond the loopback address."""
    return [f"chromium looked up {name} in DNS" for name in summary.lookups] + [
        f"chromium connected to {address}" for address in summary.connections
    ]


class LocalSite:
    """A folder served on 127.0.0.1 (a free port) from a thread; remembers paths that
    answered 404, which a page asked for and the build did not write."""

    def __init__(self, folder: Path) -> None:
        self.missing: list[str] = []
        handler = functools.partial(self._handler(), directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[SimpleHTTPRequestHandler]:
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                if str(code) == "404":
                    site.missing.append(self.path)

        return Handler
