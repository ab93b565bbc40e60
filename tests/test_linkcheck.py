"""Verdicts against a local link farm on several 127.x.y.z hosts: each one exactly."""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Callable, Iterator

import pytest

from linkdigest.checking.verdicts import (
    CheckOptions,
    FrontPages,
    LinkCheck,
    Verdict,
    check_many,
    check_url,
    classify,
    head_contradicted,
    read_history,
    render_confirmed,
    render_offline,
)
from linkdigest.net.cache import read_cache, write_cache
from linkdigest.net.http import Fetcher, FetchResult, HostPolicy, HttpSettings, Redirect
from tests.servers import CountingFetcher, LocalServer, Reply, refused_sockets, start_servers

SETTINGS = HttpSettings(
    site="Test",
    retries=2,
    backoff=0.05,
    connect_timeout=1.0,
    read_timeout=0.5,
    retry_after_cap=0.5,
    default_host=HostPolicy(concurrency=2, delay=0.0),
)


def head_or_get(head: Reply, get: Reply):
    return lambda seen: head if seen.method == "HEAD" else get


@pytest.fixture(scope="module")
def farm() -> Iterator[dict[str, str]]:
    for up, broken_root, everything, slow in start_servers(
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
            }
        )
        broken_root.routes.update({"/": Reply(500), "/missing": Reply(404)})
        everything.default = Reply(body=b"soft 404s are 200s here")
        slow.routes["/slow"] = Reply(body=b"late", delay=2.0)
        for (refused,) in refused_urls(["127.0.0.14"]):
            yield {
                "up": up.url(""),
                "broken_root": broken_root.url(""),
                "everything": everything.url(""),
                "slow": slow.url(""),
                "refused": refused,
                "servers": [up, broken_root, everything, slow],
            }


def check(url: str, settings: HttpSettings = SETTINGS) -> LinkCheck:
    return check_all([url], settings)[0]


def check_all(urls: list[str], settings: HttpSettings = SETTINGS) -> list[LinkCheck]:
    async def main() -> list[LinkCheck]:
        async with Fetcher(settings) as fetcher:
            return await asyncio.gather(*(check_url(fetcher, u) for u in urls))

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("host", "path", "verdict", "reason"),
    [
        ("up", "/ok", Verdict.OK, ""),
        ("up", "/gone-404", Verdict.DEAD, "HTTP 404"),
        ("up", "/gone-410", Verdict.DEAD, "HTTP 410"),
        ("broken_root", "/missing", Verdict.UNVERIFIABLE, "front page does not answer"),
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
        ("everything", "/surely/not/here", Verdict.OK, ""),
        ("slow", "/slow", Verdict.UNVERIFIABLE, "timeout"),
        ("refused", "", Verdict.DEAD, "connection error"),
    ],
)
def test_verdicts(farm, host: str, path: str, verdict: Verdict, reason: str) -> None:
    result = check(farm[host].rstrip("/") + path if path else farm[host])
    assert result.verdict is verdict, result
    assert reason in result.reason


def test_permanent_redirect_suggests_the_final_url(farm) -> None:
    result = check(farm["up"] + "/p1")
    assert result.permanent and result.final_url == farm["up"] + "/ok"


def test_non_ascii_url_as_written(farm) -> None:
    assert check(farm["up"] + "/café/menü").verdict is Verdict.OK


def test_skipped_host_is_never_requested(farm) -> None:
    settings = HttpSettings(
        **{
            **SETTINGS.__dict__,
            "hosts": {"127.0.0.10": HostPolicy(skip=True, reason="excluded: test")},
        }
    )
    before = len(farm["servers"][0].seen)
    result = check(farm["up"] + "/ok", settings)
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, "excluded: test")
    assert len(farm["servers"][0].seen) == before


def test_no_host_sees_more_than_its_limit(farm) -> None:
    for server in farm["servers"]:
        server.max_in_flight = 0
    paths = ["ok", "gone-404", "head-405", "p1", "report.pdf", "forbidden"] * 4
    check_all(
        [f"{farm['up']}/{p}" for p in paths] + [f"{farm['everything']}/x{n}" for n in range(12)]
    )
    assert max(server.max_in_flight for server in farm["servers"]) <= 2
    assert not any(server.unexpected for server in farm["servers"])


@pytest.mark.parametrize(
    ("result", "verdict"),
    [
        (FetchResult("u", "u", 200), Verdict.OK),
        (FetchResult("u", "v", 200, redirects=(Redirect(301, "u", "v"),)), Verdict.REDIRECTED),
        (FetchResult("u", "u", 404), Verdict.DEAD),
        (FetchResult("u", "u", 401), Verdict.UNVERIFIABLE),
        (
            FetchResult(
                "u", "u", error="connection error", detail="[SSL: CERTIFICATE_VERIFY_FAILED]"
            ),
            Verdict.UNVERIFIABLE,
        ),
        (
            FetchResult("u", "u", error="connection error", detail="Name or service not known"),
            Verdict.DEAD,
        ),
        (FetchResult("u", "u", error="timeout", detail="read"), Verdict.UNVERIFIABLE),
        (FetchResult("u", "u", error="skipped", detail="excluded"), Verdict.SKIPPED),
    ],
)
def test_classify(result: FetchResult, verdict: Verdict) -> None:
    assert classify(result).verdict is verdict


def test_accepted_codes_are_ok() -> None:
    assert classify(FetchResult("u", "u", 403), frozenset({403})).verdict is Verdict.OK


def run_many(
    urls: list[str],
    cache,
    settings: HttpSettings = SETTINGS,
    fetcher: Callable[[HttpSettings], Fetcher] = Fetcher,
    **kwargs,
) -> dict[str, LinkCheck]:
    async def main() -> dict[str, LinkCheck]:
        async with fetcher(settings) as opened:
            return await check_many(
                opened, urls, cache, CheckOptions(ok_ttl=60, cool_down=0.2), **kwargs
            )

    return asyncio.run(main())


@pytest.fixture
def confirm_farm() -> Iterator[LocalServer]:
    for (server,) in start_servers(["127.0.0.15"]):
        server.routes.update(
            {
                "/": Reply(body=b"home"),
                "/ok": Reply(body=b"ok"),
                "/gone": Reply(404),
                # Three failures outlast the first pass (1 try + 2 retries, HEAD then GET
                # falls back only on the last), then the host recovers for the confirmation.
                "/recovers": [
                    Reply(503),
                    Reply(503),
                    Reply(503),
                    Reply(503),
                    Reply(503),
                    Reply(503),
                    Reply(body=b"fine"),
                ],
            }
        )
        server.routes.update({f"/slow{n}": Reply(500, delay=0.1) for n in range(3)})
        yield server


def test_each_url_once_and_failures_confirmed(confirm_farm: LocalServer, tmp_path) -> None:
    server = confirm_farm
    urls = [server.url("/ok"), server.url("/ok"), server.url("/gone"), server.url("/recovers")]
    results = run_many(urls, read_cache(tmp_path / "c.json", normalise=False))
    assert [r.verdict for r in results.values()] == [Verdict.OK, Verdict.DEAD, Verdict.OK]
    assert [s.path for s in server.seen].count("/ok") == 1  # HEAD answered; asked once


def test_confirmation_overlaps_the_first_pass_one_at_a_time_within_the_limit(
    confirm_farm: LocalServer, tmp_path
) -> None:
    server = confirm_farm
    server.routes.update({f"/fine{n}": Reply(body=b"ok", delay=0.1) for n in range(24)})
    urls = [server.url(f"/slow{n}") for n in range(3)] + [
        server.url(f"/fine{n}") for n in range(24)
    ]
    results = run_many(urls, read_cache(tmp_path / "c.json", normalise=False))
    assert [results[u].verdict for u in urls[:3]] == [Verdict.UNVERIFIABLE] * 3
    assert all(results[u].verdict is Verdict.OK for u in urls[3:])
    # HEAD and GET, each tried three times, in the first pass; three GETs to confirm.
    confirmations = sorted(
        seen.at for n in range(3) for seen in [s for s in server.seen if s.path == f"/slow{n}"][6:]
    )
    assert len(confirmations) == 9
    assert all(b - a >= 0.095 for a, b in itertools.pairwise(confirmations))  # one at a time
    last_first_pass = max(seen.at for seen in server.seen if seen.path.startswith("/fine"))
    assert confirmations[0] < last_first_pass  # no waiting for the whole first pass
    assert server.max_in_flight == 2  # both passes share the host's limit


def test_challenge_seen_on_head_is_not_asked_again_with_get(farm) -> None:
    up = farm["servers"][0]
    before = len(up.seen)
    assert check(farm["up"] + "/challenge").verdict is Verdict.UNVERIFIABLE
    assert [(s.method, s.path) for s in up.seen[before:]] == [("HEAD", "/challenge")]


def test_progress_reports_each_url_once_with_its_final_verdict(
    confirm_farm: LocalServer, tmp_path
) -> None:
    server = confirm_farm
    seen: list[LinkCheck] = []
    urls = [server.url("/ok"), server.url("/gone"), server.url("/ok")]
    run_many(urls, read_cache(tmp_path / "c.json", normalise=False), progress=seen.append)
    assert sorted((c.url, c.verdict) for c in seen) == [
        (server.url("/gone"), Verdict.DEAD),
        (server.url("/ok"), Verdict.OK),
    ]


def test_cache_reuses_ok_and_keeps_failure_history(confirm_farm: LocalServer, tmp_path) -> None:
    server = confirm_farm
    path = tmp_path / "c.json"
    urls = [server.url("/ok"), server.url("/gone")]
    for _ in range(2):
        cache = read_cache(path, normalise=False)
        run_many(urls, cache)
        write_cache(cache)
    paths = [s.path for s in server.seen]
    assert paths.count("/ok") == 1  # the second run reused the cached ok
    assert paths.count("/gone") >= 4  # failures are re-requested every run
    cache = read_cache(path, normalise=False)
    first_failure, failures = read_history(cache, server.url("/gone"))
    assert failures == 2 and first_failure is not None
    assert cache.get(server.url("/gone"), 60)["verdict"] == "dead"


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        (Verdict.DEAD, Verdict.DEAD, Verdict.DEAD),
        (Verdict.UNVERIFIABLE, Verdict.DEAD, Verdict.UNVERIFIABLE),
        (Verdict.DEAD, Verdict.OK, Verdict.OK),
        (Verdict.DEAD, Verdict.UNVERIFIABLE, Verdict.UNVERIFIABLE),
    ],
)
def test_dead_needs_both_passes(before: Verdict, after: Verdict, verdict: Verdict) -> None:
    assert render_confirmed(LinkCheck("u", before), LinkCheck("u", after)).verdict is verdict


def test_front_page_is_asked_once_for_many_404s(confirm_farm: LocalServer, tmp_path) -> None:
    server = confirm_farm
    for n in range(4):
        server.routes[f"/gone{n}"] = Reply(404)
    urls = [server.url(f"/gone{n}") for n in range(4)]
    results = run_many(urls, read_cache(tmp_path / "c.json", normalise=False))
    assert all(r.verdict is Verdict.DEAD for r in results.values())
    assert [s.path for s in server.seen].count("/") == 1  # nothing else vouched for the host


def test_another_answer_after_the_404_vouches_for_the_host(
    confirm_farm: LocalServer, tmp_path
) -> None:
    server = confirm_farm
    server.routes.update({f"/fine{n}": Reply(body=b"ok", delay=0.05) for n in range(8)})
    urls = [server.url("/gone")] + [server.url(f"/fine{n}") for n in range(8)]
    results = run_many(urls, read_cache(tmp_path / "c.json", normalise=False))
    assert results[server.url("/gone")].verdict is Verdict.DEAD
    assert "/" not in [s.path for s in server.seen]


def test_only_an_answer_since_the_failure_counts(confirm_farm: LocalServer) -> None:
    server = confirm_farm
    now = [100.0]

    async def main() -> list[bool]:
        async with Fetcher(SETTINGS, clock=lambda: now[0]) as fetcher:
            front = FrontPages(fetcher, fresh=True)
            front.saw(LinkCheck(server.url("/ok"), Verdict.OK, status=200))  # at 100
            now[0] = 110.0
            answers = [await front.answers(server.url("/gone"), since=90)]  # no request
            answers.append(await front.answers(server.url("/gone"), since=105))  # asks
            answers.append(await front.answers(server.url("/gone"), since=108))  # its answer
            now[0] = 120.0
            answers.append(await front.answers(server.url("/gone"), since=115))  # asks again
            return answers

    assert asyncio.run(main()) == [True, True, True, True]
    assert [s.path for s in server.seen] == ["/", "/"]


ONE_AT_A_TIME = HttpSettings(**{**SETTINGS.__dict__, "default_host": HostPolicy(1, delay=0.0)})


def run_one_at_a_time(urls: list[str], path) -> dict[str, LinkCheck]:
    cache = read_cache(path, normalise=False)
    checks = run_many(urls, cache, ONE_AT_A_TIME)
    write_cache(cache)
    return checks


@pytest.fixture
def head_refuser() -> Iterator[LocalServer]:
    for (server,) in start_servers(["127.0.0.16"]):
        server.routes["/refused"] = head_or_get(Reply(405), Reply(body=b"ok"))
        server.routes.update({f"/a{n}": Reply(body=b"ok") for n in range(6)})
        yield server


def test_a_host_that_refused_head_is_asked_with_get(head_refuser: LocalServer, tmp_path) -> None:
    server = head_refuser
    urls = [server.url("/refused")] + [server.url(f"/a{n}") for n in range(6)]
    checks = run_one_at_a_time(urls, tmp_path / "c.json")
    assert {c.verdict for c in checks.values()} == {Verdict.OK}
    asked = [(s.method, s.path) for s in server.seen]
    # /a0 and /a1 set out with HEAD before /refused had shown that HEAD is refused; every
    # link after them is asked with GET alone.
    assert asked[:3] == [("HEAD", "/refused"), ("HEAD", "/a0"), ("GET", "/refused")]
    assert [method for method, path in asked if path in ("/a0", "/a1")] == ["HEAD", "HEAD"]
    later = [f"/a{n}" for n in range(2, 6)]
    assert [(method, path) for method, path in asked if path in later] == [
        ("GET", path) for path in later
    ]


def test_the_next_run_remembers_a_host_that_refused_head(
    head_refuser: LocalServer, tmp_path
) -> None:
    server = head_refuser
    run_one_at_a_time([server.url("/refused")], tmp_path / "c.json")
    server.seen.clear()
    run_one_at_a_time([server.url(f"/a{n}") for n in range(3)], tmp_path / "c.json")
    assert {s.method for s in server.seen} == {"GET"}
    # A month later the host is given HEAD again.
    cache = read_cache(tmp_path / "c.json", normalise=False)
    for entry in cache.entries.values():
        if entry["value"].get("head_refused_at"):
            entry["value"]["head_refused_at"] -= 31 * 86400
    cache.changed = True
    write_cache(cache)
    server.seen.clear()
    run_one_at_a_time([server.url("/a5")], tmp_path / "c.json")
    assert [s.method for s in server.seen] == ["HEAD"]


@pytest.mark.parametrize(
    ("head", "get", "refused"),
    [
        (FetchResult("u", "u", 405), FetchResult("u", "u", 200), True),
        (FetchResult("u", "u", 501), FetchResult("u", "u", 404), True),  # HEAD itself refused
        (FetchResult("u", "u", 404), FetchResult("u", "u", 200), True),
        (FetchResult("u", "u", error="timeout"), FetchResult("u", "u", 200), True),
        (FetchResult("u", "u", 404), FetchResult("u", "u", 404), False),  # it agrees
        (FetchResult("u", "u", 500), FetchResult("u", "u", 500), False),
        (FetchResult("u", "u", 429), FetchResult("u", "u", 200), False),  # a rate limit
        (FetchResult("u", "u", 404), FetchResult("u", "u", 503), False),  # an overload
    ],
)
def test_head_contradicted(head: FetchResult, get: FetchResult, refused: bool) -> None:
    assert head_contradicted(head, get) is refused


def refused_urls(addresses: list[str]) -> Iterator[list[str]]:
    with refused_sockets(addresses) as sockets:
        yield [f"http://{s.getsockname()[0]}:{s.getsockname()[1]}/page" for s in sockets]


def test_an_unreachable_host_is_tried_once_per_pass_not_once_per_link(farm, tmp_path) -> None:
    for (url,) in refused_urls(["127.0.0.37"]):
        links = [f"{url}{n}" for n in range(5)]
        tried: list[str] = []
        checks = run_many(
            [*links, farm["up"] + "/ok"],
            read_cache(tmp_path / "c.json", normalise=False),
            ONE_AT_A_TIME,
            functools.partial(CountingFetcher, tried=tried),
        )
        assert [checks[u].verdict for u in links] == [Verdict.DEAD] * 5
        assert all("connection error" in checks[u].reason for u in links)
        # The first link went through every retry (3 tries), the rest learnt from it; one
        # confirmation asked again (3 tries), the others learnt from that.
        assert sum(t.startswith(url.removesuffix("page")) for t in tried) == 6


def test_an_offline_machine_does_not_cry_wolf(tmp_path) -> None:
    # Three hosts, none answering anything: the network is down, not the links.
    for urls in refused_urls(["127.0.0.31", "127.0.0.32", "127.0.0.33"]):
        checks = run_many(urls, read_cache(tmp_path / "c.json", normalise=False))
        assert {c.verdict for c in checks.values()} == {Verdict.UNVERIFIABLE}
        assert all("looks offline" in c.reason for c in checks.values())


def test_refused_hosts_are_dead_when_others_answer(farm, tmp_path) -> None:
    for urls in refused_urls(["127.0.0.34", "127.0.0.35", "127.0.0.36"]):
        checks = run_many(
            [*urls, farm["up"] + "/ok"], read_cache(tmp_path / "c.json", normalise=False)
        )
        assert [checks[u].verdict for u in urls] == [Verdict.DEAD] * 3, checks


@pytest.mark.parametrize(
    ("statuses", "offline"),
    [
        ([None, None, None], True),
        ([None, None], False),  # two silent hosts may really both be gone
        ([None, None, 200], False),
        ([None, None, 404], False),
    ],
)
def test_render_offline(statuses: list[int | None], offline: bool) -> None:
    checks = [
        LinkCheck(f"http://h{i}.example/", Verdict.DEAD, "DNS failure", status)
        for i, status in enumerate(statuses)
    ]
    verdicts = {
        c.verdict for c, s in zip(render_offline(checks), statuses, strict=True) if s is None
    }
    assert verdicts == ({Verdict.UNVERIFIABLE} if offline else {Verdict.DEAD})
