"""Audit the site in a real browser: axe-core and Lighthouse, in light and dark schemes.

  linkdigest audit                  build with publishconf.py, serve on 127.0.0.1, audit
  linkdigest audit --min-score 90   the lowest Lighthouse score that passes (default 95)
  linkdigest audit --runs 1         Lighthouse runs per page and scheme (default 3, median)
  linkdigest audit --reports DIR    Lighthouse reports, screenshots, logs (.cache/audit)

Audits the home page, the newest digest, the links page and the newest ordinary post with
axe-core (WCAG 2.2 AA) and Lighthouse 12 (mobile) in Debian's chromium, headless; paths are
relative to the folder it runs in (the blog's root). Exit 2 when axe finds a violation, a
score is under --min-score, a request left 127.0.0.1 or a colour scheme was not emulated; 0
when none; 1 when a tool is missing or the build fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from linkdigest.cli.exits import ERROR, OK, PROBLEMS
from linkdigest.cli.setup import Session
from linkdigest.errors import ToolError
from linkdigest.shipping.audit import (
    AUDIT_INSTALL_HINT,
    AUDIT_TOOLS,
    AXE_TAGS,
    CATEGORIES,
    AuditPage,
    LocalSite,
    NetLogSummary,
    PageAudit,
    check_audit,
    check_net_log,
    is_embed_url,
    parse_audit_lines,
    parse_log_urls,
    parse_net_log,
    read_audit_pages,
    render_audit_table,
    render_notes,
)

SCHEMES = ("light", "dark")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--node", default="node")
    parser.add_argument("--min-score", type=int, default=95)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs (median kept)")
    parser.add_argument("--reports", type=Path, default=Path(".cache/audit"))
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument(
        "--settings", "--pelican-settings", dest="pelican_settings", type=Path,
        default=Path("publishconf.py"), help="Pelican settings for the build",
    )  # fmt: skip
    parser.add_argument("--digest-category", default="summary")
    parser.add_argument(
        "--tools", type=Path, default=AUDIT_TOOLS, help="the folder of audit.mjs (tools/audit)"
    )


def find_setup_problem(args: argparse.Namespace) -> str | None:
    """What is missing to run the audit, said as what to do; None when all is there."""
    if not (Path(args.chromium).is_file() and os.access(args.chromium, os.X_OK)):
        return f"{args.chromium} not found: `apt-get install chromium` (or --chromium PATH)"
    if shutil.which(args.node) is None:
        return f"{args.node} not found: install Node.js 18.20+ (`apt-get install nodejs npm`)"
    if not (args.tools / "node_modules" / "lighthouse").is_dir():
        return f"{args.tools}/node_modules is missing: {AUDIT_INSTALL_HINT}"
    return None


def build_site(args: argparse.Namespace, output: Path, site_url: str) -> str | None:
    """Production settings with the local server as SITEURL; the build log when it fails."""
    command = [
        *(sys.executable, "-m", "pelican", str(args.content), "-o", str(output)),
        *("-s", str(args.pelican_settings), "--fatal", "warnings"),
        # A cache of its own: this build must not feed `make html`'s cache.
        *("-e", f"CACHE_PATH={json.dumps(str(output.parent / 'cache'))}"),
    ]
    env = {**os.environ, "SITEURL": site_url}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    return None if result.returncode == 0 else result.stdout + result.stderr


def run_browser(
    args: argparse.Namespace, pages: list[AuditPage], site_url: str, work: Path
) -> tuple[list[PageAudit], NetLogSummary, str]:
    """tools/audit/audit.mjs over every page and scheme: results, chromium's net log and the
    tools' own log (its progress lines are shown as they come)."""
    config = {
        "base": site_url,
        "chromium": args.chromium,
        "pages": [{"name": page.name, "path": page.path} for page in pages],
        "schemes": list(SCHEMES),
        "runs": args.runs,
        "reports": str(args.reports),
        "netLog": str(args.reports / "chromium.netlog.json"),
        "axeTags": list(AXE_TAGS),
        "categories": list(CATEGORIES),
    }
    args.reports.mkdir(parents=True, exist_ok=True)
    (work / "config.json").write_text(json.dumps(config), encoding="utf-8")
    command = [args.node, str(args.tools / "audit.mjs"), str(work / "config.json")]
    log_path = args.reports / "audit.log"
    stdout, log, code = run_showing_progress(command, log_path)
    if code != 0:
        raise ToolError(f"{args.tools}/audit.mjs failed (exit {code}): see {log_path}")
    net_log = Path(config["netLog"]).read_text(encoding="utf-8")
    return parse_audit_lines(stdout), parse_net_log(net_log), log


def run_showing_progress(command: list[str], log_path: Path) -> tuple[str, str, int]:
    """Run ``command``: its stdout, its whole stderr (also written to ``log_path``) and its
    exit code; stderr lines starting with ``audit:`` are shown as progress."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        stdout_lines: list[str] = []
        reader = threading.Thread(target=lambda: stdout_lines.extend(process.stdout or []))
        reader.start()
        log_lines: list[str] = []
        for line in process.stderr or []:
            log_lines.append(line)
            if line.startswith("audit:"):
                print(line, end="", file=sys.stderr, flush=True)
        reader.join()
    log_path.write_text("".join(log_lines), encoding="utf-8")
    return "".join(stdout_lines), "".join(log_lines), process.returncode


def print_report(
    results: list[PageAudit], net: NetLogSummary, log: str, site: LocalSite, min_score: int
) -> list[str]:
    """The table, notes, then every problem; returns the problems."""
    print(render_audit_table(results))
    for note in render_notes(results):
        print(f"note: {note}")
    if net.requests:
        hosts = sorted({url.split("/")[2] for url in net.requests})
        print(
            f"note: chromium asked for, and was stopped before any DNS lookup: {', '.join(hosts)}"
        )
    problems = check_audit(results, min_score) + check_net_log(net)
    problems += [
        f"a tool's log names {url}" for url in parse_log_urls(log) if not is_embed_url(url)
    ]
    problems += [f"404 from the local server: {path}" for path in sorted(set(site.missing))]
    for problem in problems:
        print(f"problem: {problem}")
    return problems


def run(args: argparse.Namespace, session: Session) -> int:
    args.reports = args.reports.resolve()
    if problem := find_setup_problem(args):
        session.say(problem)
        return ERROR
    with tempfile.TemporaryDirectory(prefix="linkdigest-audit-") as folder:
        work = Path(folder)
        site = LocalSite(work / "output")
        try:
            if log := build_site(args, work / "output", site.url):
                session.say(f"the build failed:\n{log[-3000:]}")
                return ERROR
            pages = read_audit_pages(work / "output", args.digest_category)
            session.wrote(f"reports in {args.reports}")
            results, net, log = run_browser(args, pages, site.url, work)
            problems = print_report(results, net, log, site, args.min_score)
        finally:
            site.close()
    print(f"reports and screenshots: {args.reports}")
    return PROBLEMS if problems else OK
