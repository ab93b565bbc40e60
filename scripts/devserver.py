#!/usr/bin/env python3
"""Serve the site on 127.0.0.1, rebuild on every change, and reload the open browser page.

Usage: scripts/devserver.py [--port 8000] [--settings pelicanconf.py]
Pelican stays loaded in this process and builds again on each change to the content, the
theme or the settings (linkdigest.site.devbuild); the page is told to reload as soon as
every page is written, and the search index follows a moment later. A change to the code
(plugins/, linkdigest/) restarts this process. A failed build leaves the last good pages
served, says why on stderr and sends no reload. The livereload server injects its own small
script into each HTML page it serves (from the local package, no CDN).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkdigest.site.search import IndexReport

ROOT = Path(__file__).resolve().parent.parent
CODE = ("plugins", "linkdigest")
SITE = ("theme",)
FLUSH_DELAY = 2.0  # seconds after a reload


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument("--content", default="content")
    parser.add_argument("--output", default="output")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from livereload import Server
        from livereload.handlers import LiveReloadHandler
    except ImportError:
        print(
            "devserver: livereload is missing; run `make devserver` (it installs the dev "
            "extras) or `pip install -e '.[dev]'`",
            file=sys.stderr,
        )
        return 1
    from pelican.log import init as init_logging

    from linkdigest.site.devbuild import SiteBuilder

    init_logging(name="pelican")  # as `pelican` sets it up: warnings and errors on stderr
    builder = SiteBuilder(ROOT / args.content, ROOT / args.output, ROOT / args.settings)

    def build() -> bool:
        outcome = builder.build()
        if outcome.ok:
            print(f"devserver: pages written in {outcome.seconds:.2f} s", file=sys.stderr)
            if outcome.search is not None:
                outcome.search.add_done_callback(report_search)
        else:
            print(
                f"devserver: the build failed ({outcome.error}); the last good pages are "
                "still served, fix it and save again",
                file=sys.stderr,
            )
        return outcome.ok

    def report_search(indexing: Future[IndexReport]) -> None:
        try:
            report = indexing.result()
        except Exception as error:  # already logged by the plugin, as an error
            print(f"devserver: the search index was not updated ({error})", file=sys.stderr)
            return
        print(f"devserver: search index ready ({report.seconds:.2f} s)", file=sys.stderr)

    def rebuild() -> None:
        if build():
            LiveReloadHandler.reload_waiters()
            save_caches_soon()

    def save_caches_soon() -> None:
        # The content cache is written to disk once the browser has had its reload (writing
        # it takes about half a second at 1,000 digests), so that a restart starts warm.
        from tornado.ioloop import IOLoop

        IOLoop.current().call_later(FLUSH_DELAY, builder.flush)

    def restart() -> None:
        print("devserver: the code changed; restarting", file=sys.stderr)
        builder.flush()
        os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])

    build()
    builder.flush()
    server = Server()
    folders = [ROOT / name for name in (args.content, *SITE)]
    code = [ROOT / name for name in CODE]
    # livereload's own watcher polls every 0.8 s or so; 'forever': it sends no reload of
    # its own, rebuild() sends it when the pages are new. It keeps the settings file (a
    # file an editor may replace, which a kernel watch can lose track of).
    server.watch(str(ROOT / args.settings), rebuild, delay="forever")
    if not watch_in_thread(folders, code, rebuild, restart):
        for path in folders:
            server.watch(str(path), rebuild, delay="forever")
        for path in code:
            server.watch(str(path), restart, delay="forever")
    print(f"devserver: http://{args.host}:{args.port}/ (Ctrl-C to stop)", file=sys.stderr)
    try:
        server.serve(
            host=args.host,
            port=args.port,
            root=str(ROOT / args.output),
            open_url_delay=None,
            restart_delay=0,
        )
    finally:
        builder.flush()
    return 0


def watch_in_thread(
    sources: list[Path], code: list[Path], rebuild: Callable[[], None], restart: Callable[[], None]
) -> bool:
    """Watch with the kernel's file events (watchfiles, installed with the dev extras) in a
    thread of its own, and run ``rebuild``/``restart`` on the server's loop: a save starts
    the build at once instead of at livereload's next poll. Changes made while a build runs
    make one build more, not one each. False when watchfiles is not installed."""
    try:
        from watchfiles import watch
    except ImportError:
        return False
    from tornado.ioloop import IOLoop

    loop = IOLoop.current()
    pending = threading.Event()

    def run_pending() -> None:
        pending.clear()
        rebuild()

    def follow() -> None:
        watched = [str(path) for path in (*sources, *code) if path.exists()]
        for changes in watch(*watched, debounce=50, step=20):
            paths = [Path(name) for _, name in changes]
            if any(path.is_relative_to(folder) for path in paths for folder in code):
                loop.add_callback(restart)
                return
            if not pending.is_set():
                pending.set()
                loop.add_callback(run_pending)

    threading.Thread(target=follow, name="devserver-watch", daemon=True).start()
    return True


if __name__ == "__main__":
    sys.exit(main())
