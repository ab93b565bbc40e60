"""Pages written by forked workers, each its share: the same files, counts, page memo and
failures as a build writing them one after another in its own process."""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import linkdigest.site.writeahead as writeahead
from linkdigest.files import write_chunks_atomic, write_text_atomic
from linkdigest.site.writeahead import Share, collect_share, fork_share, stop_share
from tests.conftest import ROOT, run_pelican
from tests.test_readahead import log_lines, read_tree, site_content

logger = logging.getLogger("tests.writeahead")
RENDERED = re.compile(r"linkdigest: (\d+) pages and feeds rendered, (\d+) unchanged")


def test_every_name_is_in_exactly_one_share() -> None:
    names = [f"posts/2026/{n:02d}/post-{n}/index.html" for n in range(300)] + ["feeds/é.xml"]
    for count in (2, 3, 4):
        holders = [[s for s in range(count) if Share(s, count).holds(n)] for n in names]
        assert all(len(h) == 1 for h in holders)
        sizes = [sum(h == [s] for h in holders) for s in range(count)]
        assert min(sizes) > len(names) / count / 2  # spread, not all in one


def test_a_worker_sends_back_its_result_and_log_records() -> None:
    def run(beat: object) -> dict[str, object]:
        logger.warning("wrote %d pages", 3)
        return {"pid": os.getpid(), "pages": ["a", "b"]}

    outcome = collect_share(fork_share(run, 1))
    assert outcome is not None
    result, records = outcome
    assert result["pid"] != os.getpid() and result["pages"] == ["a", "b"]
    assert [r.getMessage() for r in records if r.name == "tests.writeahead"] == ["wrote 3 pages"]


def test_a_worker_that_fails_or_dies_sends_nothing() -> None:
    def fails(beat: object) -> None:
        raise RuntimeError("a template error")

    def dies(beat: object) -> None:
        os._exit(3)

    assert collect_share(fork_share(fails, 1)) is None
    assert collect_share(fork_share(dies, 1)) is None


def test_a_stuck_worker_is_killed_and_one_that_beats_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(writeahead, "WAIT", 0.5)
    monkeypatch.setattr(writeahead, "BEAT", 0.05)

    def stuck(beat: object) -> None:
        time.sleep(30)

    def slow(beat: object) -> str:
        ends = time.monotonic() + 1.5  # three times WAIT, beating all along
        while time.monotonic() < ends:
            beat()  # type: ignore[operator]
            time.sleep(0.01)
        return "done"

    started = time.monotonic()
    worker = fork_share(stuck, 1)
    assert collect_share(worker) is None
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(worker.pid, os.WNOHANG)  # reaped, not left a zombie
    outcome = collect_share(fork_share(slow, 1))
    assert outcome is not None and outcome[0] == "done"


# -- the plugin: a real build -------------------------------------------------------------


def counts(log: str) -> tuple[int, int]:
    found = RENDERED.findall(log)
    assert len(found) == 1, log
    return int(found[0][0]), int(found[0][1])


def test_a_build_writing_in_two_processes_matches_one_writing_in_one(tmp_path: Path) -> None:
    content = site_content(tmp_path)
    shared, alone = tmp_path / "shared", tmp_path / "alone"
    shared.mkdir()
    alone.mkdir()
    two = run_pelican(content, shared, extra="DIGEST_WRITE_WORKERS = 2\n", args=("-v",))
    one = run_pelican(content, alone, extra="DIGEST_WRITE_WORKERS = 1\n", args=("-v",))
    assert two.returncode == one.returncode == 0, two.log
    assert "linkdigest: writing pages in 2 processes" in two.log
    assert "linkdigest: writing pages in" not in one.log
    assert read_tree(two.output) == read_tree(one.output)
    assert counts(two.log) == counts(one.log)
    expected = [line.replace(str(alone), str(shared)) for line in log_lines(one.log)]
    assert sorted(line for line in log_lines(two.log) if "writing pages" not in line) == sorted(
        expected
    )
    # The workers' pages are in the memo: a second build renders nothing, in one process.
    again = run_pelican(content, shared, extra="DIGEST_WRITE_WORKERS = 2\n", args=("-v",))
    assert again.returncode == 0, again.log
    assert counts(again.log)[0] == 0
    assert "writing pages in" not in again.log  # a warm build: the memo keeps the pages
    assert read_tree(again.output) == read_tree(one.output)


def failing_theme(tmp_path: Path, slug: str) -> Path:
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    template = theme / "templates" / "article.html"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        f"{{% if article.slug == {slug!r} %}}{{{{ article.slug / 0 }}}}{{% endif %}}" + text,
        encoding="utf-8",
    )
    return theme


@pytest.mark.parametrize(("share", "count"), [(0, 2), (1, 2), (1, 3)])
def test_a_template_error_in_either_share_fails_the_build_as_in_one_process(
    tmp_path: Path, share: int, count: int
) -> None:
    content = site_content(tmp_path)
    (tmp_path / "probe").mkdir()
    built = run_pelican(content, tmp_path / "probe", extra="DIGEST_WRITE_WORKERS = 1\n")
    assert built.returncode == 0, built.log
    pages = {
        str(path.relative_to(built.output)): path.parent.name
        for path in built.output.glob("posts/*/*/*/index.html")
    }
    assert pages
    slug = next(s for page, s in sorted(pages.items()) if Share(share, count).holds(page))
    extra = f"THEME = {str(failing_theme(tmp_path, slug))!r}\n"
    results = []
    for workers in (count, 1):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        extra_workers = extra + f"DIGEST_WRITE_WORKERS = {workers}\n"
        results.append(run_pelican(content, folder, extra=extra_workers, args=("-v",)))
    shared, one = results
    assert shared.returncode == one.returncode != 0
    assert f"linkdigest: writing pages in {count} processes" in shared.log
    assert "unsupported operand type" in shared.log and "unsupported operand type" in one.log
    assert not list(shared.output.rglob("*.tmp"))  # no worker's half-written page left behind


SPY_PLUGIN = """\
from pelican import signals

def note(path, **kwargs):
    with open(__file__ + ".written", "a", encoding="utf-8") as out:
        out.write(f"{path}\\n")

def register():
    signals.content_written.connect(note)
"""


def test_another_plugin_listening_to_pages_sees_them_all_in_the_build_process(
    tmp_path: Path,
) -> None:
    content = site_content(tmp_path)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "spy.py").write_text(SPY_PLUGIN, encoding="utf-8")
    extra = f"PLUGIN_PATHS = [{str(plugins)!r}]\nPLUGINS = ['linkdigest', 'spy']\n"
    build = run_pelican(content, tmp_path, extra=extra + "DIGEST_WRITE_WORKERS = 2\n", args=("-v",))
    assert build.returncode == 0, build.log
    assert "linkdigest: writing pages in" not in build.log
    written = (plugins / "spy.py.written").read_text(encoding="utf-8").split()
    assert len(written) == len(set(written)) > 20
    assert str(build.output / "index.html") in written


def test_a_worker_asked_to_stop_leaves_no_half_written_file(tmp_path: Path) -> None:
    target = tmp_path / "page.html"

    def slow_chunks() -> Iterator[str]:
        yield "<p>begun"
        time.sleep(30)  # stopped here, its temporary file open beside the page
        yield "</p>"

    def run(beat: object) -> None:
        write_chunks_atomic(target, slow_chunks())

    worker = fork_share(run, 1)
    deadline = time.monotonic() + 10
    while not list(tmp_path.glob(".page.html.*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob(".page.html.*")), "the worker started writing"
    started = time.monotonic()
    stop_share(worker, grace=5.0)
    assert time.monotonic() - started < 5  # it left when asked, it was not killed at the end
    assert list(tmp_path.iterdir()) == []  # neither the page nor its temporary file
    with pytest.raises(ChildProcessError):
        os.waitpid(worker.pid, os.WNOHANG)


def test_a_worker_stopped_while_making_files_leaves_no_temporary_file(tmp_path: Path) -> None:
    """The stop may come at any moment of a write, the creation of the temporary file
    included (it did, in half of the tries, while tempfile.mkstemp named it)."""
    for trial in range(40):
        folder = tmp_path / str(trial)
        folder.mkdir()

        def run(beat: object, folder: Path = folder) -> None:
            for number in itertools.count():
                write_text_atomic(folder / f"p{number % 20}.html", "x" * 20_000)

        worker = fork_share(run, 1)
        time.sleep(0.01 + trial % 5 * 0.01)
        stop_share(worker, grace=5.0)
        assert not list(folder.glob(".*.tmp")), trial
