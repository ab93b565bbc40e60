"""`make devserver`: serves on 127.0.0.1, rebuilds on change, and the page is told to reload."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import ROOT, Devserver, free_port, write_settings

POST = "Title: {title}\nDate: 2026-01-02\nCategory: notes\nSlug: hello\n\nSome text.\n"


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def test_devserver_rebuilds_and_injects_reload(tmp_path: Path) -> None:
    content, output = tmp_path / "content", tmp_path / "output"
    (content / "posts").mkdir(parents=True)
    post = content / "posts" / "hello.md"
    post.write_text(POST.format(title="First title"), encoding="utf-8")
    settings = write_settings(tmp_path, content, output, production=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}/posts/2026/01/hello/"
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "devserver.py"),
            "--port",
            str(port),
            "--content",
            str(content),
            "--output",
            str(output),
            "--settings",
            str(settings),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        assert wait_for(lambda: "First title" in httpx.get(url).text, 60), "no first build"
        page = httpx.get(url).text
        assert "livereload.js" in page
        post.write_text(POST.format(title="Second title"), encoding="utf-8")
        assert wait_for(lambda: "Second title" in httpx.get(url).text, 60), "no rebuild"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_failed_rebuild_keeps_the_last_good_pages_and_says_why(tmp_path: Path) -> None:
    content, output = tmp_path / "content", tmp_path / "output"
    (content / "posts").mkdir(parents=True)
    post = content / "posts" / "hello.md"
    post.write_text(POST.format(title="First title"), encoding="utf-8")
    settings = write_settings(tmp_path, content, output, production=False)
    good_settings = settings.read_text(encoding="utf-8")
    page = output / "posts" / "2026" / "01" / "hello" / "index.html"
    with Devserver(content, output, settings, tmp_path) as server:
        url = f"http://127.0.0.1:{server.port}/posts/2026/01/hello/"
        before = page.read_bytes()
        settings.write_text(good_settings + "BROKEN = (\n", encoding="utf-8")
        assert server.wait_for_line("devserver: the build failed (SyntaxError", 1, 60), server.log
        assert server.count("the last good pages are still served") == 1
        time.sleep(1)
        assert server.reloads == [], "a failed build told the browser to reload"
        assert page.read_bytes() == before
        assert "First title" in httpx.get(url).text
        # Fixed, the next change builds and reloads again, with the settings read anew.
        settings.write_text(good_settings, encoding="utf-8")
        assert server.wait(lambda: len(server.reloads) == 1, 60), server.log
        post.write_text(POST.format(title="Second title"), encoding="utf-8")
        assert server.wait(lambda: len(server.reloads) == 2, 60), server.log
        assert "Second title" in page.read_text(encoding="utf-8")
        assert "Second title" in httpx.get(url).text
