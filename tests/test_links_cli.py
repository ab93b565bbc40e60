"""`scripts/links.py` through main(argv): what is checked, the report, the exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from scripts.links import main
from tests.conftest import run_pelican
from tests.servers import LocalServer, Reply, Seen, start_servers

POST = """\
Title: {title}
Date: 2026-03-01
Status: {status}

Intro with [a fine page]({base}/ok) and [a gone page]({base}/gone).

![A missing chart]({{static}}/images/missing.png)

Write to <mailto:sam@example.org> or [me](mailto:not-an-address).

[Forbidden to bots]({base}/forbidden)
"""


def availability(seen: Seen) -> Reply:
    """A stand-in for the availability API: /gone was archived the day of each post."""
    query = parse_qs(urlsplit(seen.path).query)
    url, stamp = query["url"][0], query.get("timestamp", [""])[0]
    closest = (
        {
            "available": True,
            "status": "200",
            "timestamp": f"{stamp}120000",
            "url": f"http://web.archive.org/web/{stamp}120000/{url}",
        }
        if url.endswith("/gone")
        else None
    )
    snapshots = {"closest": closest} if closest else {}
    return Reply(
        headers={"Content-Type": "application/json"},
        body=json.dumps({"url": url, "archived_snapshots": snapshots}).encode(),
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LocalServer, Path, Path]]:
    for server, archive in start_servers(["127.0.0.16", "127.0.0.17"]):
        archive.routes["/wayback/available"] = availability
        archive.default = availability
        server.routes.update(
            {
                "/": Reply(body=b"home"),
                "/ok": Reply(body=b"ok"),
                "/gone": Reply(404),
                "/forbidden": Reply(403),
            }
        )
        content = tmp_path / "content"
        (content / "posts").mkdir(parents=True)
        base = server.url("")
        (content / "posts" / "one.md").write_text(
            POST.format(title="One", status="published", base=base), encoding="utf-8"
        )
        (content / "posts" / "two.md").write_text(
            f"Title: Two\nDate: 2026-03-02\n\nAgain [gone]({base}/gone).\n", encoding="utf-8"
        )
        (content / "posts" / "draft.md").write_text(
            f"Title: Draft\nDate: 2026-03-03\nStatus: draft\n\nOnly [fine]({base}/ok).\n",
            encoding="utf-8",
        )
        settings = tmp_path / "settings.toml"
        api = archive.url("/wayback/available")
        settings.write_text(
            "[http]\nretries = 0\n[hosts.default]\ndelay = 0.0\n[links]\ncool_down = 0.1\n"
            f'archive_api = "{api}"\n',
            encoding="utf-8",
        )
        yield server, content, settings


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_groups_problems_with_every_place(site, capsys) -> None:
    server, content, settings = site
    code, out, _ = run(
        capsys,
        "--content",
        str(content),
        "--settings",
        str(settings),
        "--no-cache",
        "--format",
        "json",
    )
    assert code == 2
    report = json.loads(out)
    problems = {p["url"]: p for p in report["problems"]}
    gone = problems[server.url("/gone")]
    assert gone["verdict"] == "dead"
    assert sorted((Path(p["path"]).name, p["line"]) for p in gone["places"]) == [
        ("one.md", 5),
        ("two.md", 4),
    ]
    assert problems["{static}/images/missing.png"]["verdict"] == "dead"
    assert problems["mailto:not-an-address"]["verdict"] == "dead"
    assert problems[server.url("/forbidden")]["verdict"] == "unverifiable"
    assert server.url("/ok") not in problems and "mailto:sam@example.org" not in problems
    gone_requests = [s.method for s in server.seen if s.path == "/gone"]
    assert gone_requests == ["HEAD", "GET", "GET"]  # HEAD, its GET fallback, the confirmation
    assert report["counts"]["dead"] == 3


def test_text_and_markdown_reports(site, capsys) -> None:
    _, content, settings = site
    base = ["--content", str(content), "--settings", str(settings), "--no-cache"]
    code, text, _ = run(capsys, *base)
    assert code == 2 and "DEAD (3)" in text and "one.md:5" in text and "UNVERIFIABLE (1)" in text
    assert "one.md:5  archived copy: https://web.archive.org/web/20260301120000/" in text
    _, markdown, _ = run(capsys, *base, "--format", "markdown")
    assert markdown.startswith("# Link check") and "## Dead (3)" in markdown


def test_drafts_only(site, capsys) -> None:
    server, content, settings = site
    code, out, _ = run(
        capsys,
        "--content",
        str(content),
        "--drafts",
        "--settings",
        str(settings),
        "--no-cache",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["problems"] == []
    assert {s.path for s in server.seen} == {"/ok"}


def test_internal_links_of_a_built_site(site, tmp_path, capsys) -> None:
    _, content, settings = site
    (content / "posts" / "three.md").write_text(
        "Title: Three\nDate: 2026-03-04\n\nSee [nowhere](/no/such/page/) and [a](#nope).\n",
        encoding="utf-8",
    )
    build = run_pelican(content, tmp_path)
    code, out, _ = run(
        capsys,
        str(content / "posts" / "three.md"),
        "--content",
        str(content),
        "--output",
        str(build.output),
        "--site-url",
        "http://127.0.0.1:8000",
        "--settings",
        str(settings),
        "--no-cache",
        "--format",
        "json",
    )
    urls = {p["url"] for p in json.loads(out)["problems"]}
    assert code == 2 and {"/no/such/page/", "#nope"} <= urls


def test_settings_errors_exit_1(site, tmp_path, capsys) -> None:
    _, content, _ = site
    bad = tmp_path / "bad.toml"
    bad.write_text("[links]\ncool_down = -1\n", encoding="utf-8")
    code, _, err = run(capsys, "--content", str(content), "--settings", str(bad), "--no-cache")
    assert code == 1 and "cool_down must be a number >= 0" in err


def test_dead_links_get_the_archived_copy_nearest_their_post(site, capsys) -> None:
    server, content, settings = site
    code, out, _ = run(
        capsys,
        "--content",
        str(content),
        "--settings",
        str(settings),
        "--no-cache",
        "--format",
        "json",
    )
    assert code == 2
    gone = {p["url"]: p for p in json.loads(out)["problems"]}[server.url("/gone")]
    archived = {Path(p["path"]).name: p["archived"] for p in gone["places"]}
    assert archived == {
        "one.md": f"https://web.archive.org/web/20260301120000/{server.url('/gone')}",
        "two.md": f"https://web.archive.org/web/20260302120000/{server.url('/gone')}",
    }


def test_fix_rewrites_only_dead_link_destinations(site, capsys) -> None:
    server, content, settings = site
    one = content / "posts" / "one.md"
    one.write_text(
        one.read_text(encoding="utf-8") + f"\nThe old address was {server.url('/gone')}"
        " (mentioned, not linked).\n",
        encoding="utf-8",
    )
    before = one.read_text(encoding="utf-8")
    code, _, err = run(
        capsys, "--content", str(content), "--settings", str(settings), "--no-cache", "--fix"
    )
    after = one.read_text(encoding="utf-8")
    archived = f"https://web.archive.org/web/20260301120000/{server.url('/gone')}"
    assert f"[a gone page]({archived})" in after
    assert f"The old address was {server.url('/gone')} (mentioned" in after
    assert after.replace(archived, server.url("/gone")) == before
    (backup,) = (content / "posts").glob("one.md.*.bak")
    assert backup.read_text(encoding="utf-8") == before
    assert f"+Intro with [a fine page]({server.url('/ok')}) and [a gone page]({archived})" in err
    assert code == 2  # the report is of the run that found them dead


def test_links_only_in_the_built_html_are_checked(site, tmp_path, capsys) -> None:
    server, content, settings = site
    output = tmp_path / "built"
    (output / "about").mkdir(parents=True)
    (output / "about" / "index.html").write_text(
        f'<a href="{server.url("/gone")}">theme link</a><img src="{server.url("/ok")}" alt="">'
        f'<a href="{server.url("/ok")}">again</a>',
        encoding="utf-8",
    )
    code, out, _ = run(
        capsys,
        "--content",
        str(content),
        "--drafts",
        "--output",
        str(output),
        "--settings",
        str(settings),
        "--no-cache",
        "--format",
        "json",
    )
    (gone,) = json.loads(out)["problems"]
    assert code == 2 and gone["url"] == server.url("/gone")
    assert gone["places"][0]["path"].endswith("about/index.html")
    assert [s.path for s in server.seen if s.method == "HEAD"].count("/ok") == 1


# --- only the pages the current content produces (issue 16, item 8) ----------------------

DOOMED = "Title: Doomed\nDate: 2026-03-05\n\nSee [its dead link]({base}/doomed) and [x](/x/y/).\n"


def test_a_deleted_posts_page_left_in_the_output_is_not_checked(site, tmp_path, capsys) -> None:
    server, content, settings = site
    server.routes["/doomed"] = Reply(404)
    doomed = content / "posts" / "doomed.md"
    doomed.write_text(DOOMED.format(base=server.url("")), encoding="utf-8")
    assert run_pelican(content, tmp_path).returncode == 0
    doomed.unlink()
    build = run_pelican(content, tmp_path)  # a warm rebuild, as `make links` runs it
    stale = build.output / "posts" / "2026" / "03" / "doomed" / "index.html"
    assert build.returncode == 0 and stale.is_file()
    argv = ["--content", str(content), "--output", str(build.output), "--settings", str(settings)]
    argv += ["--no-cache", "--format", "json"]
    code, out, _ = run(capsys, *argv)
    urls = {p["url"] for p in json.loads(out)["problems"]}
    assert code == 2 and server.url("/gone") in urls  # the current posts are checked
    assert server.url("/doomed") not in urls and "/x/y/" not in urls
    assert "/doomed" not in {s.path for s in server.seen}
    # The same output without its build record: every file in it is checked, as before.
    (build.output / ".linkdigest-pages.json").unlink()
    code, out, err = run(capsys, *argv)
    urls = {p["url"] for p in json.loads(out)["problems"]}
    assert {server.url("/doomed"), "/x/y/"} <= urls
    assert "no .linkdigest-pages.json" in err and "checking every page" in err


def test_links_file_checks_only_the_pages_built_from_it(site, tmp_path, capsys) -> None:
    server, content, settings = site
    server.routes["/theirs"] = Reply(404)
    three = content / "posts" / "three.md"
    three.write_text(
        "Title: Three\nDate: 2026-03-04\n\nSee [nowhere](/no/such/page/) and [a](#nope).\n",
        encoding="utf-8",
    )
    (content / "pages").mkdir()
    (content / "pages" / "colophon.md").write_text(
        f"Title: Colophon\n\nSee [lost](/lost/page/) and [theirs]({server.url('/theirs')}).\n",
        encoding="utf-8",
    )
    build = run_pelican(content, tmp_path)
    argv = ["--output", str(build.output), "--site-url", "http://127.0.0.1:8000"]
    argv += ["--settings", str(settings), "--no-cache"]
    code, out, _ = run(capsys, str(three), "--content", str(content), *argv, "--format", "json")
    problems = json.loads(out)["problems"]
    urls = {p["url"] for p in problems}
    assert code == 2 and {"/no/such/page/", "#nope"} <= urls
    assert "/lost/page/" not in urls and server.url("/theirs") not in urls
    places = {Path(place["path"]) for p in problems for place in p["places"]}
    assert places == {three, build.output / "posts/2026/03/three/index.html"}
    assert {s.path for s in server.seen} == set()  # three's page links to no other site
