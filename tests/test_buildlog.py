"""The build's log lines (issue 16, item 6): one line per message when piped, whatever COLUMNS
says, so CI logs and grep see ``path:line: message`` whole; on a terminal, wrapped at spaces,
a ``path:line`` that fits the terminal is never split."""

from __future__ import annotations

import io
import logging
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from linkdigest.site.buildlog import LineHandler, use_line_handler
from tests.conftest import run_pelican, write_settings

pytestmark = pytest.mark.slow  # builds sites with Pelican

DEEP = "/".join(f"a-folder-deep-down-the-content-tree-number-{n}" for n in range(5))
FILLER = "".join(f"Paragraph {n} of the introduction.\n\n" for n in range(51))
DIGEST = (
    "Title: Month summary - December 2026\nDate: 2026-12-31\nCategory: summary\n"
    "Slug: 2026-december-links\n\n# December\n\n## Reading\n\n"
    + FILLER
    + "### []( https://example.org/a)\n\n> A summary.\n"
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x1b]*\x1b\\")


def write_content(folder: Path) -> tuple[Path, Path]:
    """A digest whose line 112 has an empty title, deep enough that the warning is long."""
    content = folder / "content"
    source = content / "posts" / DEEP / "2026-12-links.md"
    source.parent.mkdir(parents=True)
    source.write_text(DIGEST, encoding="utf-8")
    assert DIGEST.splitlines()[111].startswith("### []")
    return content, source


@pytest.mark.parametrize("columns", [None, "40"], ids=["no-COLUMNS", "COLUMNS=40"])
def test_a_piped_build_writes_each_warning_on_one_line(tmp_path: Path, columns: str | None) -> None:
    content, source = write_content(tmp_path)
    build = run_pelican(content, tmp_path, columns=columns)
    assert build.returncode == 0, build.log
    expected = f"digest: {source}:112: link entry has an empty title"
    assert len(expected) > 200
    lines = build.log.splitlines()
    assert [line for line in lines if "empty title" in line] == [f"WARNING  {expected}"]
    done = [line for line in lines if line.startswith("Done: Processed")]
    assert len(done) == 1 and done[0].endswith("seconds.")


def test_on_a_terminal_a_path_that_fits_is_not_split(tmp_path: Path) -> None:
    content, source = write_content(tmp_path)
    settings = write_settings(tmp_path, content, tmp_path / "output", production=False)
    # Wide enough for the path and its line number, narrower than rich's columns needed.
    columns = len(str(source)) + 30
    command = [sys.executable, "-m", "pelican", str(content), "-s", str(settings)]
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    text = run_on_terminal(command, env, tmp_path)
    # A carriage return starts a line over: the "Generating..." spinner redraws itself so.
    lines = [ANSI.sub("", line).rstrip() for line in re.split(r"[\r\n]+", text)]
    assert any(f"{source}:112: link" in line for line in lines), "\n".join(lines)
    assert all(len(line) <= columns for line in lines)


def run_on_terminal(command: list[str], env: dict[str, str], cwd: Path) -> str:
    """What ``command`` writes on a pseudo-terminal (stdout and stderr), until it exits."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=300) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_handler_of_ones_own_is_left_alone() -> None:
    logger = logging.Logger("test")
    own = logging.StreamHandler()
    logger.addHandler(own)
    assert not use_line_handler(logger, logging.StreamHandler(), Console())
    assert logger.handlers == [own]


def test_the_replaced_handler_keeps_level_and_filters() -> None:
    logger = logging.Logger("test")
    replaced = logging.StreamHandler()
    replaced.setLevel(logging.WARNING)
    replaced.addFilter(logging.Filter("pelican"))
    logger.addHandler(replaced)
    assert use_line_handler(logger, replaced, Console(file=io.StringIO()))
    (handler,) = logger.handlers
    assert isinstance(handler, LineHandler)
    assert handler.level == logging.WARNING and handler.filters == replaced.filters
