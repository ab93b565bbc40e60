"""Link checking against local farms on 127.x.y.z hosts: each verdict exactly, cold and warm.

The farms have what real hosts have: front pages that 404, pages that trickle after a 200,
connections dropped after the headers, persistent server errors and loops, rate limiters.
"The internet" (names that are not 127.x.y.z) is a stand-in backend: this machine has none.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from linkdigest.checking.cache import LinkCache, UrlRecord, read_link_cache, write_link_cache
from linkdigest.checking.run import check_urls
from linkdigest.checking.verdicts import (
    DAY,
    CheckOptions,
    LinkCheck,
    Verdict,
    head_contradicted,
    judge_answer,
    settle_second_look,
    weigh_evidence,
    weigh_persistence,
)
from linkdigest.net import FailureKind, Fetcher, FetchResult, HostPolicy, HttpSettings, Redirect
from tests.servers import (
    OK_ANSWER,
    CountingFetcher,
    InternetStandIn,
    LocalServer,
    RateLimiter,
    Reply,
    refused_sockets,
    start_servers,
    trickle,
)

SETTINGS = HttpSettings(
    site="Test",
    retries=2,
    backoff=0.05,
    connect_timeout=1.0,
    read_timeout=0.5,
    deadline=1.0,
    retry_after_cap=0.5,
    default_host=HostPolicy(concurrency=2, delay=0.0),
)
OPTIONS = CheckOptions(ok_ttl=60, cool_down=0.2)


def head_or_get(head: Reply, get: Reply):
    return lambda seen: head if seen.method == "HEAD" else get


@pytest.fixture(scope="module")
def farm() -> Iterator[dict[str, str]]:
    for up, root_404, everything, slow in start_servers(
        ["127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13"]
    ):
        up.routes.update(
            {
                "/": Reply(body=b"home"),
                "/ok": Reply(body=b"ok"),
                "/gone-404": Reply(404),
                "/gone-410": Reply(410),
                "/flaky": [Reply(500), Reply(body=b"back")],
                "/busy": [Reply(503, {"Retry-After": "0.2"}), Reply(body=b"ok")],
                "/limited": Reply(429, {"Retry-After": "1"}),
                "/head-405": head_or_get(Reply(405), Reply(body=b"ok")),
                "/head-404": head_or_get(Reply(404), Reply(body=b"ok")),
                "/p1": Reply(301, {"Location": "/p2"}),
                "/p2": Reply(308, {"Location": "/ok"}),
                "/t1": Reply(302, {"Location": "/t2"}),
                "/t2": Reply(307, {"Location": "/ok"}),
                "/loop-a": Reply(302, {"Location": "/loop-b"}),
                "/loop-b": Reply(302, {"Location": "/loop-a"}),
                "/linkedin": Reply(999),
                "/challenge": Reply(403, {"cf-mitigated": "challenge"}, b"Just a moment..."),
                "/forbidden": Reply(403),
                "/report.pdf": Reply(headers={"Content-Type": "application/pdf"}, body=b"%PDF-1.7"),
                "/caf%C3%A9/men%C3%BC": Reply(body=b"ok"),
                "/server-error": Reply(500),
                "/trickle": head_or_get(
                    Reply(405), Reply(body=trickle(b"<title>Slow but alive</title>", 15.0))
                ),
                "/cut": head_or_get(Reply(405), Reply(drop=True)),
            }
        )
        # A host whose front page answers 404 (an API host, a bare CDN): its 404s are real.
        root_404.routes.update({"/": Reply(404), "/missing": Reply(404), "/here": Reply()})
        everything.default = Reply(body=b"soft 404s are 200s here")
        slow.routes["/slow"] = Reply(body=b"late", delay=3.0)
        for (refused,) in refused_urls(["127.0.0.14"]):
            yield {
                "up": up.url(""),
                "root_404": root_404.url(""),
                "everything": everything.url(""),
                "slow": slow.url(""),
                "refused": refused,
                "servers": [up, root_404, everything, slow],
            }


def refused_urls(addresses: list[str]) -> Iterator[list[str]]:
    with refused_sockets(addresses) as sockets:
        yield [f"http://{s.getsockname()[0]}:{s.getsockname()[1]}/page" for s in sockets]


def run_many(
    urls: list[str],
    cache: LinkCache | None = None,
    settings: HttpSettings = SETTINGS,
    fetcher: Callable[..., Fetcher] = Fetcher,
    options: CheckOptions = OPTIONS,
    now: float | None = None,
    **kwargs,
) -> dict[str, LinkCheck]:
    async def main() -> dict[str, LinkCheck]:
        async with fetcher(settings) as opened:
            return await check_urls(
                opened, urls, cache or LinkCache(Path("unused")), options, now=now, **kwargs
            )

    return asyncio.run(main())


def check(url: str, settings: HttpSettings = SETTINGS) -> LinkCheck:
    return run_many([url], settings=settings)[url]


@pytest.mark.parametrize(
    ("host", "path", "verdict", "reason"),
    [
        ("up", "/ok", Verdict.OK, ""),
        ("up", "/gone-404", Verdict.DEAD, "HTTP 404"),
        ("up", "/gone-410", Verdict.DEAD, "HTTP 410"),
        ("root_404", "/missing", Verdict.DEAD, "HTTP 404"),
        ("up", "/flaky", Verdict.OK, ""),
        ("up", "/busy", Verdict.OK, ""),
        ("up", "/limited", Verdict.UNVERIFIABLE, "HTTP 429"),
        ("up", "/head-405", Verdict.OK, ""),
        ("up", "/head-404", Verdict.OK, ""),
        ("up", "/p1", Verdict.REDIRECTED, "permanent redirect to"),
        ("up", "/t1", Verdict.REDIRECTED, "temporary redirect to"),
        ("up", "/loop-a", Verdict.UNVERIFIABLE, "redirect loop"),
        ("up", "/linkedin", Verdict.UNVERIFIABLE, "HTTP 999"),
        ("up", "/challenge", Verdict.UNVERIFIABLE, "bot challenge"),
        ("up", "/forbidden", Verdict.UNVERIFIABLE, "HTTP 403"),
        ("up", "/report.pdf", Verdict.OK, ""),
        ("up", "/caf%C3%A9/men%C3%BC", Verdict.OK, ""),
        ("up", "/server-error", Verdict.UNVERIFIABLE, "HTTP 500"),
        ("up", "/trickle", Verdict.OK, ""),
        ("up", "/cut", Verdict.OK, ""),
        ("everything", "/surely/not/here", Verdict.OK, ""),
        ("slow", "/slow", Verdict.UNVERIFIABLE, "no answer from 127.0.0.13 within 1 s"),
        ("refused", "", Verdict.DEAD, "refused"),
    ],
)
def test_verdicts(farm, host: str, path: str, verdict: Verdict, reason: str) -> None:
    result = check(farm[host].rstrip("/") + path if path else farm[host])
    assert result.verdict is verdict, result
    assert reason in result.reason


def test_a_page_that_trickles_after_its_200_is_alive_and_quick(farm) -> None:
    started = time.monotonic()
    result = check(farm["up"] + "/trickle")
    assert result.verdict is Verdict.OK and time.monotonic() - started < 4.0


def test_permanent_redirect_suggests_the_final_url(farm) -> None:
    result = check(farm["up"] + "/p1")
    assert result.permanent and result.final_url == farm["up"] + "/ok"


def test_non_ascii_url_as_written(farm) -> None:
    assert check(farm["up"] + "/café/menü").verdict is Verdict.OK


def test_skipped_host_is_never_requested(farm) -> None:
    settings = HttpSettings(
        **{**SETTINGS.__dict__, "hosts": {"127.0.0.10": HostPolicy(skip=True, reason="test")}}
    )
    before = len(farm["servers"][0].seen)
    result = check(farm["up"] + "/ok", settings)
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, "test")
    assert len(farm["servers"][0].seen) == before


def test_no_host_sees_more_than_its_limit(farm) -> None:
    for server in farm["servers"]:
        server.max_in_flight = 0
    paths = ["ok", "gone-404", "head-405", "p1", "report.pdf", "forbidden"] * 4
    run_many(
        [f"{farm['up']}/{p}" for p in paths] + [f"{farm['everything']}/x{n}" for n in range(12)]
    )
    assert max(server.max_in_flight for server in farm["servers"]) <= 2
    assert not any(server.unexpected for server in farm["servers"])


@pytest.mark.parametrize(
    ("result", "verdict"),
    [
        (FetchResult("u", "u", 200), Verdict.OK),
        (FetchResult("u", "u", 200, body_failure=FailureKind.RESET), Verdict.OK),
        (FetchResult("u", "v", 200, redirects=(Redirect(301, "u", "v"),)), Verdict.REDIRECTED),
        (FetchResult("u", "u", 404), Verdict.DEAD),
        (FetchResult("u", "u", 401), Verdict.UNVERIFIABLE),
        (FetchResult("u", "u", failure=FailureKind.TLS, detail="cert"), Verdict.UNVERIFIABLE),
        (FetchResult("u", "u", failure=FailureKind.DNS), Verdict.DEAD),
        (FetchResult("u", "u", failure=FailureKind.REFUSED), Verdict.DEAD),
        (FetchResult("u", "u", failure=FailureKind.TIMEOUT), Verdict.UNVERIFIABLE),
        (FetchResult("u", "u", failure=FailureKind.RESET), Verdict.UNVERIFIABLE),
        (FetchResult("u", "u", failure=FailureKind.REDIRECT_LOOP), Verdict.UNVERIFIABLE),
        (FetchResult("u", "u", failure=FailureKind.SKIPPED, detail="x"), Verdict.SKIPPED),
    ],
)
def test_render_verdict(result: FetchResult, verdict: Verdict) -> None:
    assert judge_answer(result).verdict is verdict


def test_accepted_codes_are_ok() -> None:
    assert judge_answer(FetchResult("u", "u", 403), frozenset({403})).verdict is Verdict.OK


@pytest.fixture
def confirm_farm() -> Iterator[LocalServer]:
    for (server,) in start_servers(["127.0.0.15"]):
        server.routes.update(
            {
                "/": Reply(body=b"home"),
                "/ok": Reply(body=b"ok"),
                "/gone": Reply(404),
                # Failures outlast the first look (1 try + 2 retries), then it recovers.
                "/recovers": [*[Reply(503)] * 6, Reply(body=b"fine")],
            }
        )
        server.routes.update({f"/slow{n}": Reply(500, delay=0.1) for n in range(3)})
        yield server


def test_each_url_once_and_failures_looked_at_twice(confirm_farm: LocalServer) -> None:
    server = confirm_farm
    urls = [server.url("/ok"), server.url("/ok"), server.url("/gone"), server.url("/recovers")]
    results = run_many(urls)
    assert [r.verdict for r in results.values()] == [Verdict.OK, Verdict.DEAD, Verdict.OK]
    assert [s.path for s in server.seen].count("/ok") == 1  # HEAD answered; asked once
    assert [s.path for s in server.seen].count("/") == 0  # a 404 needs no front page


def test_second_looks_overlap_the_first_one_at_a_time_within_the_limit(
    confirm_farm: LocalServer,
) -> None:
    server = confirm_farm
    server.routes.update({f"/fine{n}": Reply(body=b"ok", delay=0.1) for n in range(24)})
    urls = [server.url(f"/slow{n}") for n in range(3)] + [
        server.url(f"/fine{n}") for n in range(24)
    ]
    results = run_many(urls)
    assert [results[u].verdict for u in urls[:3]] == [Verdict.UNVERIFIABLE] * 3
    assert all(results[u].verdict is Verdict.OK for u in urls[3:])
    # HEAD and GET, each tried three times, in the first look; three GETs for the second.
    seconds = sorted(
        seen.at for n in range(3) for seen in [s for s in server.seen if s.path == f"/slow{n}"][6:]
    )
    assert len(seconds) == 9
    assert all(b - a >= 0.095 for a, b in itertools.pairwise(seconds))  # one at a time
    last_first_look = max(seen.at for seen in server.seen if seen.path.startswith("/fine"))
    assert seconds[0] < last_first_look  # no waiting for the whole first look
    assert server.max_in_flight == 2  # both looks share the host's limit


def test_challenge_seen_on_head_is_not_asked_again_with_get(farm) -> None:
    up = farm["servers"][0]
    before = len(up.seen)
    assert run_many([farm["up"] + "/challenge"], options=CheckOptions(cool_down=0.0))
    assert next((s.method, s.path) for s in up.seen[before:]) == ("HEAD", "/challenge")


def test_progress_reports_each_url_once_with_its_final_verdict(confirm_farm: LocalServer) -> None:
    server = confirm_farm
    seen: list[LinkCheck] = []
    run_many([server.url("/ok"), server.url("/gone"), server.url("/ok")], progress=seen.append)
    assert sorted((c.url, c.verdict) for c in seen) == [
        (server.url("/gone"), Verdict.DEAD),
        (server.url("/ok"), Verdict.OK),
    ]


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        (Verdict.DEAD, Verdict.DEAD, Verdict.DEAD),
        (Verdict.UNVERIFIABLE, Verdict.DEAD, Verdict.UNVERIFIABLE),
        (Verdict.DEAD, Verdict.OK, Verdict.OK),
        (Verdict.DEAD, Verdict.UNVERIFIABLE, Verdict.UNVERIFIABLE),
    ],
)
def test_dead_needs_both_looks(before: Verdict, after: Verdict, verdict: Verdict) -> None:
    assert settle_second_look(LinkCheck("u", before), LinkCheck("u", after)).verdict is verdict


# --- a re-run remembers -------------------------------------------------------------------


def cached_run(urls: list[str], path: Path, **kwargs) -> dict[str, LinkCheck]:
    cache = read_link_cache(path)
    checks = run_many(urls, cache, **kwargs)
    write_link_cache(cache)
    return checks


def test_a_warm_re_run_reports_the_same_dead_links(farm, tmp_path: Path) -> None:
    # The front page of root_404 answers 404, and the re-run asks only the failures: the
    # 404s stay dead (an HTTP answer is proof the host is up), and so does the refused host.
    urls = [
        farm["root_404"] + "/missing",
        farm["root_404"] + "/here",
        farm["up"] + "/gone-404",
        farm["up"] + "/ok",
        farm["refused"],
    ]
    cold = cached_run(urls, tmp_path / "links.json")
    warm = cached_run(urls, tmp_path / "links.json", now=time.time() + 1)
    dead = {u for u, c in cold.items() if c.verdict is Verdict.DEAD}
    assert dead == {urls[0], urls[2], urls[4]}
    assert {u for u, c in warm.items() if c.verdict is Verdict.DEAD} == dead


def test_a_re_run_takes_its_answer_as_the_second_look(confirm_farm: LocalServer, tmp_path) -> None:
    server = confirm_farm
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    urls = [server.url("/gone"), server.url("/ok")]
    cached_run(urls, tmp_path / "c.json", sleep=fake_sleep)
    assert sleeps == [OPTIONS.cool_down]  # the cold run waited once, for its second look
    server.seen.clear()
    sleeps.clear()
    warm = cached_run(urls, tmp_path / "c.json", sleep=fake_sleep, now=time.time() + 1)
    assert warm[urls[0]].verdict is Verdict.DEAD and sleeps == []
    # One look (HEAD, then GET since a HEAD 404 may be wrong); the ok link came from the cache.
    assert [(s.method, s.path) for s in server.seen] == [("HEAD", "/gone"), ("GET", "/gone")]


def test_the_cache_keeps_each_failure_history(confirm_farm: LocalServer, tmp_path) -> None:
    server = confirm_farm
    path = tmp_path / "c.json"
    start = time.time()
    for n in range(2):
        cached_run([server.url("/ok"), server.url("/gone")], path, now=start + n * 10)
    record = read_link_cache(path).record(server.url("/gone"))
    assert record is not None and record.verdict == "dead"
    assert (record.failure, record.failed_runs, record.first_failure) == ("HTTP 404", 2, start)
    assert [s.path for s in server.seen].count("/ok") == 1  # the second run reused it


def test_a_server_error_that_lasts_becomes_dead(farm, tmp_path: Path) -> None:
    url = farm["up"] + "/server-error"
    start = time.time()
    days = [0, 1, 2, 3.5]
    verdicts = [cached_run([url], tmp_path / "c.json", now=start + d * DAY)[url] for d in days]
    assert [v.verdict for v in verdicts] == [Verdict.UNVERIFIABLE] * 3 + [Verdict.DEAD]
    assert "on every check since" in verdicts[-1].reason and verdicts[-1].runs == 4


def test_a_loop_that_lasts_becomes_dead_and_one_that_ends_starts_over(farm, tmp_path) -> None:
    url = farm["up"] + "/loop-a"
    path = tmp_path / "c.json"
    start = time.time()
    assert cached_run([url], path, now=start)[url].verdict is Verdict.UNVERIFIABLE
    assert cached_run([url], path, now=start + 4 * DAY)[url].verdict is Verdict.DEAD
    cache = read_link_cache(path)
    cache.put(url, UrlRecord("ok", checked_at=start))  # it worked in between
    write_link_cache(cache)
    assert cached_run([url], path, now=start + 9 * DAY)[url].verdict is Verdict.UNVERIFIABLE


@pytest.mark.parametrize(
    ("history", "days", "verdict"),
    [
        (None, 0, Verdict.UNVERIFIABLE),  # first sight
        (("HTTP 5xx", 0.0, 1), 2.9, Verdict.UNVERIFIABLE),  # not long enough yet
        (("HTTP 5xx", 0.0, 3), 3.0, Verdict.DEAD),
        (("timeout", 0.0, 5), 9.0, Verdict.UNVERIFIABLE),  # another kind of failure
    ],
)
def test_render_persistence(history, days: float, verdict: Verdict) -> None:
    previous = None
    if history:
        kind, first, runs = history
        previous = UrlRecord("unverifiable", failure=kind, first_failure=first, failed_runs=runs)
    check = LinkCheck("u", Verdict.UNVERIFIABLE, "HTTP 503", status=503)
    assert weigh_persistence(check, previous, 3 * DAY, days * DAY).verdict is verdict


# --- what counts as evidence that the network works --------------------------------------


def test_a_local_server_is_no_proof_that_the_internet_is_there(farm, tmp_path) -> None:
    # Offline: every name fails to resolve. One link to this machine answers; that says
    # nothing of the internet, so the names that do not resolve are not called dead.
    internet = [f"https://site{n}.example/page" for n in range(5)]
    make = functools.partial(Fetcher, backend=InternetStandIn())
    checks = run_many([*internet, farm["up"] + "/ok"], fetcher=make)
    assert [checks[u].verdict for u in internet] == [Verdict.UNVERIFIABLE] * 5
    assert all("looks offline" in checks[u].reason for u in internet)
    assert checks[farm["up"] + "/ok"].verdict is Verdict.OK


def test_names_that_do_not_resolve_are_dead_when_the_internet_answers(farm) -> None:
    internet = [f"https://gone{n}.example/page" for n in range(3)]
    standin = InternetStandIn({"alive.example": OK_ANSWER})
    make = functools.partial(Fetcher, backend=standin)
    checks = run_many([*internet, "https://alive.example/"], fetcher=make)
    assert [checks[u].verdict for u in internet] == [Verdict.DEAD] * 3
    assert all("dns" in checks[u].reason for u in internet)


def test_a_re_run_asks_a_link_that_worked_before_calling_a_host_gone(tmp_path) -> None:
    # The warm run asks only the old failure; another link that worked lately is asked
    # once to show the network works (a canary), and the failure stays dead.
    path = tmp_path / "c.json"
    urls = ["https://gone.example/page", "https://alive.example/"]
    standin = InternetStandIn({"alive.example": OK_ANSWER})
    make = functools.partial(Fetcher, backend=standin)
    assert cached_run(urls, path, fetcher=make)[urls[0]].verdict is Verdict.DEAD
    standin.asked.clear()
    warm = cached_run(urls, path, fetcher=make, now=time.time() + 1)
    assert warm[urls[0]].verdict is Verdict.DEAD
    assert standin.asked.count("alive.example") == 1 and "gone.example" in standin.asked
    offline = cached_run(
        urls, path, fetcher=functools.partial(Fetcher, backend=InternetStandIn()),
        now=time.time() + 2,
    )  # fmt: skip
    assert offline[urls[0]].verdict is Verdict.UNVERIFIABLE


def test_this_machine_refusing_is_dead_whatever_else_answers() -> None:
    for urls in refused_urls(["127.0.0.31", "127.0.0.32", "127.0.0.33"]):
        checks = run_many(urls)
        assert {c.verdict for c in checks.values()} == {Verdict.DEAD}
        assert all(c.loopback for c in checks.values())


@pytest.mark.parametrize(
    ("failure", "loopback", "works", "answered", "verdict"),
    [
        (FailureKind.DNS, False, True, None, Verdict.DEAD),
        (FailureKind.DNS, False, False, None, Verdict.UNVERIFIABLE),  # offline
        (FailureKind.REFUSED, True, False, None, Verdict.DEAD),  # this machine: no network
        (FailureKind.REFUSED, False, True, 1000.0, Verdict.UNVERIFIABLE),  # answered lately
    ],
)
def test_render_evidence(failure, loopback, works, answered, verdict) -> None:
    check = LinkCheck("u", Verdict.DEAD, "x", failure=failure, loopback=loopback)
    result = weigh_evidence(check, network_works=works, answered_at=answered)
    assert result.verdict is verdict


def test_an_unreachable_host_is_tried_once_per_look_not_once_per_link(farm) -> None:
    for (url,) in refused_urls(["127.0.0.37"]):
        links = [f"{url}{n}" for n in range(5)]
        tried: list[str] = []
        checks = run_many(
            [*links, farm["up"] + "/ok"],
            settings=HttpSettings(**{**SETTINGS.__dict__, "default_host": HostPolicy(1, 0.0)}),
            fetcher=functools.partial(CountingFetcher, tried=tried),
        )
        assert [checks[u].verdict for u in links] == [Verdict.DEAD] * 5
        assert all("refused" in checks[u].reason for u in links)
        # The first link went through every retry (3 tries), the rest learnt from it; one
        # second look asked again (3 tries), the others learnt from that.
        assert sum(t.startswith(url.removesuffix("page")) for t in tried) == 6


# --- what hosts teach, remembered ---------------------------------------------------------


ONE_AT_A_TIME = HttpSettings(**{**SETTINGS.__dict__, "default_host": HostPolicy(1, delay=0.0)})


@pytest.fixture
def head_refuser() -> Iterator[LocalServer]:
    for (server,) in start_servers(["127.0.0.16"]):
        server.routes["/refused"] = head_or_get(Reply(405), Reply(body=b"ok"))
        server.routes.update({f"/a{n}": Reply(body=b"ok") for n in range(6)})
        yield server


def test_a_host_that_refused_head_is_asked_with_get(head_refuser: LocalServer, tmp_path) -> None:
    server = head_refuser
    urls = [server.url("/refused")] + [server.url(f"/a{n}") for n in range(6)]
    checks = cached_run(urls, tmp_path / "c.json", settings=ONE_AT_A_TIME)
    assert {c.verdict for c in checks.values()} == {Verdict.OK}
    asked = [(s.method, s.path) for s in server.seen]
    # /a0 and /a1 set out with HEAD before /refused had shown that HEAD is refused; every
    # link after them is asked with GET alone.
    assert asked[:3] == [("HEAD", "/refused"), ("HEAD", "/a0"), ("GET", "/refused")]
    later = [f"/a{n}" for n in range(2, 6)]
    assert [(m, p) for m, p in asked if p in later] == [("GET", path) for path in later]


def test_the_next_run_remembers_a_host_that_refused_head(
    head_refuser: LocalServer, tmp_path
) -> None:
    server = head_refuser
    cached_run([server.url("/refused")], tmp_path / "c.json", settings=ONE_AT_A_TIME)
    server.seen.clear()
    cached_run(
        [server.url(f"/a{n}") for n in range(3)], tmp_path / "c.json", settings=ONE_AT_A_TIME
    )
    assert {s.method for s in server.seen} == {"GET"}
    cache = read_link_cache(tmp_path / "c.json")
    cache.hosts["127.0.0.16"]["head_refused_at"] -= 31 * DAY  # a month later
    cache.changed = True
    write_link_cache(cache)
    server.seen.clear()
    cached_run([server.url("/a5")], tmp_path / "c.json", settings=ONE_AT_A_TIME)
    assert [s.method for s in server.seen] == ["HEAD"]


def test_a_rate_limited_host_is_slowed_now_and_left_alone_next_time(tmp_path) -> None:
    for (server,) in start_servers(["127.0.0.17"]):
        limiter = RateLimiter(5)
        server.default = limiter
        urls = [server.url(f"/p{n}") for n in range(30)]
        settings = HttpSettings(**{**SETTINGS.__dict__, "retry_after_cap": 2.0, "retries": 3})
        cold = cached_run(urls, tmp_path / "c.json", settings=settings)
        assert {c.verdict for c in cold.values()} == {Verdict.OK}
        assert limiter.refused <= 2
        cache = read_link_cache(tmp_path / "c.json")
        cache.urls.clear()  # everything asked again: only the host's pace is remembered
        write_link_cache(cache)
        limiter.refused = 0
        warm = cached_run(urls, tmp_path / "c.json", settings=settings)
        assert {c.verdict for c in warm.values()} == {Verdict.OK}
        assert limiter.refused == 0


@pytest.mark.parametrize(
    ("head", "get", "refused"),
    [
        (FetchResult("u", "u", 405), FetchResult("u", "u", 200), True),
        (FetchResult("u", "u", 501), FetchResult("u", "u", 404), True),  # HEAD itself refused
        (FetchResult("u", "u", 404), FetchResult("u", "u", 200), True),
        (FetchResult("u", "u", failure=FailureKind.TIMEOUT), FetchResult("u", "u", 200), True),
        (FetchResult("u", "u", 404), FetchResult("u", "u", 404), False),  # it agrees
        (FetchResult("u", "u", 500), FetchResult("u", "u", 500), False),
        (FetchResult("u", "u", 429), FetchResult("u", "u", 200), False),  # a rate limit
        (FetchResult("u", "u", 404), FetchResult("u", "u", 503), False),  # an overload
    ],
)
def test_head_contradicted(head: FetchResult, get: FetchResult, refused: bool) -> None:
    assert head_contradicted(head, get) is refused


def test_a_cache_of_the_first_format_is_read(tmp_path) -> None:
    path = tmp_path / "old.json"
    path.write_text(
        '{"version": 1, "entries": {"https://a.example/x": {"stored": 100.0, "value": '
        '{"verdict": "dead", "reason": "HTTP 404", "status": 404, "first_failure": 50.0, '
        '"consecutive_failures": 2, "head_refused_at": 90.0}}}}',
        encoding="utf-8",
    )
    cache = read_link_cache(path)
    record = cache.record("https://a.example/x")
    assert record is not None and (record.verdict, record.failed_runs) == ("dead", 2)
    assert cache.hosts["a.example"]["head_refused_at"] == 90.0


def test_an_unreadable_cache_is_set_aside(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{not json", encoding="utf-8")
    cache = read_link_cache(path)
    assert cache.recovered and (tmp_path / "c.json.corrupt").exists() and not cache.urls
