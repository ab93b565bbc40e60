"""The ``linkdigest`` command: its subcommands, parsed and run, every exit code from one place.

Only the subcommand asked for is imported (its module names its arguments and does its
printing), so ``linkdigest fetch --html`` never imports the network nor Pelican.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Protocol

from linkdigest import __version__
from linkdigest.cli.exits import ERROR, OK, run_guarded
from linkdigest.cli.setup import Session
from linkdigest.settings import DEFAULT_PATH

PROGRAM = "linkdigest"
COMMANDS = {
    "draft": "draft (or merge into) the month's digest from the [draft] sources",
    "fetch": "titles and summaries of links, as digest entries or JSON lines",
    "links": "check the blog's links: dead, moved, unverifiable, with each file:line",
    "publish": "gate the production build, then deploy it",
    "audit": "axe-core and Lighthouse on key pages, light and dark (needs chromium)",
    "newsletter": "the email edition of a published digest; sent only when asked",
}
EPILOG = """exit codes, for every command: 0 done; 1 an error (one line: where, what, what to
do); 2 problems found (dead links, a failed gate, pages not fetched; draft: only with
--strict); 130 interrupted (Ctrl-C), saying what was written."""


class Command(Protocol):
    """A subcommand's module."""

    __doc__: str | None

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, session: Session) -> int: ...


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as exit 1 (argparse's own 2 means "problems found" here)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ERROR, f"{self.prog}: {message}; see {self.prog} --help\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``linkdigest ARGV``; the exit code (never raises SystemExit)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    name = next((arg for arg in argv if not arg.startswith("-")), "")
    command = load_command(name)
    parser, sub = build_parser(name if command else "", command)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the subcommand, with its own usage line
            (sub or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as stop:  # --help and --version end here with 0, usage errors with 1
        return OK if stop.code in (0, None) else ERROR
    if command is None:
        parser.print_help(sys.stderr)
        return ERROR
    session = Session(name, getattr(args, "settings", None) or DEFAULT_PATH)
    return run_guarded(name, lambda: command.run(args, session), session.render_written)


def load_command(name: str) -> Command | None:
    if name not in COMMANDS:
        return None
    module: Command = import_module(f"linkdigest.cli.{name}")
    return module


def build_parser(
    name: str, command: Command | None
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser | None]:
    """The whole command line, and ``name``'s part of it: only its own arguments are read
    from its module; the others are listed with their summaries."""
    parser = _Parser(
        prog=PROGRAM,
        description="Build, check and publish a Pelican link-digest blog.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = None
    for each, summary in COMMANDS.items():
        sub = commands.add_parser(
            each,
            help=summary,
            description=_description(command) if each == name else summary,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if each == name and command is not None:
            command.add_arguments(sub)
            chosen = sub
    return parser, chosen


def _description(command: Command | None) -> str:
    return (command.__doc__ or "").strip() if command else ""
