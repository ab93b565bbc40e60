"""The build's record of its pages (issue 16, item 8): real builds write it, a page left by an
earlier build is not in it, the publish gates read it, and no deploy ships it."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkdigest.errors import ContentError
from linkdigest.shipping.deploy import MARKER, PagesTarget, deploy_folder, deploy_pages
from linkdigest.shipping.deploy import deploy_rsync as rsync
from linkdigest.shipping.publish import SiteFacts, check_internal, iter_site_files
from linkdigest.site.buildrecord import (
    RECORD_NAME,
    BuildRecord,
    parse_build_record,
    read_build_record,
    render_build_record,
)
from tests.conftest import run_pelican
from tests.test_publish import SITE, SITE_URL, bare_repo, git_out, make_site, rsync_target

pytestmark = pytest.mark.slow  # builds sites with Pelican

POST = "Title: {title}\nDate: 2026-03-0{day}\n\nSee [the {title} notes](/{title}/missing/).\n"
DOOMED = "posts/2026/03/doomed/index.html"
KEPT = "posts/2026/03/kept/index.html"


def write_post(content: Path, title: str, day: int) -> Path:
    path = content / "posts" / f"{title}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POST.format(title=title, day=day), encoding="utf-8")
    return path


def test_the_record_follows_the_current_content(tmp_path: Path) -> None:
    content = tmp_path / "content"
    kept, doomed = write_post(content, "kept", 1), write_post(content, "doomed", 2)
    build = run_pelican(content, tmp_path)
    record = read_build_record(build.output)
    assert record is not None and record.content == str(content)
    assert record.pages["posts/2026/03/kept/index.html"] == str(kept)
    assert record.pages[DOOMED] == str(doomed)
    assert record.pages["index.html"] is None and "feeds/all.atom.xml" in record.pages
    html = {p.relative_to(build.output).as_posix() for p in build.output.rglob("*.html")}
    assert record.html_pages() == html
    assert record.pages_from([doomed]) == {DOOMED}
    written = (build.output / RECORD_NAME).stat().st_mtime_ns
    assert run_pelican(content, tmp_path).returncode == 0
    assert (build.output / RECORD_NAME).stat().st_mtime_ns == written  # nothing changed
    doomed.unlink()
    assert run_pelican(content, tmp_path).returncode == 0
    assert (build.output / DOOMED).is_file()  # left behind by the earlier build
    record = read_build_record(build.output)
    assert record is not None and DOOMED not in record.pages


def test_the_internal_gate_reads_only_the_pages_of_the_current_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "kept", 1)
    doomed = write_post(content, "doomed", 2)
    run_pelican(content, tmp_path)
    doomed.unlink()
    build = run_pelican(content, tmp_path)
    site = SiteFacts("http://127.0.0.1:8000", build.output, content)
    problems = check_internal(site).problems
    assert any("/kept/missing/" in p for p in problems)
    assert not any("doomed" in p for p in problems), problems
    assert RECORD_NAME not in {p.name for p in iter_site_files(build.output)}


def kept_problems(site: SiteFacts) -> list[str]:
    """The internal gate's problems with the links kept.md writes (the theme's are relative)."""
    return [p for p in check_internal(site).problems if p.startswith(f"{KEPT}: /")]


def test_a_link_to_a_page_left_over_is_broken_a_static_page_is_not(tmp_path: Path) -> None:
    content = tmp_path / "content"
    doomed = write_post(content, "doomed", 2)
    (content / "extra").mkdir()
    (content / "extra" / "card.html").write_text("<p>A static page</p>", encoding="utf-8")
    (content / "posts" / "kept.md").write_text(
        "Title: kept\nDate: 2026-03-01\n\nSee [the old post](/posts/2026/03/doomed/) and "
        "[the card](/extra/card.html).\n",
        encoding="utf-8",
    )
    assert run_pelican(content, tmp_path).returncode == 0
    site = SiteFacts("http://127.0.0.1:8000", tmp_path / "output", content)
    assert kept_problems(site) == []
    doomed.unlink()
    assert run_pelican(content, tmp_path).returncode == 0
    assert kept_problems(site) == [
        f"{KEPT}: /posts/2026/03/doomed/: no page for "
        "posts/2026/03/doomed/ in this build (only output/posts/2026/03/doomed/index.html, "
        "left over from an earlier one)"
    ]
    record = read_build_record(site.output)
    assert record is not None and record.pages["extra/card.html"] == str(
        content / "extra/card.html"
    )


def test_a_record_that_cannot_be_read_says_what_to_do(tmp_path: Path) -> None:
    record = BuildRecord("/blog/content", {"index.html": None, "a/index.html": "/blog/a.md"})
    assert parse_build_record(render_build_record(record), "x") == record
    with pytest.raises(ContentError, match=r"^x: not a build record .*build the site again"):
        parse_build_record('{"version": 1, "pages": []}', "x")
    assert read_build_record(tmp_path) is None


def site_with_record(folder: Path) -> Path:
    output = make_site(folder, SITE)
    (output / RECORD_NAME).write_text(render_build_record(BuildRecord("/c", {})), "utf-8")
    return output


def test_no_deploy_ships_the_record(tmp_path: Path) -> None:
    output = site_with_record(tmp_path / "out")
    folder = tmp_path / "www"
    assert RECORD_NAME not in deploy_folder(output, folder, SITE_URL, dry_run=False).added
    assert not (folder / RECORD_NAME).exists() and (folder / MARKER).is_file()
    server = tmp_path / "srv"
    assert RECORD_NAME not in rsync(output, rsync_target(server), SITE_URL, dry_run=False).added
    assert not (server / RECORD_NAME).exists() and (server / "index.html").is_file()
    remote = bare_repo(tmp_path / "remote.git")
    target = PagesTarget("pages", str(remote))
    changes = deploy_pages(output, target, tmp_path / "state.git", SITE_URL, dry_run=False)
    assert RECORD_NAME not in changes.added
    files = git_out(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    assert RECORD_NAME not in files and "index.html" in files
