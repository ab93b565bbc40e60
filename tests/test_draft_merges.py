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

ROOT = Path(__file__).resolve().parent.parent
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


def test_two_new_sections_at_once_keep_settings_order_in_a_crlf_draft(site: Path) -> None:
    (site / "inbox.txt").write_text("[A plain article](https://example.org/plain)\n", "utf-8")
    assert draft(site) == 0
    path = site / DRAFT
    # Saved on Windows, with a section of the editor's own at the end.
    text = path.read_text(encoding="utf-8") + "\n## Elsewhere\n\nMy own words.\n"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    add_to_inbox(
        site,
        "[A talk](https://vimeo.com/36579366)\n## Databases\n[On WAL](https://sqlite.example/wal)\n",
    )

    assert draft(site) == 0
    merged = path.read_bytes().decode("utf-8")
    assert "\n" not in merged.replace("\r\n", "")  # every line still ends CRLF
    assert section_titles(path) == ["Articles", "Databases", "Videos", "Elsewhere"]
    assert merged.endswith("## Elsewhere\r\n\r\nMy own words.\r\n")
    assert not parse_digest(merged).problems


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


# Item 1: rejections are remembered

RECORD = Path("content/posts/2026-11-links.drafted.txt")


def delete_entry(path: Path, url: str) -> None:
    """Delete the entry of ``url`` from the draft as an editor would: its heading and
    everything up to the next heading."""
    digest = parse_digest(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (entry,) = [e for e in digest.entries if e.url == url]
    start = entry.line - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


def urls(path: Path) -> list[str]:
    return [e.url for e in parse_digest(path.read_text(encoding="utf-8")).entries]


def test_a_deleted_entry_stays_out_and_is_listed_with_where_it_is_recorded(
    site: Path, capsys
) -> None:
    assert draft(site) == 0
    path, record = site / DRAFT, site / RECORD
    assert record.read_text(encoding="utf-8").splitlines()[-3:] == [
        "drafted https://example.org/queues  How queues fail under load",
        "drafted https://peps.python.org/pep-0008/  PEP 8 revisited",
        "drafted https://blog.example.net/tz  Time zones are hard",
    ]
    # The editor retitles one entry, deletes two (the only Python entry with its section
    # heading left empty), and writes an entry of their own.
    text = path.read_text(encoding="utf-8").replace("[Time zones are hard]", "[Time zones!]")
    path.write_text(text + "\n### [My own find](https://mine.example/find)\n", "utf-8")
    delete_entry(path, "https://example.org/queues")
    delete_entry(path, "https://peps.python.org/pep-0008/")
    edited = path.read_text(encoding="utf-8")
    add_to_inbox(site, "https://example.org/late  A late one\n")
    capsys.readouterr()

    assert draft(site) == 0
    assert urls(path) == [
        "https://blog.example.net/tz",
        "https://example.org/late",
        "https://mine.example/find",
    ]
    assert path.read_text(encoding="utf-8").startswith(edited.split("### [My own")[0][:200])
    lines = record.read_text(encoding="utf-8").splitlines()
    queues = lines.index("removed https://example.org/queues  How queues fail under load") + 1
    pep = lines.index("removed https://peps.python.org/pep-0008/  PEP 8 revisited") + 1
    assert "drafted https://example.org/late  A late one" in lines
    assert not any("mine.example" in line for line in lines)  # never drafted: not recorded
    err = capsys.readouterr().err
    assert (
        f"inbox.txt:2: https://example.org/queues left out, removed by you from {path} "
        f"(recorded at {site / RECORD}:{queues}); to bring it back, delete that line" in err
    )
    assert "inbox.txt:3: https://peps.python.org/pep-0008/ left out, removed by you" in err
    assert f"(recorded at {site / RECORD}:{pep})" in err
    assert f"{site / RECORD}: 2 links you deleted from {path} marked removed" in err
    assert "merged into" in err and "2 removed by you" in err

    # The next run: still out, still listed; nothing new, so nothing is written.
    before = (path.read_bytes(), record.read_bytes())
    assert draft(site) == 0
    assert (path.read_bytes(), record.read_bytes()) == before
    err = capsys.readouterr().err
    assert err.count("left out, removed by you") == 2
    assert "nothing new (2 already in the draft, 2 removed by you)" in err
    assert "marked removed" not in err


def test_deleting_the_removed_line_brings_the_link_back(site: Path, capsys) -> None:
    assert draft(site) == 0
    path, record = site / DRAFT, site / RECORD
    delete_entry(path, "https://blog.example.net/tz")
    assert draft(site) == 0
    assert "https://blog.example.net/tz" not in urls(path)
    text = record.read_text(encoding="utf-8")
    assert "removed https://blog.example.net/tz" in text
    record.write_text(
        "".join(x for x in text.splitlines(True) if "blog.example.net/tz" not in x), "utf-8"
    )
    capsys.readouterr()

    assert draft(site) == 0
    assert "https://blog.example.net/tz" in urls(path)
    assert "drafted https://blog.example.net/tz  Time zones are hard" in record.read_text("utf-8")
    assert "removed by you" not in capsys.readouterr().err


def test_pasting_an_entry_back_makes_it_drafted_again(site: Path) -> None:
    assert draft(site) == 0
    path, record = site / DRAFT, site / RECORD
    original = path.read_text(encoding="utf-8")
    delete_entry(path, "https://blog.example.net/tz")
    assert draft(site) == 0
    assert "removed https://blog.example.net/tz" in record.read_text("utf-8")
    path.write_text(original, encoding="utf-8")  # the editor changed their mind: pasted back

    assert draft(site) == 0
    assert path.read_text(encoding="utf-8") == original
    assert "drafted https://blog.example.net/tz  Time zones are hard" in record.read_text("utf-8")
    delete_entry(path, "https://blog.example.net/tz")  # and changed it again
    assert draft(site) == 0
    assert "https://blog.example.net/tz" not in urls(path)


def test_a_link_never_drafted_is_no_rejection(site: Path) -> None:
    # Drafted before the link reached the inbox, or written by the editor's own hand: the
    # drafter never put it in the draft, so its absence is no removal.
    assert draft(site) == 0
    path = site / DRAFT
    path.write_text(
        path.read_text("utf-8") + "\n### [Mine](https://example.org/handmade)\n", "utf-8"
    )
    delete_entry(path, "https://example.org/handmade")
    add_to_inbox(site, "https://example.org/handmade  also in the inbox\n")
    add_to_inbox(site, "https://example.org/arrived-later  arrived after the first run\n")

    assert draft(site) == 0
    assert {"https://example.org/handmade", "https://example.org/arrived-later"} <= set(urls(path))


def test_a_removed_line_written_by_hand_keeps_a_link_out(site: Path, capsys) -> None:
    (site / RECORD).write_text(
        "# Links I never want\r\nREMOVED https://blog.example.net/tz?utm_source=x  dull\r\n",
        encoding="utf-8",
    )
    assert draft(site) == 0
    assert "https://blog.example.net/tz" not in urls(site / DRAFT)
    assert f"(recorded at {site / RECORD}:2)" in capsys.readouterr().err
    text = (site / RECORD).read_bytes().decode("utf-8")
    assert text.startswith("# Links I never want\r\nREMOVED https://blog.example.net/tz?utm")
    assert "\r\ndrafted https://example.org/queues  How queues fail under load\r\n" in text


def test_a_deleted_draft_starts_again_without_the_removed_links(site: Path) -> None:
    assert draft(site) == 0
    path = site / DRAFT
    delete_entry(path, "https://blog.example.net/tz")
    assert draft(site) == 0
    path.unlink()  # the editor starts the month again

    assert draft(site) == 0
    assert urls(path) == ["https://example.org/queues", "https://peps.python.org/pep-0008/"]
    lines = (site / RECORD).read_text(encoding="utf-8").splitlines()
    assert [x.split()[0] for x in lines if not x.startswith("#")] == [
        "removed",
        "drafted",
        "drafted",
    ]


def test_an_interrupted_run_can_simply_be_run_again(site: Path) -> None:
    """The two states an interrupted merge leaves: the record says ``adding`` for links the
    draft does not hold yet (stopped before the draft was written), or for links it holds
    (stopped after). Neither is taken for a removal."""
    assert draft(site) == 0
    path, record = site / DRAFT, site / RECORD
    add_to_inbox(site, "https://example.org/late  A late one\n")
    # Stopped before the draft was written.
    record.write_text(record.read_text("utf-8") + "adding https://example.org/late\n", "utf-8")
    assert draft(site) == 0
    assert "https://example.org/late" in urls(path)
    text = record.read_text("utf-8")
    assert "adding" not in text and text.count("https://example.org/late") == 1
    # Stopped after the draft was written: the draft holds it, the record says adding.
    record.write_text(
        text.replace("drafted https://example.org/late", "adding https://example.org/late"), "utf-8"
    )
    before = path.read_bytes()
    assert draft(site) == 0
    assert path.read_bytes() == before
    assert "drafted https://example.org/late  A late one" in record.read_text("utf-8")
    assert not list(path.parent.glob(".*.tmp"))


def test_a_broken_record_line_is_named_and_nothing_is_written(site: Path, capsys) -> None:
    assert draft(site) == 0
    path, record = site / DRAFT, site / RECORD
    record.write_text(record.read_text("utf-8") + "rejected https://example.org/x\n", "utf-8")
    add_to_inbox(site, "https://example.org/late  A late one\n")
    before = (path.read_bytes(), record.read_bytes())
    capsys.readouterr()

    assert draft(site) == 1
    assert (path.read_bytes(), record.read_bytes()) == before
    line = len(record.read_text("utf-8").splitlines())
    assert (
        f"{record}:{line}: 'rejected' is not a mark: start the line with 'drafted' or "
        "'removed'" in capsys.readouterr().err
    )


def test_a_dry_run_writes_no_record(site: Path, capsys) -> None:
    assert draft(site, "--dry-run") == 0
    assert not (site / RECORD).exists() and not (site / DRAFT).exists()
    assert draft(site) == 0
    delete_entry(site / DRAFT, "https://blog.example.net/tz")
    before = (site / RECORD).read_bytes()
    capsys.readouterr()
    assert draft(site, "--dry-run") == 0
    assert (site / RECORD).read_bytes() == before
    err = capsys.readouterr().err  # said as a run would say it, and nothing written
    assert "https://blog.example.net/tz left out, removed by you" in err
    assert f"(would be recorded at {site / RECORD}:" in err
    assert f"{site / RECORD}: 1 link you deleted from {site / DRAFT} would be marked" in err


def test_the_record_follows_the_umask_and_keeps_its_mode(site: Path) -> None:
    assert run_draft_with_umask(site, 0o027).returncode == 0
    assert mode(site / RECORD) == 0o640
    os.chmod(site / RECORD, 0o644)
    add_to_inbox(site, "https://example.org/late  A late one\n")
    assert run_draft_with_umask(site, 0o077).returncode == 0
    assert mode(site / RECORD) == 0o644


# Item 8 of "Found": messages name the thing, the place and what to do


def test_odd_bookmark_folders_and_bookmarklets_are_named_and_drafted_sensibly(
    site: Path, capsys
) -> None:
    fixture = ROOT / "tests/fixtures/draft/sources/bookmarks-unclosed.html"
    (site / "bookmarks.html").write_bytes(fixture.read_bytes())
    settings = site / "linkdigest.toml"
    settings.write_text(
        settings.read_text("utf-8") + '\n[[draft.sources]]\ntype = "bookmarks"\n'
        'path = "bookmarks.html"\nfolders = ["Digest"]\n',
        encoding="utf-8",
    )
    (site / "inbox.txt").write_text("", encoding="utf-8")
    capsys.readouterr()

    assert draft(site) == 0
    digest = parse_digest((site / DRAFT).read_text(encoding="utf-8"))
    assert [(s.title, [e.url for e in s.entries]) for s in digest.sections if s.title] == [
        ("Articles", ["https://example.org/after"]),
        ("Unclosed folder", ["https://unclosed.example.org/a", "https://deep.example.org/b"]),
    ]
    err = capsys.readouterr().err
    assert (
        "bookmarks.html:8: folder 'Unclosed folder' has no </H3>; its name is read up to the "
        "next tag and its bookmarks are kept in it: add </H3> after the name, or export the "
        "bookmarks again\n" in err
    )
    assert (
        "bookmarks.html:16: bookmark 'A bookmarklet': 'javascript:alert(document.title)' is "
        "not a web link (http or https); skipped\n" in err
    )
    assert (
        "bookmarks.html:17: bookmark 'Bad date': ADD_DATE 'notanumber' is not epoch seconds, "
        "so its month is unknown; put https://example.org/c in the inbox instead\n" in err
    )
    assert "()" not in err and " has ADD_DATE" not in err


def test_a_page_without_a_title_is_named_with_why(site: Path, capsys) -> None:
    from tests.servers import Reply, start_servers

    for (server,) in start_servers(["127.0.0.12"]):
        server.routes["/untitled"] = Reply(
            headers={"Content-Type": "text/html"}, body=b"<!doctype html><p>No title here.</p>"
        )
        (site / "inbox.txt").write_text(server.url("/untitled") + "\n", encoding="utf-8")
        settings = site / "linkdigest.toml"
        settings.write_text(
            "[http]\nretries = 0\n[hosts.default]\ndelay = 0.0\n" + settings.read_text("utf-8"),
            encoding="utf-8",
        )
        argv = ["draft", "2026-11", "--settings", str(settings), "--no-cache"]
        assert main(argv) == 0
        err = capsys.readouterr().err
        assert server.unexpected == []
    assert "()" not in err
    assert f"inbox.txt:1: {server.url('/untitled')}: no title (the page gives none); " in err
    assert "drafted with an empty title: write one, or run linkdigest fetch --fill" in err
