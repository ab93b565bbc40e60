"""A stalled server through the real command line (issue 16, item 4): `linkdigest fetch URL`
costs at most the deadline per request and one retry for a timeout, whatever read_timeout
and retries say, and names the host and the deadline; a server that sends its headers and
then stalls is reported the same way, not printed as a page without a title."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkdigest.fetching.fetch import FetchOptions, parse_fetch_result
from linkdigest.net import FailureKind, FetchResult
from tests.servers import LocalServer, Reply

CONSOLE_SCRIPT = Path(sys.executable).parent / "linkdigest"
STALL = 30.0  # seconds a stalling route waits: longer than the test would ever wait
DEADLINE = 1.0
BACKOFF = 0.5
# read_timeout and retries as in linkdigest.toml: neither may stretch a stall.
SETTINGS = f"""
[http]
site = "Test"
contact = "https://site.example/about/"
connect_timeout = 10.0
read_timeout = 20.0
deadline = {DEADLINE}
retries = 3
backoff = {BACKOFF}
[hosts.default]
delay = 0.0
"""


def stalled_body() -> Iterator[bytes]:
    time.sleep(STALL)
    yield b"<title>Too late</title>"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    server = LocalServer("127.0.0.81")
    server.routes["/silent"] = Reply(body=b"late", delay=STALL)  # reads the request, no answer
    server.routes["/headers"] = Reply(headers={"Content-Type": "text/html"}, body=stalled_body)
    yield server
    server.close()
    assert server.unexpected == [], server.unexpected


def fetch(url: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    settings = tmp_path / "linkdigest.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    command = [str(CONSOLE_SCRIPT), "fetch", url, "--settings", str(settings), "--no-cache"]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    return done, time.monotonic() - started


def test_a_silent_server_costs_two_deadlines_and_a_backoff(server, tmp_path) -> None:
    done, elapsed = fetch(server.url("/silent"), tmp_path)
    assert done.returncode == 2
    message = f"fetch: {server.url('/silent')}: timeout: no answer from 127.0.0.81 within 1 s"
    assert message in done.stderr.splitlines()
    assert [seen.path for seen in server.seen] == ["/silent", "/silent"]  # one retry, not 3
    spent = 2 * DEADLINE + BACKOFF
    assert spent <= elapsed < spent + 2.5  # the program's start up, not another deadline


def test_headers_then_a_stall_is_reported_not_printed_as_a_page(server, tmp_path) -> None:
    done, elapsed = fetch(server.url("/headers"), tmp_path)
    assert done.returncode == 2
    url = server.url("/headers")
    message = f"fetch: {url}: timeout: no answer from 127.0.0.81 within 1 s after the headers"
    assert message in done.stderr.splitlines()
    assert "FETCH FAILED" in done.stdout
    assert [seen.path for seen in server.seen] == ["/headers"]  # a status: never retried
    assert DEADLINE <= elapsed < DEADLINE + 2.5


@pytest.fixture
def half_answer() -> Iterator[tuple[str, list[bytes]]]:
    """A server that reads a request for /partial, sends half a status and headers, and
    stalls; every request line it got is kept (the test asserts them)."""
    listener = socket.create_server(("127.0.0.82", 0))
    requests: list[bytes] = []
    held: list[socket.socket] = []  # open, silent, until the test ends

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            requests.append(connection.recv(65536).split(b"\r\n")[0])
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Ty")
            held.append(connection)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.82:{listener.getsockname()[1]}/partial", requests
    listener.close()
    for connection in held:
        connection.close()


def test_half_the_headers_then_a_stall_costs_two_deadlines(half_answer, tmp_path) -> None:
    url, requests = half_answer
    done, elapsed = fetch(url, tmp_path)
    assert done.returncode == 2
    assert f"fetch: {url}: timeout: no answer from 127.0.0.82 within 1 s" in done.stderr
    assert requests == [b"GET /partial HTTP/1.1"] * 2
    spent = 2 * DEADLINE + BACKOFF
    assert spent <= elapsed < spent + 2.5


@pytest.mark.parametrize(
    ("body", "failure", "title", "error"),
    [
        (b"", FailureKind.TIMEOUT, "", "timeout: no answer from h within 1 s after the headers"),
        (b"<title>Kept</title><p>Cut", FailureKind.TIMEOUT, "Kept", ""),
        (
            b"<p>no title",
            FailureKind.RESET,
            "",
            "reset: h broke the connection off after the headers",
        ),
        (b"<title>Whole</title>", None, "Whole", ""),
    ],
)
def test_a_page_cut_before_its_title_is_a_failure(
    body: bytes, failure: FailureKind | None, title: str, error: str
) -> None:
    detail = error.partition(": ")[2]
    result = FetchResult(
        "http://h/", "http://h/", 200, {"content-type": "text/html"}, body,
        body_failure=failure, detail=detail,
    )  # fmt: skip
    info = parse_fetch_result(result, FetchOptions())
    assert (info.title, info.error) == (title, error)
