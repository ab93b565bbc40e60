"""Month-end merges as an editor lives them (issue 16): a draft drafted, then reordered,
retitled and partly deleted by hand, then merged into again by ``linkdigest draft``.

Every test runs the real command line (``linkdigest.cli.app.main``, once through a
subprocess) on real files in ``tmp_path``; nothing touches the network (``--offline``,
titles come from the inbox itself).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from linkdigest.cli.app import main
from linkdigest.format.digest import parse_digest

DRAFT = Path("content/posts/2026-11-links.md")
SETTINGS = """\
[draft]
path = "content/posts/{year}-{month}-links.md"
content = "content"
default_section = "Articles"
sections = ["Articles", "Python", "Databases", "Videos"]

[[draft.sources]]
type = "inbox"
path = "inbox.txt"

[[draft.rules]]
section = "Videos"
videos = true

[[draft.rules]]
section = "Python"
domains = ["python.org"]
"""
INBOX = """\
# November's inbox
[How queues fail under load](https://example.org/queues?utm_source=rss) the numbers
[PEP 8 revisited](https://peps.python.org/pep-0008/)  style, again
[Time zones are hard](https://blog.example.net/tz)
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "blog"
    (root / "content/posts").mkdir(parents=True)
    (root / "linkdigest.toml").write_text(SETTINGS, encoding="utf-8")
    (root / "inbox.txt").write_text(INBOX, encoding="utf-8")
    return root


def draft(site: Path, *extra: str) -> int:
    settings = str(site / "linkdigest.toml")
    return main(["draft", "2026-11", "--settings", settings, "--offline", "--no-cache", *extra])


def add_to_inbox(site: Path, text: str) -> None:
    with (site / "inbox.txt").open("a", encoding="utf-8") as inbox:
        inbox.write(textwrap.dedent(text))


def section_titles(path: Path) -> list[str]:
    return [s.title for s in parse_digest(path.read_text(encoding="utf-8")).sections if s.title]


# Item 2: a new settings section goes where a fresh draft would put it


def test_a_new_video_section_goes_before_the_editors_own_sections(site: Path) -> None:
    assert draft(site) == 0
    path = site / DRAFT
    text = path.read_text(encoding="utf-8")
    # The editor adds a section of their own at the end and writes in it.
    path.write_text(text + "\n## Worth a second look\n\nThings I keep rereading.\n", "utf-8")
    add_to_inbox(site, "https://www.youtube.com/watch?v=abcdefghijk A talk on caching\n")

    assert draft(site) == 0
    assert section_titles(path) == ["Articles", "Python", "Videos", "Worth a second look"]
    merged = path.read_text(encoding="utf-8")
    assert merged.endswith("## Worth a second look\n\nThings I keep rereading.\n")
    assert "\n\n## Videos\n\n### [](https://www.youtube.com/watch?v=abcdefghijk)\n" in merged


def test_a_new_section_follows_the_settings_sections_before_it_wherever_the_editor_moved_them(
    site: Path,
) -> None:
    assert draft(site) == 0
    path = site / DRAFT
    digest = parse_digest(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [s.line - 1 for s in digest.sections if s.title] + [len(lines)]
    head, articles, python = lines[: starts[0]], lines[starts[0] : starts[1]], lines[starts[1] :]
    # Reordered by hand: Python first, then a section of the editor's, then Articles.
    own = ["## From friends\n", "\n", "### [A friend's post](https://friend.example/p)\n", "\n"]
    path.write_text("".join(head + python + ["\n"] + own + articles), encoding="utf-8")
    add_to_inbox(site, "## Databases\n[SQLite at scale](https://sqlite.example/scale)\n")

    assert draft(site) == 0
    # Databases ranks after Articles and Python in the settings: after Articles, the later
    # of them in the file, as a fresh draft puts settings sections before the editor's own.
    assert section_titles(path) == ["Python", "From friends", "Articles", "Databases"]


def test_a_new_section_ranked_first_goes_before_the_editors_sections(site: Path) -> None:
    (site / "inbox.txt").write_text("## Python\nhttps://docs.python.org/3/ The docs\n", "utf-8")
    assert draft(site) == 0
    path = site / DRAFT
    text = path.read_text(encoding="utf-8").replace("## Python", "## Snakes, renamed by me")
    path.write_text(text, encoding="utf-8")
    add_to_inbox(site, "## Articles\nhttps://example.org/plain A plain article\n")

    assert draft(site) == 0
    assert section_titles(path) == ["Articles", "Snakes, renamed by me"]


# Item 2: files keep their mode


def run_with_umask(umask: int, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``linkdigest ARGV`` in a child process with its own umask."""
    code = (
        f"import os, sys; os.umask({umask:#o}); from linkdigest.cli.app import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, check=False
    )


def run_draft_with_umask(site: Path, umask: int) -> subprocess.CompletedProcess[str]:
    settings = str(site / "linkdigest.toml")
    return run_with_umask(
        umask, ["draft", "2026-11", "--settings", settings, "--offline", "--no-cache"], site
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_draft_gets_the_mode_the_umask_gives(site: Path, umask: int, expected: int) -> None:
    run = run_draft_with_umask(site, umask)
    assert run.returncode == 0, run.stderr
    assert mode(site / DRAFT) == expected
    assert not list((site / DRAFT.parent).glob(".*.tmp"))  # no temporary file left behind


def test_a_merge_and_its_backup_keep_the_files_mode(site: Path) -> None:
    assert run_draft_with_umask(site, 0o077).returncode == 0
    path = site / DRAFT
    os.chmod(path, 0o640)
    add_to_inbox(site, "https://example.org/late A late one\n")
    run = run_draft_with_umask(site, 0o077)
    assert run.returncode == 0, run.stderr
    (backup,) = path.parent.glob("*.bak")
    assert mode(path) == mode(backup) == 0o640
    assert "https://example.org/late" in path.read_text(encoding="utf-8")
    assert "https://example.org/late" not in backup.read_text(encoding="utf-8")


def test_fill_keeps_the_mode_and_the_backup_agrees(tmp_path: Path) -> None:
    from tests.servers import Reply, start_servers

    page = b"<!doctype html><title>A filled title</title><meta name=description content=Yes.>"
    for (server,) in start_servers(["127.0.0.9"]):
        server.routes["/page"] = Reply(headers={"Content-Type": "text/html"}, body=page)
        digest = tmp_path / "2026-11-links.md"
        digest.write_text(
            "Title: T\nDate: 2026-11-30\nCategory: summary\nStatus: draft\n\n## Articles\n\n"
            f"### []({server.url('/page')})\n",
            encoding="utf-8",
        )
        os.chmod(digest, 0o644)
        settings = tmp_path / "linkdigest.toml"
        settings.write_text("[http]\nretries = 0\n[hosts.default]\ndelay = 0.0\n", "utf-8")
        argv = ["fetch", "--fill", str(digest), "--settings", str(settings), "--no-cache"]
        run = run_with_umask(0o077, argv, tmp_path)
        assert run.returncode == 0, run.stderr
        assert "### [A filled title]" in digest.read_text(encoding="utf-8")
        (backup,) = tmp_path.glob("*.bak")
        assert mode(digest) == mode(backup) == 0o644
        assert server.unexpected == []
