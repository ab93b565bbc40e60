"""The HTTP layer against real servers on 127.x.y.z: politeness, redirects, retries, caps."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpcore
import pytest

import linkdigest.net.transport as transport_module
from linkdigest.errors import ConfigError
from linkdigest.net import (
    FailureKind,
    Fetcher,
    FetchResult,
    HostPolicy,
    HttpSettings,
    parse_http_settings,
    read_http_settings,
)
from linkdigest.net.scheduler import HostPace, RateLimit, parse_rate_limit, parse_retry_after
from linkdigest.net.transport import ConnectFailure
from tests.servers import (
    CountingFetcher,
    LocalServer,
    RateLimiter,
    Reply,
    max_overlap,
    refused_sockets,
    start_servers,
    trickle,
)

ROOT = Path(__file__).resolve().parent.parent
FAST = HttpSettings(
    site="Test Site",
    contact="https://site.example/about/",
    retries=2,
    backoff=0.05,
    connect_timeout=1.0,
    read_timeout=0.5,
    retry_after_cap=0.6,
    default_host=HostPolicy(concurrency=2, delay=0.0),
)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from (s[0] for s in start_servers(["127.0.0.1"]))


@pytest.fixture
def hosts() -> Iterator[list[LocalServer]]:
    yield from start_servers(["127.0.0.2", "127.0.0.3", "127.0.0.4"])


def fetch(url: str, settings: HttpSettings = FAST, **kwargs: object) -> FetchResult:
    return run_all([url], settings, **kwargs)[0]


def run_all(urls: list[str], settings: HttpSettings = FAST, **kwargs: object) -> list[FetchResult]:
    async def main() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(u, **kwargs) for u in urls))

    return asyncio.run(main())


def test_user_agent_names_the_site_and_contact(server: LocalServer) -> None:
    server.routes["/"] = Reply(body=b"ok")
    result = fetch(server.url("/"))
    assert (result.status, result.body, result.error) == (200, b"ok", "")
    agent = server.seen[0].headers["User-Agent"]
    assert agent.startswith("TestSite-linkdigest/") and "+https://site.example/about/" in agent
    assert not server.unexpected


def test_redirect_chain_is_followed_and_recorded(server: LocalServer) -> None:
    server.routes["/a"] = Reply(301, {"Location": "/b"})
    server.routes["/b"] = Reply(308, {"Location": server.url("/c")})
    server.routes["/c"] = Reply(body=b"final")
    result = fetch(server.url("/a"))
    assert result.final_url == server.url("/c") and result.body == b"final"
    assert [(r.status, r.target) for r in result.redirects] == [
        (301, server.url("/b")),
        (308, server.url("/c")),
    ]
    assert result.permanent_redirect == server.url("/c")


def test_credentials_go_to_their_own_origin_only(hosts: list[LocalServer]) -> None:
    first, second, _ = hosts
    first.routes["/a"] = Reply(302, {"Location": "/b"})  # same origin: the token goes along
    first.routes["/b"] = Reply(302, {"Location": second.url("/c")})
    second.routes["/c"] = Reply(body=b"final")
    secret = {"Authorization": "Bearer t0ken", "X-Auth-Token": "t0ken", "Accept": "text/html"}
    result = fetch(first.url("/a"), headers=secret)
    assert result.body == b"final"
    assert [s.headers.get("Authorization") for s in first.seen] == ["Bearer t0ken"] * 2
    (asked,) = second.seen
    assert "Authorization" not in asked.headers and "X-Auth-Token" not in asked.headers
    assert asked.headers["Accept"] == "text/html"


def test_temporary_redirect_is_not_permanent(server: LocalServer) -> None:
    server.routes["/a"] = Reply(301, {"Location": "/b"})
    server.routes["/b"] = Reply(302, {"Location": "/c"})
    server.routes["/c"] = Reply(body=b"x")
    assert fetch(server.url("/a")).permanent_redirect is None


def test_redirect_loop_is_reported(server: LocalServer) -> None:
    server.routes["/a"] = Reply(302, {"Location": "/b"})
    server.routes["/b"] = Reply(302, {"Location": "/a"})
    result = fetch(server.url("/a"))
    assert result.error == "redirect loop"
    assert len(server.seen) == 2


def test_too_many_redirects(server: LocalServer) -> None:
    for n in range(20):
        server.routes[f"/{n}"] = Reply(302, {"Location": f"/{n + 1}"})
    result = fetch(server.url("/0"), HttpSettings(**{**FAST.__dict__, "max_redirects": 3}))
    assert result.error == "too many redirects" and len(server.seen) == 4


def test_transient_500_is_retried(server: LocalServer) -> None:
    server.routes["/"] = [Reply(500), Reply(body=b"fine")]
    result = fetch(server.url("/"))
    assert (result.status, result.body, result.attempts) == (200, b"fine", 2)


def test_persistent_503_gives_up_after_the_retries(server: LocalServer) -> None:
    server.routes["/"] = Reply(503)
    result = fetch(server.url("/"))
    assert result.status == 503 and result.attempts == 3 and len(server.seen) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_capped(server: LocalServer, status: int) -> None:
    server.routes["/short"] = [Reply(status, {"Retry-After": "0.3"}), Reply(body=b"ok")]
    server.routes["/long"] = [Reply(status, {"Retry-After": "3600"}), Reply(body=b"ok")]
    assert fetch(server.url("/short")).status == 200
    first, second = server.seen[-2:]
    assert second.at - first.at >= 0.28
    started = time.monotonic()
    result = fetch(server.url("/long"))
    assert result.status == 200
    assert 0.55 <= time.monotonic() - started < 5.0  # waited the cap (0.6 s), not an hour


def test_retry_after_formats() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 10) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_stalled_server_times_out(server: LocalServer) -> None:
    server.routes["/"] = Reply(body=b"late", delay=4.0)
    started = time.monotonic()
    result = fetch(server.url("/"), HttpSettings(**{**FAST.__dict__, "retries": 0}))
    assert result.error == "timeout" and result.status is None
    assert time.monotonic() - started < 3.5  # the body would have come after 4 s


def test_refused_connection_is_an_error_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        result = fetch(f"http://127.0.0.1:{port}/")
    assert result.failure is FailureKind.REFUSED and result.attempts == 3


def test_gzip_body_is_decoded(server: LocalServer) -> None:
    server.routes["/"] = Reply(
        headers={"Content-Encoding": "gzip"}, body=gzip.compress("Grüße".encode() * 100)
    )
    assert fetch(server.url("/")).body == "Grüße".encode() * 100


def test_huge_body_is_capped_without_reading_it_all(server: LocalServer) -> None:
    chunk = b"x" * 65536
    sent = []

    def fifty_megabytes() -> Iterator[bytes]:
        for _ in range(800):
            sent.append(1)
            yield chunk

    server.routes["/"] = Reply(headers={"Content-Type": "text/html"}, body=fifty_megabytes)
    tracemalloc.start()
    result = fetch(server.url("/"), HttpSettings(**{**FAST.__dict__, "max_bytes": 1_000_000}))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.truncated and len(result.body) == 1_000_000
    assert peak < 12_000_000
    time.sleep(0.2)
    assert len(sent) < 200  # stopped long before 50 MB


def test_head_reads_no_body(server: LocalServer) -> None:
    server.routes["/"] = Reply(body=b"body")
    result = fetch(server.url("/"), method="HEAD")
    assert result.status == 200 and result.body == b"" and server.seen[0].method == "HEAD"


def test_no_cookies_are_kept(hosts: list[LocalServer]) -> None:
    a, b = hosts[0], hosts[1]
    a.routes["/set"] = Reply(headers={"Set-Cookie": "session=secret; Path=/"})
    a.routes["/again"] = Reply(body=b"x")
    b.routes["/other"] = Reply(body=b"x")
    fetch(a.url("/set"))
    run_all([a.url("/again"), b.url("/other")])
    assert all("Cookie" not in seen.headers for seen in a.seen + b.seen)


def test_per_host_and_global_limits(hosts: list[LocalServer]) -> None:
    for server in hosts:
        for n in range(8):
            server.routes[f"/{n}"] = Reply(body=b"x", delay=0.15)
    urls = [s.url(f"/{n}") for s in hosts for n in range(8)]
    run_all(urls, HttpSettings(**{**FAST.__dict__, "max_connections": 32}))
    assert [s.max_in_flight for s in hosts] == [2, 2, 2]
    assert max_overlap(hosts) == 6
    for server in hosts:
        server.spans.clear()
    run_all(urls, HttpSettings(**{**FAST.__dict__, "max_connections": 3}))
    assert max_overlap(hosts) <= 3


def test_per_host_delay_spaces_request_starts(server: LocalServer) -> None:
    for n in range(5):
        server.routes[f"/{n}"] = Reply(body=b"x")
    slow = HttpSettings(**{**FAST.__dict__, "default_host": HostPolicy(concurrency=5, delay=0.2)})

    async def main() -> None:
        async with Fetcher(slow) as fetcher:
            # The first request on a connection reaches the server late by the time it
            # takes to accept it (a thread start, long on a busy machine); not measured.
            await fetcher.fetch(server.url("/0"))
            await asyncio.gather(*(fetcher.fetch(server.url(f"/{n}")) for n in range(5)))

    asyncio.run(main())
    starts = sorted(seen.at for seen in server.seen[1:])
    assert len(starts) == 5 and all(b - a >= 0.18 for a, b in itertools.pairwise(starts))


def test_skipped_host_gets_no_request(server: LocalServer) -> None:
    settings = HttpSettings(
        **{
            **FAST.__dict__,
            "hosts": {"127.0.0.1": HostPolicy(skip=True, reason="excluded in settings")},
        }
    )
    result = fetch(server.url("/"), settings)
    assert (result.error, result.detail) == ("skipped", "excluded in settings")
    assert server.seen == []


def test_settings_file_is_read_and_policies_match_subdomains() -> None:
    settings = read_http_settings(ROOT / "linkdigest.toml")
    assert settings.site == "Links & Notes" and settings.max_connections == 32
    assert settings.policy_for("www.linkedin.com").concurrency == 1
    assert settings.policy_for("example.org") == settings.default_host
    assert settings.policy_for("localhost").skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"http": {"retires": 3}}, "unknown setting 'retires'"),
        ({"http": {"retries": "three"}}, "retries must be a number"),
        ({"hosts": {"a.example": {"concurrency": 0}}}, "concurrency must be >= 1"),
        ({"hosts": {"a.example": {"speed": 1}}}, "unknown setting 'speed'"),
    ],
)
def test_bad_settings_are_reported(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_http_settings(data, "linkdigest.toml")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_compressed_bodies_are_decoded(server: LocalServer, encoding: str, compress) -> None:
    server.routes["/"] = Reply(headers={"Content-Encoding": encoding}, body=compress(b"abc" * 500))
    assert fetch(server.url("/")).body == b"abc" * 500


def test_urls_are_sent_encoded_once(server: LocalServer) -> None:
    server.default = Reply(body=b"x")
    fetch(server.url("/a%20b/caf%C3%A9?q=1&r=%2F#part"))
    fetch(server.url("/menü/a b?x=é"))
    assert [s.path for s in server.seen] == [
        "/a%20b/caf%C3%A9?q=1&r=%2F",
        "/men%C3%BC/a%20b?x=%C3%A9",
    ]


def test_connections_are_reused_after_head_and_get(server: LocalServer) -> None:
    accepted = []
    accept = server.httpd.get_request
    server.httpd.get_request = lambda: (accepted.append(1), accept())[1]
    server.default = Reply(body=b"x")
    urls = [server.url(f"/{n}") for n in range(10)]
    run_all(urls, method="HEAD")
    run_all(urls, method="GET")
    assert len(accepted) <= 4  # two per host and run, however many requests


def test_a_peek_at_a_shared_redirect_target_is_asked_once(server: LocalServer) -> None:
    server.routes.update(
        {
            "/a": Reply(301, {"Location": "/home"}),
            "/b": Reply(302, {"Location": "/home"}),
            "/home": Reply(body=b"home"),
        }
    )
    urls = [server.url("/a"), server.url("/b")]
    peeks = run_all(urls, method="GET", max_bytes=1024)
    assert [(r.url, r.final_url, r.status) for r in peeks] == [
        (urls[0], server.url("/home"), 200),
        (urls[1], server.url("/home"), 200),
    ]
    assert [s.path for s in server.seen].count("/home") == 1
    run_all(urls, method="GET", max_bytes=1024, fresh_after=0.0)  # a re-check asks again
    assert [s.path for s in server.seen].count("/home") == 3
    run_all(urls, method="GET")  # whole pages are not kept for the run: each asks
    assert [s.path for s in server.seen].count("/home") == 5


def test_an_unreachable_host_is_not_tried_again_until_a_recheck_finds_it() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def main(closed: socket.socket, url: str) -> list[FetchResult]:
        async with Fetcher(FAST) as fetcher:
            first = await fetcher.fetch(url + "a")  # every retry
            started = time.monotonic()
            second = await fetcher.fetch(url + "b")  # learnt: no retries, no wait
            assert time.monotonic() - started < 0.05
            port = closed.getsockname()[1]
            closed.close()
            server = await asyncio.start_server(answer, "127.0.0.5", port)
            async with server:
                third = await fetcher.fetch(url + "c")  # still taken as unreachable
                fourth = await fetcher.fetch(url + "c", fresh_after=fetcher.clock())
                fifth = await fetcher.fetch(url + "d")  # it answered: asked again
            return [first, second, third, fourth, fifth]

    with refused_sockets(["127.0.0.5"]) as (closed,):
        url = f"http://127.0.0.5:{closed.getsockname()[1]}/"
        results = asyncio.run(main(closed, url))
    assert [r.unreachable for r in results] == [True, True, True, False, False]
    assert [r.attempts for r in results] == [3, 0, 0, 1, 1]
    assert [r.url for r in results[:3]] == [url + "a", url + "b", url + "c"]
    assert [r.status for r in results] == [None, None, None, 200, 200]


def test_links_to_a_host_that_cannot_be_reached_wait_for_the_first_to_try_it() -> None:
    tried: list[str] = []
    with refused_sockets(["127.0.0.6"]) as (closed,):
        base = f"http://127.0.0.6:{closed.getsockname()[1]}"

        async def main() -> list[FetchResult]:
            async with CountingFetcher(FAST, tried) as fetcher:
                return await asyncio.gather(*(fetcher.fetch(f"{base}/{n}") for n in range(5)))

        results = asyncio.run(main())
    assert {r.failure for r in results} == {FailureKind.REFUSED}
    assert [r.url for r in results] == [f"{base}/{n}" for n in range(5)]
    assert tried == [f"{base}/0"] * 3  # one link's tries (retries 2) stand for all five


def test_backoff_after_a_500_holds_only_that_url(server: LocalServer) -> None:
    server.routes["/flaky"] = [Reply(500), Reply(body=b"ok")]
    server.routes["/other"] = Reply(body=b"x")
    slow = HttpSettings(**{**FAST.__dict__, "backoff": 0.5})
    results = run_all([server.url("/flaky"), server.url("/other")], slow)
    assert [r.status for r in results] == [200, 200]
    at = {s.path: s.at for s in server.seen}
    assert at["/other"] < at["/flaky"] - 0.3  # asked during the flaky URL's backoff


def test_retry_after_holds_the_whole_host(server: LocalServer) -> None:
    server.routes["/limited"] = [Reply(429, {"Retry-After": "0.4"}), Reply(body=b"ok")]
    server.routes["/other"] = Reply(body=b"x", delay=0.1)

    async def main() -> None:
        async with Fetcher(FAST) as fetcher:
            first = asyncio.ensure_future(fetcher.fetch(server.url("/limited")))
            await asyncio.sleep(0.05)  # the 429 is in by now
            await asyncio.gather(first, fetcher.fetch(server.url("/other")))

    asyncio.run(main())
    first_429 = server.seen[0].at
    assert server.seen[0].path == "/limited"
    assert all(s.at - first_429 >= 0.38 for s in server.seen[1:])


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS URL answered once, with a self-signed certificate for 127.0.0.1."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        threading.Thread(
            target=_answer_once_over_tls, args=(listener, context), daemon=True
        ).start()
        yield f"https://127.0.0.1:{listener.getsockname()[1]}/", cert


def _answer_once_over_tls(listener: socket.socket, context: ssl.SSLContext) -> None:
    connection, _ = listener.accept()
    with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True) as tls:
        tls.recv(65536)
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret")


def test_tls_certificate_problem_is_a_connection_error(tls_server: tuple[str, Path]) -> None:
    result = fetch(tls_server[0], HttpSettings(**{**FAST.__dict__, "retries": 0}))
    assert result.failure is FailureKind.TLS and "CERTIFICATE_VERIFY_FAILED" in result.detail


def test_https_is_read_through_our_sockets(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting = ssl.create_default_context(cafile=str(tls_server[1]))
    monkeypatch.setattr(transport_module, "ssl_context", lambda: trusting)
    result = fetch(tls_server[0], HttpSettings(**{**FAST.__dict__, "retries": 0}))
    assert (result.status, result.body, result.error) == (200, b"secret", "")


class CannedStream(httpcore.AsyncNetworkStream):
    """A connection to "the internet" that answers every request with the same bytes."""

    def __init__(self, answer: bytes, sent: list[bytes]) -> None:
        self.answer, self.sent, self.done = answer, sent, False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data, self.done = (b"" if self.done else self.answer), True
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.sent.append(buffer)

    async def aclose(self) -> None:
        return None


class CannedBackend(httpcore.AsyncNetworkBackend):
    """The network, as far as a test needs it: hosts it knows answer, the rest do not
    resolve (a ConnectFailure of kind DNS, as the real backend raises)."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers, self.sent = answers, []

    async def connect_tcp(self, host: str, port: int, *args: object, **kw: object):  # type: ignore[no-untyped-def]
        if host not in self.answers:
            raise ConnectFailure(FailureKind.DNS, f"{host}: Name or service not known")
        return CannedStream(self.answers[host], self.sent)


def test_a_network_backend_handed_in_carries_every_request() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Seen: yes\r\n\r\nhi"
    backend = CannedBackend({"www.example.org": answer})

    async def main() -> list[FetchResult]:
        async with Fetcher(FAST, backend=backend) as fetcher:
            return [
                await fetcher.fetch("http://www.example.org/page"),
                await fetcher.fetch("http://gone.example/"),
            ]

    found, gone = asyncio.run(main())
    assert (found.status, found.body, found.headers["x-seen"]) == (200, b"hi", "yes")
    assert b"User-Agent: TestSite-linkdigest/" in backend.sent[0]
    assert gone.failure is FailureKind.DNS and gone.status is None


def test_urgent_fetches_go_first_one_at_a_time(server: LocalServer) -> None:
    server.default = Reply(body=b"x", delay=0.2)

    async def main() -> None:
        async with Fetcher(FAST) as fetcher:
            ordinary = [fetcher.fetch(server.url(f"/o{n}")) for n in range(6)]
            waiting = asyncio.gather(*ordinary)
            await asyncio.sleep(0.05)  # two ordinary ones in flight, four waiting
            urgent = [fetcher.fetch(server.url(f"/u{n}"), urgent=True) for n in range(2)]
            await asyncio.gather(waiting, *urgent)

    asyncio.run(main())
    at = {seen.path: seen.at - server.seen[0].at for seen in server.seen}
    assert at["/u0"] < 0.35  # took the first slot that came free, not the fifth
    assert at["/u1"] - at["/u0"] >= 0.19  # and the urgent ones went one at a time
    assert at["/u1"] < max(at[f"/o{n}"] for n in range(6))
    assert server.max_in_flight == 2


def test_a_head_is_asked_once_per_run(server: LocalServer) -> None:
    server.routes.update({f"/old{n}": Reply(301, {"Location": "/new"}) for n in range(3)})
    server.routes["/new"] = Reply(body=b"x")
    results = run_all([server.url(f"/old{n}") for n in range(3)], method="HEAD")
    assert [(r.url, r.final_url, r.status) for r in results] == [
        (server.url(f"/old{n}"), server.url("/new"), 200) for n in range(3)
    ]
    assert [s.path for s in server.seen].count("/new") == 1


# --- bounded time: a status is proof of life, a stall costs one deadline -----------------

BOUNDED = HttpSettings(**{**FAST.__dict__, "deadline": 1.0, "read_timeout": 5.0})


def test_a_trickling_body_after_a_good_status_costs_no_retry(server: LocalServer) -> None:
    # 200, the title, then a byte a second for 15 s, then the connection drops: a status
    # came, so the page answered; reading its body is bounded and never retried.
    server.routes["/slow"] = Reply(body=trickle(b"<title>Slow page</title>", 15.0))
    started = time.monotonic()
    result = fetch(server.url("/slow"), BOUNDED, max_bytes=1024)
    assert time.monotonic() - started < 3.0
    assert (result.status, result.failure, result.attempts) == (200, None, 1)
    assert result.body.startswith(b"<title>Slow page</title>") and result.truncated
    assert result.body_failure is FailureKind.TIMEOUT
    assert [s.path for s in server.seen] == ["/slow"]


def test_a_page_read_whole_stops_at_the_deadline(server: LocalServer) -> None:
    server.routes["/slow"] = Reply(body=trickle(b"<title>Slow</title>", 15.0, gap=0.2))
    started = time.monotonic()
    result = fetch(server.url("/slow"), BOUNDED)
    assert 0.9 < time.monotonic() - started < 2.5  # the 1 s deadline, not 15 s of bytes
    assert result.status == 200 and result.body.startswith(b"<title>Slow</title>")


def test_a_connection_dropped_after_the_headers_still_answered(server: LocalServer) -> None:
    server.routes["/cut"] = Reply(drop=True)
    result = fetch(server.url("/cut"), BOUNDED, max_bytes=1024)
    assert (result.status, result.failure, result.attempts) == (200, None, 1)
    assert result.body_failure is FailureKind.RESET


def test_a_server_that_never_answers_costs_one_deadline_and_one_retry(
    server: LocalServer,
) -> None:
    server.routes["/stall"] = Reply(body=b"late", delay=10.0)
    started = time.monotonic()
    result = fetch(server.url("/stall"), BOUNDED)
    elapsed = time.monotonic() - started
    assert result.failure is FailureKind.TIMEOUT and result.attempts == 2
    assert result.describe() == "timeout: no answer from 127.0.0.1 within 1 s"
    assert 2.0 <= elapsed < 3.5  # two deadlines and a backoff, not retries x read timeout


# --- adaptive politeness -------------------------------------------------------------------


def test_a_rate_limited_host_is_slowed_for_the_rest_of_the_run(server: LocalServer) -> None:
    limiter = RateLimiter(5)
    server.default = limiter
    settings = HttpSettings(**{**FAST.__dict__, "retry_after_cap": 2.0})

    async def main() -> tuple[list[FetchResult], dict[str, HostPace]]:
        async with Fetcher(settings) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(server.url(f"/{n}")) for n in range(20)))
            return results, fetcher.paces()

    results, paces = asyncio.run(main())
    assert all(r.status == 200 for r in results)
    assert limiter.refused <= 2
    assert paces["127.0.0.1"].concurrency == 1 and paces["127.0.0.1"].delay >= 0.2


def test_the_next_run_starts_at_the_pace_it_learnt(server: LocalServer) -> None:
    limiter = RateLimiter(5)
    server.default = limiter
    pace = {"127.0.0.1": HostPace(1, 0.25)}

    async def main() -> list[FetchResult]:
        async with Fetcher(FAST, pacing=pace) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(server.url(f"/{n}")) for n in range(12)))

    assert all(r.status == 200 for r in asyncio.run(main()))
    assert limiter.refused == 0 and server.max_in_flight == 1


def test_an_announced_limit_is_kept_without_a_429(server: LocalServer) -> None:
    limiter = RateLimiter(5, headers={"RateLimit-Policy": "5;w=1", "RateLimit-Remaining": "4"})
    server.default = limiter

    async def main() -> list[FetchResult]:
        async with Fetcher(FAST) as fetcher:
            first = await fetcher.fetch(server.url("/first"))  # tells the limit
            rest = await asyncio.gather(*(fetcher.fetch(server.url(f"/{n}")) for n in range(9)))
            return [first, *rest]

    assert all(r.status == 200 for r in asyncio.run(main()))
    assert limiter.refused == 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ratelimit-policy": "5;w=1"}, RateLimit(5, 1.0)),
        ({"ratelimit-limit": "10", "ratelimit-remaining": "0", "ratelimit-reset": "3"},
         RateLimit(10, None, 0, 3.0)),
        ({"ratelimit": "limit=5, remaining=2, reset=1", "ratelimit-policy": '"burst";q=5;w=1'},
         RateLimit(5, 1.0, 2, 1.0)),
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": "1800000060"}, RateLimit(60, None, 0, 60.0)),
        ({"content-type": "text/html"}, None),
    ],
)  # fmt: skip
def test_parse_rate_limit(headers: dict[str, str], expected: RateLimit | None) -> None:
    assert parse_rate_limit(headers, now=1800000000.0) == expected


# --- failures are typed where they are caught ---------------------------------------------


def test_failures_have_kinds_not_messages(tls_server: tuple[str, Path]) -> None:
    with refused_sockets(["127.0.0.7"]) as (closed,):
        refused = fetch(f"http://127.0.0.7:{closed.getsockname()[1]}/")
    assert refused.failure is FailureKind.REFUSED and refused.unreachable and refused.loopback
    untrusted = fetch(tls_server[0], HttpSettings(**{**FAST.__dict__, "retries": 0}))
    assert untrusted.failure is FailureKind.TLS and untrusted.unreachable
    bad = fetch("http://127.0.0.1:99999/")
    assert bad.failure is FailureKind.INVALID_URL
