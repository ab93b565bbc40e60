#!/usr/bin/env python3
"""Gate the production build, then deploy it to the target the blogger chose.

  make publish                                build with publishconf.py, then run this
  scripts/publish.py                          gates, then deploy output/ to the default target
  scripts/publish.py --target pages           another target of [publish.targets]
  scripts/publish.py --dry-run                show what would change at the target; change nothing
  scripts/publish.py --skip-gates links,tests emergencies only: each skip is printed loudly

Gates: output (index.html and the feeds exist), drafts (none in the output), internal
(links and #fragments resolve), feeds (feedparser reads them without bozo), tests (the fast
part of the test suite), links (no dead link in posts new or changed since the last deploy
to this target). Exit 0 when deployed (or a dry run ended), 2 when a gate failed and nothing
was deployed, 1 on a usage, settings or deploy error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from linkdigest.checking.cache import read_link_cache, write_link_cache
from linkdigest.checking.verdicts import parse_check_options
from linkdigest.cli import ERROR, OK, PROBLEMS, Progress, report_error
from linkdigest.errors import DigestError
from linkdigest.net import parse_http_settings
from linkdigest.settings import DEFAULT_PATH, read_settings_file
from linkdigest.shipping.deploy import (
    Changes,
    PublishSettings,
    Target,
    deploy,
    parse_publish_settings,
    pick_target,
    render_target,
)
from linkdigest.shipping.publish import (
    GATES,
    DeployRecord,
    GateResult,
    Precompressed,
    SiteFacts,
    check_content,
    check_drafts,
    check_feeds,
    check_internal,
    check_links,
    check_output,
    parse_skip_gates,
    read_changed_links,
    read_deploy_record,
    read_post_hashes,
    read_site_facts,
    read_site_stats,
    render_change_lines,
    render_changed_posts,
    render_summary,
    select_site_changes,
    write_deploy_record,
    write_precompressed,
)

PROGRAM = "publish"
DEFAULT_STATE = Path(".cache/linkdigest/deploys")
DEFAULT_CACHE = Path(".cache/linkdigest/links.json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0])
    parser.add_argument("--target", help="a target of [publish.targets] (default: [publish])")
    parser.add_argument("--dry-run", action="store_true", help="show changes, change nothing")
    parser.add_argument("--skip-gates", default="", help=f"comma list of: {', '.join(GATES)}")
    parser.add_argument("--pelican-settings", type=Path, default=Path("publishconf.py"))
    parser.add_argument("--output", type=Path, help="the built site (default: its OUTPUT_PATH)")
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="linkdigest.toml")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="deploy records")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="the link checker's cache")
    parser.add_argument(
        "--allow-unverified",
        action="store_true",
        help="publish even when some links could not be verified (they are checked next time)",
    )
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"{PROGRAM}: {message}", file=sys.stderr)


def run_links_gate(
    site: SiteFacts,
    settings: PublishSettings,
    record: DeployRecord,
    data: dict[str, Any],
    args: argparse.Namespace,
) -> tuple[GateResult, dict[str, str]]:
    """The links gate, and the post hashes to record when the deploy succeeds: only posts
    whose every link was verified."""
    http = parse_http_settings(data, args.settings)
    options = parse_check_options(data, args.settings)
    current = read_post_hashes(site.content)
    changed = render_changed_posts(current, record.checked)
    cache = read_link_cache(args.cache)
    if cache.recovered:
        say(cache.recovered)
    refs = read_changed_links(site.content, changed)
    progress = Progress(f"{PROGRAM}: links", len({ref.url for ref in refs}))
    allow = args.allow_unverified or settings.allow_unverified
    gate = check_links(
        refs, len(changed), http, options, cache, allow,
        lambda check: progress.advance(check.url), site.content,
    )  # fmt: skip
    outcome = asyncio.run(gate)
    write_link_cache(cache)
    checked = {p: h for p, h in record.checked.items() if p in current}
    passed = [p for p in changed if str(site.content / p) not in outcome.unchecked]
    return outcome.result, {**checked, **{path: current[path] for path in passed}}


def run_gates(
    site: SiteFacts,
    settings: PublishSettings,
    data: dict[str, Any],
    record: DeployRecord,
    skip: tuple[str, ...],
    args: argparse.Namespace,
) -> tuple[list[GateResult], dict[str, str]]:
    """Every gate not skipped; the rest are pointless when there is no site to check."""
    local = {
        "output": lambda: check_output(site),
        "drafts": lambda: check_drafts(site),
        "internal": lambda: check_internal(site),
        "feeds": lambda: check_feeds(site),
        "content": lambda: check_content(site),
    }
    results: list[GateResult] = []
    checked = dict(record.checked)
    for name in GATES:
        if name in skip:
            results.append(GateResult(name, skipped=True))
        elif name == "links":
            result, checked = run_links_gate(site, settings, record, data, args)
            results.append(result)
        else:
            results.append(local[name]())
        report_gate(results[-1])
        if name == "output" and not results[-1].ok:
            break
    return results, checked


def report_gate(result: GateResult) -> None:
    if result.skipped:
        say(f"WARNING: gate '{result.name}' SKIPPED (SKIP_GATES): it does not protect this deploy")
        return
    note = f" ({result.note})" if result.note else ""
    say(f"gate {result.name}: {'ok' if result.ok else 'FAILED'}{note}")
    for problem in result.problems:
        say(f"  {problem}")
    for warning in result.warnings:
        say(f"  WARNING: {warning}")


def deploy_site(
    target: Target, site: SiteFacts, args: argparse.Namespace
) -> tuple[Precompressed, Changes]:
    """Pre-compress, then deploy (or only plan): the site's own changes at the target."""
    precompressed = write_precompressed(site.output) if target.precompress else Precompressed()
    changes = deploy(target, site.output, args.state, site.site_url, args.dry_run)
    return precompressed, select_site_changes(changes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = read_settings_file(args.settings)
        settings = parse_publish_settings(data, args.settings)
        target = pick_target(settings, args.target, args.settings)
        skip = parse_skip_gates(args.skip_gates)
        site = read_site_facts(args.pelican_settings, args.output)
        record_path = args.state / f"{target.name}.json"
        record = read_deploy_record(record_path, target.name)
        results, checked = run_gates(site, settings, data, record, skip, args)
        failed = [r.name for r in results if not r.ok]
        if failed:
            say(f"nothing deployed: gate {', '.join(failed)} failed; fix it and publish again")
            return PROBLEMS
        say(f"{'dry run for' if args.dry_run else 'deploying to'} {render_target(target)}")
        precompressed, changes = deploy_site(target, site, args)
        if not args.dry_run:
            write_deploy_record(record_path, DeployRecord(target.name, "", site.site_url, checked))
    except DigestError as error:
        return report_error(PROGRAM, error)
    except OSError as error:
        say(f"{error.filename or ''}: {error.strerror or error}")
        return ERROR
    report_summary(site, changes, precompressed, skip, args.dry_run)
    return OK


def report_summary(
    site: SiteFacts,
    changes: Changes,
    precompressed: Precompressed,
    skip: tuple[str, ...],
    dry_run: bool,
) -> None:
    if dry_run:
        sys.stdout.writelines(f"{line}\n" for line in render_change_lines(changes))
    for line in render_summary(read_site_stats(site), changes, site.site_url, precompressed):
        say(f"{'(dry run) ' if dry_run else ''}{line}")
    if dry_run:
        say("dry run: nothing was changed at the target")
    if skip:
        verb = "would deploy" if dry_run else "deployed"
        say(f"WARNING: {verb} WITHOUT the gates {', '.join(skip)}")


if __name__ == "__main__":
    sys.exit(main())
