"""Which lines are new since a git revision: for checking only the links just written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from linkdigest.errors import DigestError

FILE_HEADER = re.compile(r"^\+\+\+ (?:b/)?(?P<path>.+?)\s*$")
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


def parse_added_lines(diff: str) -> dict[str, set[int]]:
    """{path: line numbers in the new file} for every added line of a unified diff."""
    added: dict[str, set[int]] = {}
    path = ""
    for line in diff.splitlines():
        header = FILE_HEADER.match(line)
        hunk = HUNK.match(line)
        if header:
            path = "" if header["path"] == "/dev/null" else header["path"]
        elif hunk and path:
            start, count = int(hunk["start"]), int(hunk["count"] or 1)
            added.setdefault(path, set()).update(range(start, start + count))
    return added


def read_added_lines(revision: str, folder: Path) -> dict[str, set[int] | None]:
    """Lines added in ``folder`` since ``revision`` (paths relative to the repository's top);
    files git does not track yet map to None: all of their lines are new."""
    top = Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    diff = _git(
        folder,
        "diff",
        "--unified=0",
        "--no-color",
        "--no-ext-diff",
        revision,
        "--",
        str(folder.resolve()),
    )
    result: dict[str, set[int] | None] = {
        str(top / p): lines for p, lines in parse_added_lines(diff).items()
    }
    for name in _git(
        folder, "ls-files", "--others", "--exclude-standard", "--full-name", str(folder.resolve())
    ).splitlines():
        result[str(top / name)] = None
    return result


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise DigestError(f"git: {error.strerror}") from error
    if done.returncode != 0:
        raise DigestError(f"git {' '.join(args[:2])}: {done.stderr.strip()}")
    return done.stdout
