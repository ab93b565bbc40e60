"""The email edition of a published digest: written as an .eml, sent only when asked.

  linkdigest newsletter 2026-10           write newsletters/2026-10/edition.eml (+ parts)
  linkdigest newsletter 2026-10 --dry-run print the message's headers and text; write nothing
  linkdigest newsletter 2026-10 --send    write, then send (SMTP with STARTTLS, or the
                                          service of [newsletter] api_url); never twice
  linkdigest newsletter 2026-10 --send --resend   send an edition that was already sent

Settings in [newsletter] of linkdigest.toml; credentials from the environment only
(LINKDIGEST_SMTP_USER, LINKDIGEST_SMTP_PASSWORD, LINKDIGEST_NEWSLETTER_TOKEN by default).
Exit codes: 0 written (and sent), 1 usage, settings, content or sending error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from linkdigest.cli.exits import OK
from linkdigest.cli.setup import Session
from linkdigest.errors import DeployError, UsageError
from linkdigest.settings import DEFAULT_PATH
from linkdigest.shipping.newsletter import (
    Edition,
    NewsletterSettings,
    find_digest_source,
    is_sent_answer,
    iter_problems,
    parse_newsletter_settings,
    read_sent_record,
    read_site,
    render_api_payload,
    render_edition,
    send_smtp,
    write_edition,
    write_sent_record,
)

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("month", help="the digest's month, YYYY-MM (for example 2026-10)")
    parser.add_argument("--pelican-settings", type=Path, default=Path("publishconf.py"))
    parser.add_argument("--settings", default=str(DEFAULT_PATH), help="linkdigest.toml")
    parser.add_argument("--dry-run", action="store_true", help="show the message, write nothing")
    parser.add_argument("--send", action="store_true", help="send it (once)")
    parser.add_argument("--resend", action="store_true", help="with --send: send it again")
    parser.add_argument("--via", choices=("smtp", "api"), help="default: api when api_url is set")


def build(args: argparse.Namespace, session: Session) -> tuple[Edition, NewsletterSettings]:
    if not MONTH.match(args.month):
        raise UsageError(f"{args.month!r} is not a month: write it as YYYY-MM, e.g. 2026-10")
    settings = parse_newsletter_settings(session.data, session.source)
    site = read_site(args.pelican_settings)
    path, text = find_digest_source(site, args.month)
    return render_edition(site, path, text, args.month, settings), settings


def send(
    edition: Edition, settings: NewsletterSettings, args: argparse.Namespace, session: Session
) -> str:
    message = edition.message(settings)
    via = args.via or ("api" if settings.api_url else "smtp")
    if via == "smtp":
        user = os.environ.get(settings.smtp_user_env, "")
        return send_smtp(message, settings, user, os.environ.get(settings.smtp_password_env, ""))
    import asyncio

    return asyncio.run(send_api(edition, settings, session))


async def send_api(edition: Edition, settings: NewsletterSettings, session: Session) -> str:
    if not settings.api_url:
        raise UsageError("[newsletter] api_url is not set: --via api has nowhere to send")
    token = os.environ.get(settings.api_token_env, "")
    headers = {
        "Content-Type": "application/json",
        **({"Authorization": f"Bearer {token}"} if token else {}),
    }
    body = json.dumps(render_api_payload(edition, settings)).encode()
    async with session.fetcher() as fetcher:
        result = await fetcher.post(settings.api_url, body, headers)
    if not is_sent_answer(result.status):
        raise DeployError(
            f"{settings.api_url}: not sent ({result.describe()}); nothing recorded, run again"
        )
    return f"{settings.api_url} answered HTTP {result.status}"


def run(args: argparse.Namespace, session: Session) -> int:
    edition, settings = build(args, session)
    for problem in iter_problems(edition):
        session.say(f"WARNING: {problem}")
    message = edition.message(settings)
    if args.dry_run:
        headers = "".join(f"{k}: {v}\n" for k, v in message.items())
        sys.stdout.write(f"{headers}\n{edition.text}")
        session.say(f"dry run: HTML part {len(edition.html.encode()):,} bytes; nothing written")
        return OK
    files = write_edition(edition, settings, message)
    session.wrote(files.eml)
    session.say(f"wrote {files.eml} ({len(edition.html.encode()):,} bytes of HTML) and its parts")
    if not args.send:
        return OK
    record = read_sent_record(files)
    if record and not args.resend:
        raise UsageError(
            f"{edition.month} was sent on {record.get('sent_at')} ({record.get('via')}): "
            "add --resend to send it again"
        )
    detail = send(edition, settings, args, session)
    write_sent_record(files, edition, args.via or ("api" if settings.api_url else "smtp"), detail)
    session.wrote("the record that it was sent")
    session.say(f"sent: {detail}")
    return OK
