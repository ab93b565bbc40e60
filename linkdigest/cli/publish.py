"""Gate the production build, then deploy it to the target the blogger chose.

  make publish                                 build with publishconf.py, then run this
  linkdigest publish                           gates, then deploy output/ to the default target
  linkdigest publish --target pages            another target of [publish.targets]
  linkdigest publish --dry-run                 show what would change; change nothing
  linkdigest publish --skip-gates links        emergencies only: each skip is printed loudly

Gates: output (index.html and the feeds exist), drafts (none in the output), internal
(links and #fragments resolve), feeds (feedparser reads them without bozo), content (posts
read whole and follow the digest format), links (no dead link in posts new or changed since
the last deploy to this target). Exit 0 when deployed (or a dry run ended), 2 when a gate
failed and nothing was deployed, 1 on a usage, settings or deploy error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from linkdigest.cli.exits import OK, PROBLEMS
from linkdigest.cli.setup import LINK_CACHE, Session
from linkdigest.settings import DEFAULT_PATH

if TYPE_CHECKING:
    from linkdigest.shipping.deploy import Changes, PublishSettings, Target
    from linkdigest.shipping.publish import DeployRecord, GateResult, Precompressed, SiteFacts

DEFAULT_STATE = Path(".cache/linkdigest/deploys")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from linkdigest.shipping.publish import GATES

    parser.add_argument("--target", help="a target of [publish.targets] (default: [publish])")
    parser.add_argument("--dry-run", action="store_true", help="show changes, change nothing")
    parser.add_argument("--skip-gates", default="", help=f"comma list of: {', '.join(GATES)}")
    parser.add_argument("--pelican-settings", type=Path, default=Path("publishconf.py"))
    parser.add_argument("--output", type=Path, help="the built site (default: its OUTPUT_PATH)")
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="linkdigest.toml")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="deploy records")
    parser.add_argument("--cache", default=str(LINK_CACHE), help="the link checker's cache")
    parser.add_argument(
        "--allow-unverified",
        action="store_true",
        help="publish even when some links could not be verified (they are checked next time)",
    )


def run(args: argparse.Namespace, session: Session) -> int:
    from linkdigest.shipping.deploy import parse_publish_settings, pick_target, render_target
    from linkdigest.shipping.publish import (
        DeployRecord,
        parse_skip_gates,
        read_deploy_record,
        read_site_facts,
        write_deploy_record,
    )

    settings = parse_publish_settings(session.data, session.source)
    target = pick_target(settings, args.target, session.source)
    skip = parse_skip_gates(args.skip_gates)
    site = read_site_facts(args.pelican_settings, args.output)
    record_path = args.state / f"{target.name}.json"
    record = read_deploy_record(record_path, target.name)
    results, checked = run_gates(site, settings, record, skip, args, session)
    if failed := [r.name for r in results if not r.ok]:
        session.say(f"nothing deployed: gate {', '.join(failed)} failed; fix it and publish again")
        return PROBLEMS
    session.say(f"{'dry run for' if args.dry_run else 'deploying to'} {render_target(target)}")
    precompressed, changes = deploy_site(target, site, args, session)
    if not args.dry_run:
        write_deploy_record(record_path, DeployRecord(target.name, "", site.site_url, checked))
        session.wrote(record_path)
    report_summary(site, changes, precompressed, skip, args.dry_run, session)
    return OK


def run_links_gate(
    site: SiteFacts,
    settings: PublishSettings,
    record: DeployRecord,
    args: argparse.Namespace,
    session: Session,
) -> tuple[GateResult, dict[str, str]]:
    """The links gate, and the post hashes to record when the deploy succeeds: only posts
    whose every link was verified."""
    import asyncio

    from linkdigest.checking.verdicts import parse_check_options
    from linkdigest.cli.output import Progress
    from linkdigest.shipping.publish import (
        LinksGate,
        check_links,
        read_changed_links,
        read_post_hashes,
        render_changed_posts,
    )

    options = parse_check_options(session.data, session.source)
    current = read_post_hashes(site.content)
    changed = render_changed_posts(current, record.checked)
    cache = session.link_cache(args.cache)
    refs = read_changed_links(site.content, changed)
    progress = Progress(f"{session.program}: links", len({ref.url for ref in refs}))
    allow = args.allow_unverified or settings.allow_unverified

    async def gate() -> LinksGate:
        async with session.fetcher(cache) as fetcher:
            return await check_links(
                refs, len(changed), session.http, options, cache, allow,
                lambda check: progress.advance(check.url), site.content, fetcher,
            )  # fmt: skip

    outcome = asyncio.run(gate())
    session.write_link_cache(cache)
    checked = {p: h for p, h in record.checked.items() if p in current}
    passed = [p for p in changed if str(site.content / p) not in outcome.unchecked]
    return outcome.result, {**checked, **{path: current[path] for path in passed}}


def run_gates(
    site: SiteFacts,
    settings: PublishSettings,
    record: DeployRecord,
    skip: tuple[str, ...],
    args: argparse.Namespace,
    session: Session,
) -> tuple[list[GateResult], dict[str, str]]:
    """Every gate not skipped; the rest are pointless when there is no site to check."""
    from linkdigest.shipping import publish

    local = {
        "output": publish.check_output,
        "drafts": publish.check_drafts,
        "internal": publish.check_internal,
        "feeds": publish.check_feeds,
        "content": publish.check_content,
    }
    results: list[GateResult] = []
    checked = dict(record.checked)
    for name in publish.GATES:
        if name in skip:
            results.append(publish.GateResult(name, skipped=True))
        elif name == "links":
            result, checked = run_links_gate(site, settings, record, args, session)
            results.append(result)
        else:
            results.append(local[name](site))
        report_gate(results[-1], session)
        if name == "output" and not results[-1].ok:
            break
    return results, checked


def report_gate(result: GateResult, session: Session) -> None:
    if result.skipped:
        session.say(
            f"WARNING: gate '{result.name}' SKIPPED (SKIP_GATES): it does not protect this deploy"
        )
        return
    note = f" ({result.note})" if result.note else ""
    session.say(f"gate {result.name}: {'ok' if result.ok else 'FAILED'}{note}")
    for problem in result.problems:
        session.say(f"  {problem}")
    for warning in result.warnings:
        session.say(f"  WARNING: {warning}")


def deploy_site(
    target: Target, site: SiteFacts, args: argparse.Namespace, session: Session
) -> tuple[Precompressed, Changes]:
    """Pre-compress, then deploy (or only plan): the site's own changes at the target."""
    from linkdigest.shipping.deploy import deploy
    from linkdigest.shipping.publish import (
        Precompressed,
        select_site_changes,
        write_precompressed,
    )

    precompressed = write_precompressed(site.output) if target.precompress else Precompressed()
    if target.precompress:
        session.wrote(f".gz copies in {site.output}")
    if not args.dry_run:
        session.wrote(
            f"part of the deploy to {target.name} (each file whole; publish again to finish it)"
        )
    changes = deploy(target, site.output, args.state, site.site_url, args.dry_run)
    return precompressed, select_site_changes(changes)


def report_summary(
    site: SiteFacts,
    changes: Changes,
    precompressed: Precompressed,
    skip: tuple[str, ...],
    dry_run: bool,
    session: Session,
) -> None:
    from linkdigest.shipping.publish import read_site_stats, render_change_lines, render_summary

    if dry_run:
        sys.stdout.writelines(f"{line}\n" for line in render_change_lines(changes))
    for line in render_summary(read_site_stats(site), changes, site.site_url, precompressed):
        session.say(f"{'(dry run) ' if dry_run else ''}{line}")
    if dry_run:
        session.say("dry run: nothing was changed at the target")
    if skip:
        verb = "would deploy" if dry_run else "deployed"
        session.say(f"WARNING: {verb} WITHOUT the gates {', '.join(skip)}")
