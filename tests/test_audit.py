"""Reading the checkers' reports: the Nu Html Checker, axe-core + Lighthouse, chromium's net log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from linkdigest.shipping.audit import (
    AuditPage,
    LocalSite,
    ToolError,
    ValidatorMessage,
    check_audit,
    check_html_files,
    check_net_log,
    parse_audit_lines,
    parse_log_urls,
    parse_net_log,
    parse_vnu_report,
    read_audit_pages,
    render_audit_table,
    render_notes,
)
from scripts.audit import main as audit_main

VNU_CASES = [
    (
        {"type": "error", "url": "file:/site/out/a/index.html", "lastLine": 5, "firstColumn": 8,
         "lastColumn": 14, "message": "Stray end tag “span”."},
        ["out/a/index.html:5:8: Stray end tag “span”."],
    ),
    (
        {"type": "error", "url": "file:/site/out/b.html", "firstLine": 3, "lastLine": 4,
         "firstColumn": 2, "lastColumn": 1, "message": "Bad."},
        ["out/b.html:3:2: Bad."],
    ),
    ({"type": "info", "url": "file:/site/out/c.html", "lastLine": 1, "message": "Trailing"}, []),
    (
        {"type": "non-document-error", "url": "file:/elsewhere/x.html", "message": "IO error"},
        ["/elsewhere/x.html:0:0: IO error"],
    ),
    (
        {"type": "error", "url": "file:/site/out/caf%C3%A9.html", "lastLine": 2,
         "lastColumn": 7, "message": "Accent."},
        ["out/café.html:2:7: Accent."],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("message", "expected"), VNU_CASES)
def test_vnu_errors_read_as_file_line_column(message: dict, expected: list[str]) -> None:
    report = json.dumps({"version": "26.9.27", "messages": [message]})
    assert [str(m) for m in parse_vnu_report(report, {"out": Path("/site/out")})] == expected


def test_a_vnu_report_that_is_not_json_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="not JSON"):
        parse_vnu_report("Error: Could not find or load main class", {})


def test_missing_checker_says_to_run_make_test(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="make test"):
        check_html_files([tmp_path / "a.html"], jar=tmp_path / "vnu.jar")


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolError, match=r"default-jre-headless.*make test"):
        check_html_files([Path("a.html")])


def result_line(**changes: object) -> str:
    data = {
        "page": "digest",
        "path": "/posts/2026/10/x/",
        "scheme": "dark",
        "axe": [],
        "scores": {"performance": 1, "accessibility": 1, "best-practices": 1, "seo": 1},
        "performance_runs": [1, 1, 1],
        "lighthouse_failures": [],
        "lighthouse_error": None,
        "lighthouse_scheme": {"dark": True, "background": "rgb(21, 23, 27)"},
        "lighthouse_luminance": 0.12,
        "external": [],
    }
    return json.dumps(data | changes)


def test_a_clean_page_has_no_problems_and_a_table_row() -> None:
    results = parse_audit_lines(result_line() + "\n" + result_line(page="home", path="/"))
    assert check_audit(results) == []
    table = render_audit_table(results).splitlines()
    assert table[0].split() == [
        "page", "path", "scheme", "axe", "perf", "a11y", "bp", "seo", "background",
    ]  # fmt: skip
    assert table[1].split() == [
        "digest", "/posts/2026/10/x/", "dark", "0", "100", "100", "100", "100",
        "rgb(21,", "23,", "27)", "(dark)",
    ]  # fmt: skip


PROBLEM_CASES = [
    (
        {"axe": [{"id": "color-contrast", "impact": "serious", "help": "Contrast",
                  "targets": ["a.x", "p"], "viewports": ["375px", "1280px"]}]},
        "digest /posts/2026/10/x/ (dark): axe color-contrast (serious, 375px/1280px): "
        "Contrast: a.x, p",
    ),
    (
        {"scores": {"performance": 0.94, "accessibility": 1, "best-practices": 1, "seo": 1}},
        "digest /posts/2026/10/x/ (dark): Lighthouse performance 94 < 95",
    ),
    (
        {"scores": {"performance": None, "accessibility": 1, "best-practices": 1, "seo": 1}},
        "digest /posts/2026/10/x/ (dark): Lighthouse performance - < 95",
    ),
    (
        {"external": ["https://fonts.example.net/a.woff2"]},
        "digest /posts/2026/10/x/ (dark): request for something not on 127.0.0.1: "
        "https://fonts.example.net/a.woff2",
    ),
    (
        {"lighthouse_scheme": {"dark": False, "background": "rgb(255, 255, 255)"}},
        "digest /posts/2026/10/x/ (dark): Lighthouse saw the light scheme: emulation failed",
    ),
    (
        {"lighthouse_luminance": 0.93},
        "digest /posts/2026/10/x/ (dark): the page looks wrong for the dark scheme "
        "(mean luminance 0.93 in Lighthouse's screenshot)",
    ),
    (
        {"lighthouse_error": "NO_FCP"},
        "digest /posts/2026/10/x/ (dark): Lighthouse error: NO_FCP",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "problem"), PROBLEM_CASES)
def test_each_kind_of_problem_is_one_line(changes: dict, problem: str) -> None:
    assert check_audit(parse_audit_lines(result_line(**changes))) == [problem]


def test_video_embeds_are_notes_not_problems() -> None:
    embeds = ["https://www.youtube-nocookie.com/embed/abcdefghijk"] * 2
    results = parse_audit_lines(result_line(external=embeds, performance_runs=[0.85, 1, 1]))
    assert check_audit(results) == []
    assert render_notes(results) == [
        "digest (dark): performance runs 85, 100, 100 (the median is shown)",
        "digest (dark): 1 video embeds blocked (no network here)",
    ]


def test_the_lowest_passing_score_is_a_setting() -> None:
    scores = {"performance": 0.9, "accessibility": 1, "best-practices": 1, "seo": 1}
    results = parse_audit_lines(result_line(scores=scores))
    assert check_audit(results, min_score=90) == []
    assert len(check_audit(results, min_score=91)) == 1


def test_unexpected_tool_output_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="unexpected"):
        parse_audit_lines("TypeError: cannot read properties of undefined\n")


EVENTS = {"URL_REQUEST_START_JOB": 1, "DNS_TRANSACTION": 2, "TCP_CONNECT_ATTEMPT": 3,
          "UDP_CONNECT": 4, "UDP_BYTES_SENT": 5}  # fmt: skip


def event(name: str, source: int = 0, **params: object) -> dict:
    return {"type": EVENTS[name], "source": {"id": source}, "params": params}


def net_log(*events: dict) -> str:
    return json.dumps({"constants": {"logEventTypes": EVENTS}, "events": list(events)})


def test_net_log_names_external_requests_lookups_and_connections() -> None:
    text = net_log(
        event("URL_REQUEST_START_JOB", url="http://127.0.0.1:8000/"),
        event("URL_REQUEST_START_JOB", url="https://update.example.com/check"),
        event("URL_REQUEST_START_JOB", url="data:text/html,hi"),
        event("DNS_TRANSACTION", hostname="update.example.com"),
        event("TCP_CONNECT_ATTEMPT", address="127.0.0.1:8000"),
        event("TCP_CONNECT_ATTEMPT"),  # the closing half carries no address
        event("TCP_CONNECT_ATTEMPT", address="[2001:db8::1]:443"),
        event("UDP_CONNECT", 7, address="[2001:db8::8]:443"),  # a route probe, no packet
        event("UDP_CONNECT", 8, address="192.0.2.1:53"),
        event("UDP_BYTES_SENT", 8, byte_count=40),
    )
    summary = parse_net_log(text)
    assert summary.requests == ("https://update.example.com/check",)
    assert summary.lookups == ("update.example.com",)
    assert summary.connections == ("192.0.2.1:53", "[2001:db8::1]:443")
    assert summary.probes == ("[2001:db8::8]:443",)
    assert check_net_log(summary) == [
        "chromium looked up update.example.com in DNS",
        "chromium connected to 192.0.2.1:53",
        "chromium connected to [2001:db8::1]:443",
    ]


def test_a_net_log_cut_short_is_still_read() -> None:
    whole = net_log(event("DNS_TRANSACTION", hostname="a.example"))
    cut = whole[: whole.rindex("]")] + ","
    assert parse_net_log(cut).lookups == ("a.example",)


def test_log_urls_outside_loopback() -> None:
    log = (
        "LH:status Connecting to browser\n"
        "LH:GatherRunner fetching http://127.0.0.1:4000/robots.txt\n"
        'LH:Fetcher error {"url":"https://cdn.example.net/x.js"} (https://cdn.example.net/y)\n'
    )
    assert parse_log_urls(log) == ["https://cdn.example.net/x.js", "https://cdn.example.net/y"]


def atom(*entries: tuple[str, str]) -> str:
    items = "".join(
        f'<entry><title>{title}</title><link href="{url}" rel="alternate"/>'
        f"<id>{url}</id><updated>2026-10-31T00:00:00Z</updated></entry>"
        for title, url in entries
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{items}</feed>'


def test_audit_pages_come_from_the_feeds(tmp_path: Path) -> None:
    site = "http://127.0.0.1:9/"
    (tmp_path / "feeds" / "category").mkdir(parents=True)
    digests = [("Oct", f"{site}posts/2026/10/oct/"), ("Sep", f"{site}posts/2026/09/sep/")]
    posts = [digests[0], ("Note", f"{site}posts/2026/10/note/"), digests[1]]
    (tmp_path / "feeds" / "category" / "summary.atom.xml").write_text(atom(*digests))
    (tmp_path / "feeds" / "all.atom.xml").write_text(atom(*posts))
    assert read_audit_pages(tmp_path) == [
        AuditPage("home", "/"),
        AuditPage("digest", "/posts/2026/10/oct/"),
        AuditPage("links", "/links/"),
        AuditPage("post", "/posts/2026/10/note/"),
    ]


def test_audit_pages_need_the_feeds(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"summary\.atom\.xml is missing"):
        read_audit_pages(tmp_path)


def test_local_site_serves_a_folder_and_notes_404s(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>x</title>")
    site = LocalSite(tmp_path)
    try:
        assert site.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(site.url + "/") as response:
            assert b"<title>x</title>" in response.read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(site.url + "/favicon.ico")
    finally:
        site.close()
    assert site.missing == ["/favicon.ico"]


def test_validator_message_reads_as_file_line_column() -> None:
    assert str(ValidatorMessage("a.html", 3, 9, "Bad.")) == "a.html:3:9: Bad."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--chromium", "/nonexistent/chromium"], "apt-get install chromium"),
        (["--chromium", "/bin/sh", "--node", "no-such-node"], "install Node.js"),
    ],
)
def test_audit_says_what_to_install(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit_main(argv) == 1
    assert message in capsys.readouterr().err


def test_audit_says_to_run_make_audit_when_its_node_tools_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit_main(["--chromium", "/bin/sh", "--tools", str(tmp_path)]) == 1
    assert f"{tmp_path}/node_modules is missing: run `make audit`" in capsys.readouterr().err
