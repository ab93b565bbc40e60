"""`scripts/publish.py` through main(argv) on small sites built with the real Pelican: to a
folder, through real rsync, to a local bare git repository; gates that stop a deploy and
leave the target byte-identical; dry runs; interrupted deploys re-run to completion."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkdigest.shipping import deploy as deploy_module
from linkdigest.shipping.deploy import MARKER
from linkdigest.site.buildrecord import RECORD_NAME
from scripts.publish import main
from tests.conftest import ROOT, Build, settings_from
from tests.servers import LocalServer, Reply

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
LINKS = ("/queues", "/time-zones", "/small-tools", "/contact")


def content_files(server: LocalServer) -> dict[str, str]:
    """The fixture blog with its links pointing at ``server``."""
    root = FIXTURES / "content"
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8").replace(
            "{server}", server.url("")
        )
        for path in sorted(root.rglob("*.*"))
    }


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def shipped(output: Path) -> dict[str, bytes]:
    """What a deploy ships of ``output``: every file but the build's record of its pages."""
    return {p: data for p, data in snapshot(output).items() if p != RECORD_NAME}


def site_files(output: Path) -> dict[str, bytes]:
    """The site's own files, without pre-compressed copies (nor the build record)."""
    return {p: data for p, data in shipped(output).items() if not p.endswith((".gz", ".br"))}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    server = LocalServer("127.0.0.70")
    server.routes.update({"/": Reply(body=b"home"), "/gone": Reply(404)})
    server.routes.update({path: Reply(body=b"fine") for path in LINKS})
    yield server
    server.close()
    assert not server.unexpected, server.unexpected


class Publisher:
    """A built fixture site, a settings file with one target of each kind, and main()."""

    def __init__(self, tmp_path: Path, tiny_site, server: LocalServer, capsys) -> None:
        self.tmp, self.tiny_site, self.server, self.capsys = tmp_path, tiny_site, server, capsys
        self.dest = tmp_path / "www"
        self.remote = tmp_path / "remote.git"
        self.runs = 0
        self.write_settings()

    def write_settings(self, allow_unverified: bool = False) -> None:
        settings = f"""
            [http]
            retries = 0
            [hosts.default]
            delay = 0.0
            [links]
            cool_down = 0.0
            [publish]
            target = "local"
            allow_unverified = {"true" if allow_unverified else "false"}
            [publish.targets.local]
            kind = "folder"
            path = "www"
            [publish.targets.server]
            kind = "rsync"
            destination = "{self.tmp / "srv"}"
            [publish.targets.pages]
            kind = "github-pages"
            repository = "{self.remote}"
            cname = "links.example.org"
        """
        (self.tmp / "publish.toml").write_text(settings.replace("\n            ", "\n"))

    def build(self, files: dict[str, str] | None = None, **options: object) -> Build:
        build = self.tiny_site(
            content_files(self.server) if files is None else files,
            production=True,
            fatal=True,
            **options,
        )
        assert build.returncode == 0, build.log
        return build

    def publish(self, *argv: str) -> tuple[int, str, str]:
        # A fresh link cache each run: a link asked again shows up at the server.
        self.runs += 1
        code = main(
            [
                "--pelican-settings",
                str(self.tmp / "settings_publishconf.py"),
                "--settings",
                str(self.tmp / "publish.toml"),
                "--state",
                str(self.tmp / "state"),
                "--cache",
                str(self.tmp / f"links-{self.runs}.json"),
                *argv,
            ]
        )
        out, err = self.capsys.readouterr()
        return code, out, err

    def asked(self) -> list[str]:
        return [seen.path for seen in self.server.seen if seen.path != "/"]


@pytest.fixture
def publisher(tmp_path: Path, tiny_site, server: LocalServer, capsys) -> Publisher:
    return Publisher(tmp_path, tiny_site, server, capsys)


@pytest.mark.slow
def test_publish_to_a_folder_with_every_gate(publisher: Publisher) -> None:
    build = publisher.build()
    code, _, err = publisher.publish()
    assert code == 0, err
    for gate in ("output", "drafts", "internal", "feeds", "content", "links"):
        assert f"publish: gate {gate}: ok" in err
    assert "publish: gate content: ok (" in err and "5 links in 3 new or changed posts" in err
    assert sorted(publisher.asked()) == sorted(LINKS)  # one HEAD each; never the draft's
    dest = publisher.dest
    assert snapshot(dest) == {**shipped(build.output), MARKER: (dest / MARKER).read_bytes()}
    assert (dest / "index.html.gz").is_file() and (dest / "feeds" / "all.atom.xml.gz").is_file()
    assert "public URL: https://links.example.org/" in err
    pages = len(list(build.output.rglob("*.html")))
    assert f"{pages} pages, " in err and " feeds, " in err and " bytes (plus " in err
    added = len([p for p in shipped(build.output) if not p.endswith((".gz", ".br"))])
    assert f"since the last deploy: {added} added, 0 changed, 0 removed" in err
    record = json.loads((publisher.tmp / "state" / "local.json").read_text())
    assert sorted(record["checked"]) == [
        "pages/about.md",
        "posts/2026-03-links.md",
        "posts/notes.md",
    ]

    again = publisher.publish()
    assert again[0] == 0 and "0 links in 0 new or changed posts" in again[2]
    assert "since the last deploy: 0 added, 0 changed, 0 removed" in again[2]


@pytest.mark.slow
def test_links_gate_checks_only_posts_changed_since_the_last_deploy(publisher: Publisher) -> None:
    publisher.build()
    assert publisher.publish("--skip-gates", "content")[0] == 0
    before, asked = snapshot(publisher.dest), len(publisher.server.seen)
    notes = FIXTURES / "content" / "posts" / "notes.md"
    edited = notes.read_text(encoding="utf-8") + "\nAnd [a page that went away]({server}/gone).\n"
    publisher.build({"posts/notes.md": edited.replace("{server}", publisher.server.url(""))})
    code, _, err = publisher.publish("--skip-gates", "content")
    assert code == 2
    assert "publish: gate links: FAILED (3 links in 1 new or changed posts)" in err
    assert f"posts/notes.md:11: {publisher.server.url('/gone')}: dead (HTTP 404)" in err, err
    assert "nothing deployed: gate links failed" in err
    new_requests = {seen.path for seen in publisher.server.seen[asked:]}
    assert new_requests <= {"/", "/small-tools", "/gone"}  # the digest was not asked again
    assert snapshot(publisher.dest) == before


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["broken internal link", "draft in the output"])
def test_a_failing_gate_stops_the_deploy_and_leaves_the_target_untouched(
    publisher: Publisher, problem: str
) -> None:
    publisher.build()
    assert publisher.publish("--skip-gates", "content,links")[0] == 0
    record = (publisher.tmp / "state" / "local.json").read_bytes()
    before = snapshot(publisher.dest)
    if problem == "broken internal link":
        post = "Title: Oops\nDate: 2026-03-20\nCategory: notes\n\nSee [this](/no/such/page/).\n"
        publisher.build({"posts/oops.md": post})
        expected = "posts/2026/03/oops/index.html: /no/such/page/: no file for no/such/page/"
    else:
        publisher.build({}, extra='DRAFT_SAVE_AS = "drafts/{slug}/index.html"\n')
        expected = "drafts/secret-plans-for-april/index.html: a draft page was written"
    code, _, err = publisher.publish("--skip-gates", "content,links")
    assert code == 2 and f"publish:   {expected}" in err
    assert snapshot(publisher.dest) == before
    assert (publisher.tmp / "state" / "local.json").read_bytes() == record


@pytest.mark.slow
def test_content_problems_stop_the_deploy_naming_file_and_line(publisher: Publisher) -> None:
    publisher.build()
    # What the build would refuse, published as it is (say, built by a laxer setup): the
    # gate names the file and line of each problem. A draft's problems are not its business.
    digest = FIXTURES / "content" / "posts" / "2026-03-links.md"
    text = digest.read_text(encoding="utf-8").replace("{server}", publisher.server.url(""))
    (publisher.tmp / "content" / "posts" / "2026-03-links.md").write_text(
        text + "\n### [](https://example.org/untitled)\n", encoding="utf-8"
    )
    code, _, err = publisher.publish("--skip-gates", "links")
    assert code == 2 and "publish: gate content: FAILED" in err
    assert "2026-03-links.md:" in err and "link entry has an empty title" in err
    assert "nothing deployed: gate content failed" in err and not publisher.dest.exists()


@pytest.mark.slow
def test_links_that_could_not_be_verified_stop_the_deploy_and_stay_unchecked(
    publisher: Publisher,
) -> None:
    publisher.server.routes["/small-tools"] = Reply(body=b"late", delay=20.0)
    (publisher.tmp / "publish.toml").write_text(
        (publisher.tmp / "publish.toml").read_text().replace("[http]", "[http]\ndeadline = 1.0")
    )
    publisher.build()
    code, _, err = publisher.publish()
    assert code == 2 and "could NOT be verified" in err
    assert "could not be verified (timeout: no answer from 127.0.0.70 within 1 s)" in err
    assert not publisher.dest.exists()
    code, _, err = publisher.publish("--allow-unverified")
    assert code == 0 and "publish:   WARNING: " in err and "published anyway" in err
    record = json.loads((publisher.tmp / "state" / "local.json").read_text())
    assert "posts/notes.md" not in record["checked"]  # asked again on the next publish
    assert "posts/2026-03-links.md" in record["checked"]


@pytest.mark.slow
def test_publish_to_a_bare_git_repository(publisher: Publisher) -> None:
    build = publisher.build()
    subprocess.run(["git", "init", "--quiet", "--bare", str(publisher.remote)], check=True)
    code, _, err = publisher.publish("--target", "pages", "--skip-gates", "content,links")
    assert code == 0, err
    assert "deploying to github-pages" in err
    listed = subprocess.run(
        ["git", "--git-dir", str(publisher.remote), "ls-tree", "-r", "--name-only", "gh-pages"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(listed) == sorted([*shipped(build.output), ".nojekyll", "CNAME"])
    assert not any(name.endswith(".gz") for name in listed)  # GitHub compresses on its own


@pytest.mark.slow
def test_publish_through_rsync_to_a_local_folder(publisher: Publisher) -> None:
    build = publisher.build()
    code, _, err = publisher.publish("--target", "server", "--skip-gates", "content,links")
    assert code == 0, err
    srv = publisher.tmp / "srv"
    assert snapshot(srv) == {**shipped(build.output), MARKER: (srv / MARKER).read_bytes()}
    before = site_files(build.output)
    publisher.build({"posts/new.md": "Title: New\nDate: 2026-03-25\nCategory: notes\n\nHi.\n"})
    after = site_files(build.output)
    code, _, err = publisher.publish("--target", "server", "--skip-gates", "content,links")
    assert code == 0
    # Every file is rewritten by the build; only those whose bytes differ count as changed.
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    changed = {p for p in after.keys() & before.keys() if after[p] != before[p]}
    assert "posts/2026/03/new/index.html" in added and "index.html" in changed
    assert len(changed) < len(after) - len(added)
    counts = f"{len(added)} added, {len(changed)} changed, {len(removed)} removed"
    assert f"since the last deploy: {counts}" in err, err
    assert snapshot(srv) == {**shipped(build.output), MARKER: (srv / MARKER).read_bytes()}


@pytest.mark.slow
@pytest.mark.parametrize("target", ["local", "server", "pages"])
def test_dry_run_lists_changes_and_changes_nothing(publisher: Publisher, target: str) -> None:
    publisher.build()
    subprocess.run(["git", "init", "--quiet", "--bare", str(publisher.remote)], check=True)
    remote_before = snapshot(publisher.remote)
    code, out, err = publisher.publish("--target", target, "--dry-run", "--skip-gates", "content")
    assert code == 0, err
    assert "+ index.html\n" in out and "+ feeds/all.atom.xml\n" in out
    assert "dry run: nothing was changed at the target" in err
    assert not publisher.dest.exists() and not (publisher.tmp / "srv").exists()
    assert snapshot(publisher.remote) == remote_before
    assert not (publisher.tmp / "state" / f"{target}.json").exists()


@pytest.mark.slow
def test_interrupted_deploy_can_be_run_again(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = publisher.build()
    real_copy, copied = deploy_module.copy_file_atomic, []

    def disk_full_midway(source: Path, target: Path) -> None:
        if len(copied) == 5:
            raise OSError(28, "No space left on device", str(target))
        copied.append(target)
        real_copy(source, target)

    monkeypatch.setattr(deploy_module, "copy_file_atomic", disk_full_midway)
    code, _, err = publisher.publish("--skip-gates", "content,links")
    assert code == 1 and "No space left on device" in err
    assert not (publisher.tmp / "state" / "local.json").exists()
    monkeypatch.setattr(deploy_module, "copy_file_atomic", real_copy)
    code, _, err = publisher.publish("--skip-gates", "content,links")
    assert code == 0, err
    dest = publisher.dest
    assert snapshot(dest) == {**shipped(build.output), MARKER: (dest / MARKER).read_bytes()}


@pytest.mark.slow
def test_ctrl_c_during_a_deploy_says_what_was_written_and_a_re_run_finishes(
    publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = publisher.build()
    real_copy, copied = deploy_module.copy_file_atomic, []

    def ctrl_c_midway(source: Path, target: Path) -> None:
        if len(copied) == 5:
            raise KeyboardInterrupt
        copied.append(target)
        real_copy(source, target)

    monkeypatch.setattr(deploy_module, "copy_file_atomic", ctrl_c_midway)
    code, _, err = publisher.publish("--skip-gates", "content,links")
    assert code == 130 and "Traceback" not in err
    assert err.splitlines()[-1].startswith("publish: interrupted; wrote .gz copies in ")
    assert "part of the deploy to local (each file whole; publish again to finish it)" in err
    assert not (publisher.tmp / "state" / "local.json").exists()
    monkeypatch.setattr(deploy_module, "copy_file_atomic", real_copy)
    code, _, err = publisher.publish("--skip-gates", "content,links")
    assert code == 0, err
    dest = publisher.dest
    assert snapshot(dest) == {**shipped(build.output), MARKER: (dest / MARKER).read_bytes()}


@pytest.mark.slow
def test_skipped_gates_are_printed_loudly(publisher: Publisher) -> None:
    publisher.build()
    code, _, err = publisher.publish("--skip-gates", "links,content")
    assert code == 0
    assert "publish: WARNING: gate 'content' SKIPPED (SKIP_GATES)" in err
    assert "publish: WARNING: gate 'links' SKIPPED (SKIP_GATES)" in err
    assert err.rstrip().endswith("publish: WARNING: deployed WITHOUT the gates links, content")
    assert publisher.asked() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "nowhere"], "no target 'nowhere' in [publish.targets]"),
        (["--skip-gates", "link"], "SKIP_GATES: unknown gate 'link'"),
    ],
)
def test_usage_errors_exit_1(publisher: Publisher, argv: list[str], message: str) -> None:
    code, _, err = publisher.publish(*argv)
    assert code == 1 and message in err


def test_no_build_no_deploy(publisher: Publisher) -> None:
    (publisher.tmp / "settings_publishconf.py").write_text(
        settings_from(ROOT / "publishconf.py")
        + f"OUTPUT_PATH = {str(publisher.tmp / 'output')!r}\nPATH = {str(publisher.tmp)!r}\n"
    )
    code, _, err = publisher.publish()
    assert code == 2 and "empty or missing: build the site first" in err
    assert "gate drafts" not in err and not publisher.dest.exists()


def make_lines(*variables: str) -> list[str]:
    """The commands `make publish` would run (``make -n``), one per line."""
    command = ["make", "-n", "publish", *variables]
    # Run from inside `make test`, the outer make's variables would leak in.
    leaking = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TARGET", "DRY_RUN", "SKIP_GATES"}
    env = {name: value for name, value in os.environ.items() if name not in leaking}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    return done.stdout.replace("\\\n", " ").splitlines()


def test_make_publish_passes_target_dry_run_and_skipped_gates() -> None:
    lines = make_lines(
        "TARGET=pages", "DRY_RUN=1", "SKIP_GATES=links,content", "ALLOW_UNVERIFIED=1"
    )
    build = next(i for i, line in enumerate(lines) if "-s publishconf.py --fatal warnings" in line)
    script = next(i for i, line in enumerate(lines) if "linkdigest publish" in line)
    assert build < script
    assert "--target pages" in lines[script] and "--dry-run" in lines[script]
    assert "--skip-gates links,content" in lines[script] and "--allow-unverified" in lines[script]
    plain = next(line for line in make_lines("DRY_RUN=0") if "linkdigest publish" in line)
    assert "--dry-run" not in plain and "--target" not in plain and "--skip-gates" not in plain
    assert "--allow-unverified" not in plain
