#!/usr/bin/env python3
"""Serve the site on 127.0.0.1, rebuild on every change, and reload the open browser page.

Usage: scripts/devserver.py [--port 8000] [--settings pelicanconf.py]
The livereload server injects its own small script into each HTML page it serves (from
the local package, no CDN) and tells the page to reload after each rebuild.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("theme", "plugins", "linkdigest")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument("--content", default="content")
    parser.add_argument("--output", default="output")
    return parser.parse_args(argv)


def build_command(args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pelican",
        str(ROOT / args.content),
        "-o",
        str(ROOT / args.output),
        "-s",
        str(ROOT / args.settings),
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from livereload import Server
    except ImportError:
        print(
            "devserver: livereload is missing; run `make devserver` (it installs the dev "
            "extras) or `pip install -e '.[dev]'`",
            file=sys.stderr,
        )
        return 1
    command = build_command(args)

    def rebuild() -> None:
        # A failed build leaves the last good output served; its errors are on stderr.
        subprocess.run(command, check=False)

    rebuild()
    server = Server()
    for name in (args.content, args.settings, *CODE):
        server.watch(str(ROOT / name), rebuild, delay=0.3)
    print(f"devserver: http://{args.host}:{args.port}/ (Ctrl-C to stop)", file=sys.stderr)
    server.serve(
        host=args.host,
        port=args.port,
        root=str(ROOT / args.output),
        open_url_delay=None,
        restart_delay=0,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
