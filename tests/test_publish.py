"""The publish library: settings, gates, pre-compression, records and the three deploy
targets (a real folder, real rsync into a local folder, real git into a local bare repo)."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
from pathlib import Path

import pytest

from linkdigest.checking.cache import LinkCache
from linkdigest.checking.verdicts import CheckOptions
from linkdigest.errors import ConfigError, ContentError, UsageError
from linkdigest.net import parse_http_settings
from linkdigest.shipping import deploy as deploy_module
from linkdigest.shipping.deploy import (
    MARKER,
    Changes,
    DeployError,
    FolderTarget,
    PagesTarget,
    RsyncTarget,
    deploy_folder,
    deploy_pages,
    deploy_rsync,
    parse_itemized,
    parse_name_status,
    parse_publish_settings,
    pick_target,
)
from linkdigest.shipping.publish import (
    DeployRecord,
    Draft,
    SiteFacts,
    check_content,
    check_feeds,
    check_links,
    check_output,
    find_draft_traces,
    parse_draft,
    parse_skip_gates,
    read_changed_links,
    read_deploy_record,
    read_post_hashes,
    render_changed_posts,
    render_gzip,
    select_site_changes,
    write_deploy_record,
    write_precompressed,
)
from tests.servers import LocalServer, Reply

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
SITE_URL = "https://links.example.org"


def make_site(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes: compares whole trees."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


SITE = {
    "index.html": "<html><body><a href='/posts/a/'>A</a></body></html>\n" * 20,
    "posts/a/index.html": "<html><body><h1 id='top'>A</h1></body></html>\n" * 20,
    "feeds/all.atom.xml": (FIXTURES / "feeds" / "good.atom.xml").read_text(encoding="utf-8"),
    "images/pixel.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
}


# --- settings -----------------------------------------------------------------------------

GOOD_SETTINGS = {
    "publish": {
        "target": "local",
        "targets": {
            "local": {"kind": "folder", "path": "public"},
            "server": {"kind": "rsync", "destination": "me@host:/srv/site/", "ssh": "ssh -p 2"},
            "pages": {"kind": "github-pages", "repository": "../site.git", "cname": "x.org"},
        },
    }
}


def test_settings_name_every_target_and_resolve_folders_beside_the_file(tmp_path: Path) -> None:
    source = str(tmp_path / "linkdigest.toml")
    settings = parse_publish_settings(GOOD_SETTINGS, source)
    assert pick_target(settings, None, source) == FolderTarget("local", str(tmp_path / "public"))
    server = pick_target(settings, "server", source)
    assert server == RsyncTarget("server", "me@host:/srv/site/", "ssh -p 2")
    pages = pick_target(settings, "pages", source)
    assert isinstance(pages, PagesTarget) and pages.branch == "gh-pages" and not pages.precompress
    assert settings.allow_unverified is False
    allowing = parse_publish_settings({"publish": {"allow_unverified": True}}, source)
    assert allowing.allow_unverified is True


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"targets": {"x": {"kind": "ftp"}}}, "[publish.targets.x] kind must be one of"),
        ({"targets": {"x": {"kind": "folder"}}}, '[publish.targets.x] needs path = "..."'),
        ({"targets": {"x": {"kind": "rsync", "dest": "h:/"}}}, "unknown setting 'dest'"),
        ({"targets": {"x": {"kind": "folder", "path": 3}}}, "path must be a string"),
        ({"target": "y", "targets": {}}, "[publish] target 'y' has no table"),
        ({"allow_unverified": "yes"}, "allow_unverified must be true or false"),
        ({"targets": {"x": "folder"}}, "[publish.targets.x] must be a table"),
        ({"targets": {"../x": {"kind": "folder"}}}, "a name is letters, digits, - and _"),
        ({"targets": 3}, "[publish.targets] must hold one table per target"),
    ],
)
def test_bad_settings_name_the_file_and_table(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_publish_settings({"publish": table}, "linkdigest.toml")
    assert str(error.value).startswith("linkdigest.toml: ") and message in str(error.value)


def test_unknown_target_lists_the_known_ones() -> None:
    settings = parse_publish_settings(GOOD_SETTINGS, "s.toml")
    with pytest.raises(ConfigError, match=r"no target 'nope'.*known: local, pages, server"):
        pick_target(settings, "nope", "s.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", ()), ("links", ("links",)), (" links, content ,", ("links", "content"))],
)
def test_skip_gates_are_a_comma_list(text: str, expected: tuple[str, ...]) -> None:
    assert parse_skip_gates(text) == expected


def test_a_misspelt_gate_is_an_error_not_a_silent_no_op() -> None:
    with pytest.raises(UsageError, match="SKIP_GATES: unknown gate 'lnks'; gates: output"):
        parse_skip_gates("content,lnks")


# --- gates --------------------------------------------------------------------------------


def facts(output: Path, content: Path | None = None) -> SiteFacts:
    return SiteFacts(
        SITE_URL,
        output,
        content or output.parent / "content",
        feed_globs=("feeds/*.atom.xml", "feeds/*.rss.xml"),
        required=("index.html", "feeds/all.atom.xml"),
    )


def test_output_gate_wants_a_site_with_home_page_and_feeds(tmp_path: Path) -> None:
    assert check_output(facts(tmp_path / "none")).problems[0].endswith("build the site first")
    site = make_site(tmp_path / "out", {"index.html": "<p>home</p>"})
    assert check_output(facts(site)).problems == (f"{site}/feeds/all.atom.xml: missing",)
    make_site(site, {"feeds/all.atom.xml": "<feed/>"})
    assert check_output(facts(site)).ok


def test_feeds_gate_reports_each_broken_feed(tmp_path: Path) -> None:
    site = make_site(tmp_path / "out", {})
    (site / "feeds").mkdir(parents=True)
    for name in ("good.atom.xml", "broken.atom.xml", "not-a-feed.xml"):
        (site / "feeds" / name).write_bytes((FIXTURES / "feeds" / name).read_bytes())
    (site / "feeds" / "empty.rss.xml").write_bytes(b"")
    result = check_feeds(facts(site))
    assert result.note == "3 feeds"  # the sitemap-like file matches no feed pattern
    assert [p.split(":")[0] for p in result.problems] == [
        "feeds/broken.atom.xml",
        "feeds/empty.rss.xml",
    ]
    assert "not well-formed" in result.problems[0]


DRAFT = Draft("content/posts/draft.md", "Secret plans for April", "secret-plans")


@pytest.mark.parametrize(
    ("page", "text", "found"),
    [
        ("index.html", "<a href='/posts/x/'>Published post</a>", []),
        ("drafts/x/index.html", "", ["a draft page was written"]),
        ("posts/2026/04/secret-plans/index.html", "", ["written under its slug"]),
        ("secret-plans.html", "", ["written under its slug"]),
        ("tag/secret-plans/index.html", "<h1>Tag</h1>", []),  # a tag may share the name
        ("index.html", "<h2><a href='/x/'>Secret plans for April</a></h2>", ["its title"]),
        ("feeds/all.atom.xml", "<title>Secret plans for April</title>", ["its title"]),
        ("links.json", '[{"title": "Secret plans for April"}]', ["its title"]),
        ("index.html", "<p>Secret plans for April are a theme of mine</p>", []),
        ("notes.txt", "Title: X\nStatus: draft\n", ["'Status: draft' line"]),
        ("index.html", "<p>Status: drafted by hand</p>", []),
    ],
)
def test_draft_traces(page: str, text: str, found: list[str]) -> None:
    traces = find_draft_traces(page, text, [DRAFT])
    assert len(traces) == len(found)
    for trace, expected in zip(traces, found, strict=True):
        assert trace.startswith(f"{page}: ") and expected in trace


def test_a_draft_without_slug_gets_pelicans_slug() -> None:
    text = "Title: Café & Co: plans\nDate: 2026-04-01\nStatus: Draft\n\nBody.\n"
    subs = [(r"[^\w\s-]", ""), (r"(?u)\A\s*", ""), (r"(?u)\s*\Z", ""), (r"[-\s]+", "-")]
    assert parse_draft(text, "d.md", subs) == Draft("d.md", "Café & Co: plans", "cafe-co-plans")
    assert parse_draft("Title: T\nStatus: published\n\nB\n", "p.md") is None


def content_site(tmp_path: Path, files: dict[str, str | bytes]) -> SiteFacts:
    return SiteFacts(SITE_URL, tmp_path / "output", make_site(tmp_path / "content", files))


DIGEST_WITH_PROBLEMS = """\
Title: Month summary
Date: 2026-03-31
Category: summary

## Articles

### [](https://a.example/empty)

> No title.

### [Twice](https://a.example/x)

### [Twice again](https://a.example/x)
"""


def test_content_gate_names_each_problem_of_what_is_published(tmp_path: Path) -> None:
    site = content_site(
        tmp_path,
        {
            "posts/digest.md": DIGEST_WITH_PROBLEMS,
            "posts/broken.md": "Title: B\nDate 2026-01-01\n\nBody.\n",
            "posts/bad-date.md": "Title: D\nDate: 2026-13-45\n\nBody.\n",
            "posts/latin.md": b"Title: L\nDate: 2026-01-01\n\nCaf\xe9.\n",
            "posts/fine.md": "Title: F\nDate: 2026-01-01\n\nBody.\n",
            # The author's business until it is published: draft problems are not the gate's.
            "posts/draft.md": "Title: Draft\nStatus: draft\nCategory: summary\n\n### [](x)\n",
        },
    )
    result = check_content(site)
    assert not result.ok and result.note == "5 posts and pages"
    where = {problem.split(": ", 1)[0] for problem in result.problems}
    content = site.content
    assert where == {
        f"{content}/posts/bad-date.md:2",
        f"{content}/posts/broken.md:2",
        f"{content}/posts/digest.md:7",
        f"{content}/posts/digest.md:13",
        f"{content}/posts/latin.md:4",
    }
    assert any("link entry has an empty title" in p for p in result.problems)
    assert any("not UTF-8" in p for p in result.problems)


def test_content_gate_passes_the_example_blog() -> None:
    site = SiteFacts(SITE_URL, Path("output"), Path(__file__).parent.parent / "content")
    result = check_content(site)
    assert result.ok, result.problems


# --- links since the last deploy ----------------------------------------------------------


def test_changed_posts_are_new_or_edited_and_never_drafts(tmp_path: Path) -> None:
    content = make_site(
        tmp_path,
        {
            "posts/a.md": "Title: A\n\nBody.\n",
            "posts/b.md": "Title: B\n\nBody.\n",
            "posts/d.md": "Title: D\nStatus: draft\n\nBody.\n",
        },
    )
    current = read_post_hashes(content)
    assert sorted(current) == ["posts/a.md", "posts/b.md"]
    assert render_changed_posts(current, {}) == ["posts/a.md", "posts/b.md"]
    (content / "posts" / "b.md").write_text("Title: B\n\nEdited.\n", encoding="utf-8")
    assert render_changed_posts(read_post_hashes(content), current) == ["posts/b.md"]


def gate_settings() -> tuple:
    http = parse_http_settings(
        {"http": {"retries": 0, "deadline": 1.0}, "hosts": {"default": {"delay": 0.0}}}
    )
    return http, CheckOptions(cool_down=0.0)


def test_links_gate_names_dead_links_with_file_and_line(tmp_path: Path) -> None:
    server = LocalServer("127.0.0.70")
    try:
        server.routes.update({"/": Reply(body=b"home"), "/ok": Reply(), "/gone": Reply(404)})
        content = make_site(
            tmp_path / "content",
            {"posts/post.md": (
                f"Title: P\n\nSee [fine]({server.url('/ok')}).\n"
                f"And [gone]({server.url('/gone')}).\nMail [me](mailto:nobody).\n"
                "An image ![x]({static}/images/missing.png).\n"
            )},
        )  # fmt: skip
        http, options = gate_settings()
        cache = LinkCache(tmp_path / "links.json")
        refs = read_changed_links(content, ["posts/post.md"])
        gate = asyncio.run(check_links(refs, 1, http, options, cache, content=content))
    finally:
        server.close()
    post = content / "posts" / "post.md"
    assert gate.result.note == "4 links in 1 new or changed posts"
    assert sorted(gate.result.problems) == sorted(
        [
            f"{post}:4: {server.url('/gone')}: dead (HTTP 404)",
            f"{post}:5: mailto:nobody: dead (malformed address)",
            f"{post}:6: {{static}}/images/missing.png: dead (file does not exist)",
        ]
    )
    assert gate.unchecked == {str(post)}
    assert not server.unexpected


def test_links_that_could_not_be_verified_stop_the_gate_unless_allowed(tmp_path: Path) -> None:
    server = LocalServer("127.0.0.71")
    try:
        server.routes.update({"/ok": Reply(), "/stalls": Reply(delay=3.0)})
        content = make_site(
            tmp_path / "content",
            {
                "posts/fine.md": f"Title: F\n\n[ok]({server.url('/ok')})\n",
                "posts/unsure.md": f"Title: U\n\n[slow]({server.url('/stalls')})\n",
            },
        )
        http, options = gate_settings()
        refs = read_changed_links(content, ["posts/fine.md", "posts/unsure.md"])
        strict, allowed = (
            asyncio.run(
                check_links(refs, 2, http, options, LinkCache(tmp_path / "c"), allow, None, content)
            )
            for allow in (False, True)
        )
    finally:
        server.close()
    unsure = content / "posts" / "unsure.md"
    assert not strict.result.ok and "1 could NOT be verified" in strict.result.note
    assert strict.result.problems[0].startswith(
        f"{unsure}:3: {server.url('/stalls')}: could not be verified (timeout: no answer"
    )
    assert allowed.result.ok and allowed.result.warnings == strict.result.problems
    assert strict.unchecked == allowed.unchecked == {str(unsure)}  # checked again next time


# --- pre-compression ----------------------------------------------------------------------


def test_gzip_copies_are_reproducible() -> None:
    data = b"<html>" + b"reproducible " * 100 + b"</html>"
    first = render_gzip(data)
    assert first == render_gzip(data)
    assert first[4:8] == b"\0\0\0\0"  # mtime 0
    assert first[3] & 0x08 == 0  # no file name in the header
    assert gzip.decompress(first) == data


def test_text_files_get_compressed_copies_when_it_saves_bytes(tmp_path: Path) -> None:
    site = make_site(tmp_path, {**SITE, "tiny.txt": "x", "style.css": "a { color: red }\n" * 50})
    done = write_precompressed(site)
    names = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.gz"))
    assert names == [
        "feeds/all.atom.xml.gz",
        "index.html.gz",
        "posts/a/index.html.gz",
        "style.css.gz",
    ]
    assert done.gz == 4
    assert (
        gzip.decompress((site / "index.html.gz").read_bytes()) == (site / "index.html").read_bytes()
    )
    assert done.br == (4 if done.brotli else 0)
    assert len(list(site.rglob("*.br"))) == done.br
    again = write_precompressed(site)  # a re-run compresses originals, not copies of copies
    assert again.gz == 4 and not list(site.rglob("*.gz.gz"))


def test_changes_leave_out_compressed_copies_and_the_marker() -> None:
    changes = Changes(("a.html", "a.html.gz", MARKER), ("b.css.br",), ("c.html",))
    assert select_site_changes(changes) == Changes(("a.html",), (), ("c.html",))


# --- deploy record ------------------------------------------------------------------------


def test_deploy_record_round_trip_and_a_corrupt_one_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "deploys" / "local.json"
    assert read_deploy_record(path, "local") == DeployRecord("local")
    write_deploy_record(path, DeployRecord("local", "", SITE_URL, {"posts/a.md": "abc"}))
    record = read_deploy_record(path, "local")
    assert record.checked == {"posts/a.md": "abc"} and record.deployed_at
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ContentError, match=r"unreadable deploy record .*delete it"):
        read_deploy_record(path, "local")


# --- folder target ------------------------------------------------------------------------


def test_folder_deploy_copies_changes_and_deletes_stale_files(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = tmp_path / "www"
    first = deploy_folder(output, dest, SITE_URL, dry_run=False)
    assert first == Changes(tuple(sorted(SITE)))
    assert snapshot(dest) == {**snapshot(output), MARKER: (dest / MARKER).read_bytes()}
    assert SITE_URL in (dest / MARKER).read_text(encoding="utf-8")
    (output / "index.html").write_text("<p>new home</p>", encoding="utf-8")
    (output / "posts" / "a" / "index.html").unlink()
    (output / "posts" / "a").rmdir()
    make_site(output, {"posts/b/index.html": "<h1>B</h1>"})
    second = deploy_folder(output, dest, SITE_URL, dry_run=False)
    assert second == Changes(("posts/b/index.html",), ("index.html",), ("posts/a/index.html",))
    assert snapshot(dest) == {**snapshot(output), MARKER: (dest / MARKER).read_bytes()}
    assert not (dest / "posts" / "a").exists()
    assert deploy_folder(output, dest, SITE_URL, dry_run=False) == Changes()


def test_folder_dry_run_changes_nothing(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = tmp_path / "www"
    assert deploy_folder(output, dest, SITE_URL, dry_run=True).added == tuple(sorted(SITE))
    assert not dest.exists()
    deploy_folder(output, dest, SITE_URL, dry_run=False)
    (output / "index.html").write_text("changed", encoding="utf-8")
    before = snapshot(dest)
    assert deploy_folder(output, dest, SITE_URL, dry_run=True).changed == ("index.html",)
    assert snapshot(dest) == before


def test_folder_deploy_refuses_a_folder_that_is_not_this_site(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = make_site(tmp_path / "www", {"family-photos/1.jpg": b"\xff\xd8"})
    with pytest.raises(DeployError, match=f"{dest}: not empty and has no {MARKER} marker"):
        deploy_folder(output, dest, SITE_URL, dry_run=False)
    assert snapshot(dest) == {"family-photos/1.jpg": b"\xff\xd8"}


def test_interrupted_folder_deploy_completes_on_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = tmp_path / "www"
    deploy_folder(output, dest, SITE_URL, dry_run=False)
    make_site(output, {f"posts/n{i}/index.html": f"<h1>{i}</h1>" for i in range(6)})
    (output / "images" / "pixel.png").unlink()
    real_copy, copied = deploy_module.copy_file_atomic, []

    def dies_midway(source: Path, target: Path) -> None:
        if len(copied) == 3:
            raise KeyboardInterrupt("the deploy was interrupted")
        copied.append(target)
        real_copy(source, target)

    monkeypatch.setattr(deploy_module, "copy_file_atomic", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        deploy_folder(output, dest, SITE_URL, dry_run=False)
    assert len(copied) == 3 and (dest / "images" / "pixel.png").exists()
    monkeypatch.setattr(deploy_module, "copy_file_atomic", real_copy)
    rerun = deploy_folder(output, dest, SITE_URL, dry_run=False)
    assert len(rerun.added) == 3 and rerun.removed == ("images/pixel.png",)
    assert snapshot(dest) == {**snapshot(output), MARKER: (dest / MARKER).read_bytes()}


# --- rsync target -------------------------------------------------------------------------


def test_parse_itemized_rsync_lines() -> None:
    text = "\n".join(
        [
            "cd+++++++++ posts/",
            ">f+++++++++ posts/new.html",
            ">fcst...... index.html",
            ".f..t...... same.css",
            "*deleting   old.html",
            "*deleting   olddir/",
            f">f+++++++++ {MARKER}",
        ]
    )
    assert parse_itemized(text) == Changes(("posts/new.html",), ("index.html",), ("old.html",))


def rsync_target(dest: Path) -> RsyncTarget:
    return RsyncTarget("server", str(dest))


def test_rsync_deploys_with_delete_into_its_own_folder_only(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = tmp_path / "srv"
    first = deploy_rsync(output, rsync_target(dest), SITE_URL, dry_run=False)
    assert first.added == tuple(sorted(SITE))
    assert snapshot(dest) == {**snapshot(output), MARKER: (dest / MARKER).read_bytes()}
    (output / "index.html").write_text("<p>new</p>", encoding="utf-8")
    (output / "images" / "pixel.png").unlink()
    # Pelican rewrites every file: a new mtime alone is not a change.
    (output / "feeds" / "all.atom.xml").touch()
    second = deploy_rsync(output, rsync_target(dest), SITE_URL, dry_run=False)
    assert second == Changes((), ("index.html",), ("images/pixel.png",))
    assert snapshot(dest) == {**snapshot(output), MARKER: (dest / MARKER).read_bytes()}
    stranger = make_site(tmp_path / "other", {"notes.txt": "mine"})
    with pytest.raises(DeployError, match="does not look like this site"):
        deploy_rsync(output, rsync_target(stranger), SITE_URL, dry_run=False)
    assert snapshot(stranger) == {"notes.txt": b"mine"}


def test_rsync_dry_run_lists_changes_and_changes_nothing(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = tmp_path / "srv"
    deploy_rsync(output, rsync_target(dest), SITE_URL, dry_run=False)
    make_site(output, {"new.html": "<p>new</p>"})
    (output / "index.html").unlink()
    before = snapshot(dest)
    planned = deploy_rsync(output, rsync_target(dest), SITE_URL, dry_run=True)
    assert planned == Changes(("new.html",), (), ("index.html",))
    assert snapshot(dest) == before


def test_rsync_rerun_completes_an_interrupted_transfer(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    dest = tmp_path / "srv"
    # What a killed rsync leaves: the marker, part of the files, a temporary file.
    make_site(
        dest,
        {
            MARKER: "this site",
            "index.html": SITE["index.html"],
            "posts/a/.index.html.Xy12Ab": "half a fi",
        },
    )
    rerun = deploy_rsync(output, rsync_target(dest), SITE_URL, dry_run=False)
    assert "posts/a/index.html" in rerun.added
    assert snapshot(dest) == {**snapshot(output), MARKER: (dest / MARKER).read_bytes()}


def test_a_missing_rsync_names_the_package_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = make_site(tmp_path / "out", SITE)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(DeployError, match=r"rsync is not installed; install the rsync package"):
        deploy_rsync(output, rsync_target(tmp_path / "dest"), SITE_URL, dry_run=False)


def test_rsync_failure_is_a_deploy_error_quoting_rsync(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    target = RsyncTarget("server", str(tmp_path / "srv"), ssh="ssh")
    (tmp_path / "srv").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(DeployError, match="rsync"):
        deploy_rsync(output, target, SITE_URL, dry_run=False)


# --- github pages target ------------------------------------------------------------------


def bare_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "--quiet", "--bare", str(path)], check=True)
    return path


def git_out(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, text=True)
    return done.stdout.strip()


def test_pages_commits_and_pushes_a_gh_pages_branch(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    remote = bare_repo(tmp_path / "remote.git")
    target = PagesTarget("pages", str(remote), cname="links.example.org")
    work = tmp_path / "state" / "pages.git"
    first = deploy_pages(output, target, work, SITE_URL, dry_run=False)
    assert set(first.added) == {*SITE, ".nojekyll", "CNAME"}
    files = git_out(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    assert sorted(files) == sorted({*SITE, ".nojekyll", "CNAME"})
    assert git_out(remote, "show", "gh-pages:CNAME") == "links.example.org"
    assert git_out(remote, "show", "gh-pages:index.html") == SITE["index.html"].strip()
    assert git_out(remote, "log", "--format=%s", "gh-pages") == f"Publish {SITE_URL}"
    (output / "index.html").write_text("<p>new</p>", encoding="utf-8")
    (output / "images" / "pixel.png").unlink()
    second = deploy_pages(output, target, work, SITE_URL, dry_run=False)
    assert second == Changes((), ("index.html",), ("images/pixel.png",))
    assert len(git_out(remote, "rev-list", "gh-pages").splitlines()) == 2  # history kept
    head = git_out(remote, "rev-parse", "gh-pages")
    assert deploy_pages(output, target, work, SITE_URL, dry_run=False) == Changes()
    assert git_out(remote, "rev-parse", "gh-pages") == head  # nothing new, no empty commit


def test_pages_dry_run_and_failed_push_leave_the_remote_as_it_was(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    remote = bare_repo(tmp_path / "remote.git")
    target = PagesTarget("pages", str(remote), nojekyll=False)
    work = tmp_path / "state" / "pages.git"
    planned = deploy_pages(output, target, work, SITE_URL, dry_run=True)
    assert planned.added == tuple(sorted(SITE))
    assert git_out(remote, "branch", "--list") == ""
    # A push that fails midway (the remote refuses) changes nothing; a re-run completes.
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'remote is read-only today' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(DeployError, match="remote is read-only today"):
        deploy_pages(output, target, work, SITE_URL, dry_run=False)
    assert git_out(remote, "branch", "--list") == ""
    hook.unlink()
    assert deploy_pages(output, target, work, SITE_URL, dry_run=False).added == tuple(sorted(SITE))
    assert sorted(
        git_out(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    ) == sorted(SITE)


def test_pages_builds_on_a_branch_someone_else_pushed(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    remote = bare_repo(tmp_path / "remote.git")
    target = PagesTarget("pages", str(remote))
    deploy_pages(output, target, tmp_path / "laptop.git", SITE_URL, dry_run=False)
    (output / "index.html").write_text("<p>from the desktop</p>", encoding="utf-8")
    changes = deploy_pages(output, target, tmp_path / "desktop.git", SITE_URL, dry_run=False)
    assert changes == Changes((), ("index.html",), ())
    assert len(git_out(remote, "rev-list", "gh-pages").splitlines()) == 2


def test_parse_name_status() -> None:
    text = "A\tnew.html\nM\tindex.html\nD\told.html\nT\tlink.html"
    assert parse_name_status(text) == Changes(
        ("new.html",), ("index.html", "link.html"), ("old.html",)
    )


def test_rsync_over_a_remote_shell_to_user_at_host(tmp_path: Path) -> None:
    output = make_site(tmp_path / "out", SITE)
    fake_ssh = str(FIXTURES / "fake-ssh")
    target = RsyncTarget("server", f"deploy@web.invalid:{tmp_path / 'srv'}/", ssh=fake_ssh)
    assert deploy_rsync(output, target, SITE_URL, dry_run=False).added == tuple(sorted(SITE))
    srv = tmp_path / "srv"
    assert snapshot(srv) == {**snapshot(output), MARKER: (srv / MARKER).read_bytes()}
    (output / "index.html").unlink()
    assert deploy_rsync(output, target, SITE_URL, dry_run=False).removed == ("index.html",)
    assert not (srv / "index.html").exists()
