"""Deploy targets for a built site: a local folder, rsync over SSH, a GitHub Pages branch.

Every target is re-runnable: an interrupted deploy leaves the destination in a state the
next run completes, and a deploy that would delete files only does so into a destination
that carries this site's marker (written at the first deploy) or is empty.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from linkdigest.errors import ConfigError, DeployError
from linkdigest.settings import parse_table
from linkdigest.site.buildrecord import RECORD_NAME

MARKER = ".linkdigest-site"
TEMP_SUFFIX = ".linkdigest-tmp"
TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # it names the target's record file
GIT_SETTINGS = (
    "-c",
    "core.autocrlf=false",
    "-c",
    "core.safecrlf=false",
    "-c",
    "core.quotepath=off",
)


class Kind(StrEnum):
    FOLDER = "folder"
    RSYNC = "rsync"
    GITHUB_PAGES = "github-pages"


@dataclass(frozen=True)
class FolderTarget:
    """A folder on this machine, served by a local web server."""

    name: str = ""
    path: str = ""
    precompress: bool = True


@dataclass(frozen=True)
class RsyncTarget:
    """``rsync -az --delete`` to ``destination`` (``user@host:/path/`` or a local path)."""

    name: str = ""
    destination: str = ""
    ssh: str = "ssh"  # the remote shell, e.g. "ssh -p 2222 -i ~/.ssh/deploy"
    # Every build rewrites every file, so rsync's size-and-mtime test would call them all
    # changed: compare contents instead (the summary then counts what really changed).
    checksum: bool = True
    precompress: bool = True


@dataclass(frozen=True)
class PagesTarget:
    """A ``gh-pages`` branch committed and pushed to ``repository`` (a URL or a path)."""

    name: str = ""
    repository: str = ""
    branch: str = "gh-pages"
    cname: str = ""  # a custom domain: written as CNAME
    nojekyll: bool = True  # GitHub Pages would otherwise hide files starting with "_"
    precompress: bool = False  # GitHub compresses on its own and ignores .gz copies
    message: str = "Publish {site_url}"


Target = FolderTarget | RsyncTarget | PagesTarget
KINDS: dict[str, tuple[type, str]] = {
    Kind.FOLDER: (FolderTarget, "path"),
    Kind.RSYNC: (RsyncTarget, "destination"),
    Kind.GITHUB_PAGES: (PagesTarget, "repository"),
}


@dataclass(frozen=True)
class PublishSettings:
    """The ``[publish]`` table: the default target, whether links that could not be
    verified may be published (``allow_unverified``), and every named target."""

    target: str = ""
    allow_unverified: bool = False
    targets: Mapping[str, Target] | None = None


@dataclass(frozen=True)
class Changes:
    """What a deploy changes at the destination, as site paths."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def parse_publish_settings(data: Mapping[str, Any], source: str = "<settings>") -> PublishSettings:
    """The ``[publish]`` table of the parsed settings file, every target checked."""
    table = dict(data.get("publish", {}))
    raw_targets = table.pop("targets", {})
    if not isinstance(raw_targets, Mapping):
        raise ConfigError(source, None, "[publish.targets] must hold one table per target")
    values = parse_table(table, PublishSettings, source, "publish", ignore=("targets",))
    base = Path(source).resolve().parent
    targets = {name: parse_target(name, raw, source, base) for name, raw in raw_targets.items()}
    default = values.get("target", "")
    if default and default not in targets:
        raise ConfigError(source, None, f"[publish] target {default!r} has no table")
    return PublishSettings(default, bool(values.get("allow_unverified", False)), targets)


def parse_target(name: str, raw: Any, source: str, base: Path) -> Target:
    """One ``[publish.targets.NAME]`` table; a relative folder is relative to ``base``."""
    table = f"publish.targets.{name}"
    if not TARGET_NAME.fullmatch(name):
        raise ConfigError(source, None, f"[{table}]: a name is letters, digits, - and _")
    if not isinstance(raw, Mapping):
        raise ConfigError(source, None, f"[{table}] must be a table")
    kind = raw.get("kind")
    if kind not in KINDS:
        known = ", ".join(KINDS)
        raise ConfigError(source, None, f"[{table}] kind must be one of {known}, not {kind!r}")
    cls, required = KINDS[kind]
    values = parse_table(
        {k: v for k, v in raw.items() if k != "kind"}, cls, source, table, ("name",)
    )
    if not str(values.get(required, "")).strip():
        raise ConfigError(source, None, f'[{table}] needs {required} = "..."')
    target: Target = cls(name=name, **values)
    if isinstance(target, FolderTarget):
        target = replace(target, path=str(base / Path(target.path).expanduser()))
    return target


def pick_target(settings: PublishSettings, name: str | None, source: str) -> Target:
    """The target named on the command line, else the default one."""
    targets = settings.targets or {}
    chosen = name or settings.target
    if not chosen:
        raise ConfigError(source, None, '[publish] sets no target: add target = "NAME"')
    if chosen not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise ConfigError(
            source, None, f"no target {chosen!r} in [publish.targets]; known: {known}"
        )
    return targets[chosen]


def render_target(target: Target) -> str:
    """``kind destination`` for messages."""
    if isinstance(target, FolderTarget):
        return f"folder {target.path}"
    if isinstance(target, RsyncTarget):
        return f"rsync {target.destination}"
    return f"github-pages {target.repository} ({target.branch})"


def render_marker(site_url: str) -> str:
    return (
        f"This folder holds the site {site_url}, deployed by linkdigest (make publish).\n"
        "Each deploy deletes what the site no longer has; without this file, deploys refuse\n"
        "to touch this folder.\n"
    )


def deploy(target: Target, output: Path, state: Path, site_url: str, dry_run: bool) -> Changes:
    """Bring the target up to date with ``output``; ``dry_run`` only says what would change."""
    if isinstance(target, FolderTarget):
        return deploy_folder(output, Path(target.path), site_url, dry_run)
    if isinstance(target, RsyncTarget):
        return deploy_rsync(output, target, site_url, dry_run)
    return deploy_pages(output, target, state / f"{target.name}.git", site_url, dry_run)


# --- folder -------------------------------------------------------------------------------


def read_tree(folder: Path) -> set[str]:
    """Every file below ``folder`` as a POSIX relative path (none when it does not exist)."""
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def check_destination(entries: set[str], where: str) -> None:
    """Refuse a destination that holds files but not this site's marker."""
    if entries and MARKER not in entries:
        raise DeployError(
            f"{where}: not empty and has no {MARKER} marker, so it does not look like this "
            f"site; deploying would delete its files. Choose an empty folder, or create "
            f"{MARKER} there if it really holds an earlier copy of this site"
        )


def plan_folder(output: Path, dest: Path) -> Changes:
    """Files to copy (new, different) and to delete (gone from the site), by content."""
    source, present = read_tree(output) - {RECORD_NAME}, read_tree(dest) - {MARKER}
    changed = [
        p for p in sorted(source & present) if not filecmp.cmp(output / p, dest / p, shallow=False)
    ]
    return Changes(tuple(sorted(source - present)), tuple(changed), tuple(sorted(present - source)))


def deploy_folder(output: Path, dest: Path, site_url: str, dry_run: bool) -> Changes:
    """Copy new and changed files (each one atomically), then delete stale ones: readers
    never meet a missing page, and a re-run finishes what an interrupted run began."""
    check_destination(read_tree(dest), str(dest))
    plan = plan_folder(output, dest)
    if dry_run:
        return plan
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / MARKER).exists():
        (dest / MARKER).write_text(render_marker(site_url), encoding="utf-8")
    for path in (*plan.added, *plan.changed):
        copy_file_atomic(output / path, dest / path)
    for path in plan.removed:
        (dest / path).unlink(missing_ok=True)
    remove_empty_folders(dest, output)
    return plan


def copy_file_atomic(source: Path, target: Path) -> None:
    """Copy through a temporary sibling and a rename (mode and mtime kept)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)  # the site turned a folder into a file
    temporary = target.with_name(f".{target.name}{TEMP_SUFFIX}")
    shutil.copy2(source, temporary)
    os.replace(temporary, target)


def remove_empty_folders(dest: Path, output: Path) -> None:
    """Folders the site no longer has, once their files are gone (deepest first)."""
    folders = sorted((p for p in dest.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
    for folder in folders:
        if not (output / folder.relative_to(dest)).is_dir() and not any(folder.iterdir()):
            folder.rmdir()


# --- rsync --------------------------------------------------------------------------------


# The package that brings each tool a deploy runs, for the message when it is missing.
TOOL_PACKAGES = {"rsync": "rsync", "git": "git", "ssh": "openssh-client"}


def require_tool(name: str, what: str) -> None:
    """A DeployError naming the package to install when ``name`` is not on PATH."""
    if shutil.which(name) is None:
        package = TOOL_PACKAGES.get(name, name)
        raise DeployError(
            f"{what}: {name} is not installed; install the {package} package "
            f"(Debian/Ubuntu: sudo apt install {package}; macOS: brew install {package})"
        )


def run_tool(
    command: list[str], what: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """Run git or rsync; a failure becomes a DeployError quoting its own message."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}
        )
    except FileNotFoundError as error:
        raise DeployError(f"{what}: {command[0]} is not installed ({error.strerror})") from error
    if done.returncode != 0:
        detail = [line.strip() for line in (done.stderr or done.stdout).splitlines()]
        raise DeployError(f"{what} failed: {' / '.join(line for line in detail[-6:] if line)}")
    return done.stdout


def read_rsync_listing(target: RsyncTarget) -> set[str] | None:
    """The names at the top of the destination; None when it does not exist yet."""
    command = ["rsync", "--list-only", "-e", target.ssh, target.destination.rstrip("/") + "/"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode == 23 and "No such file or directory" in done.stderr:
        return None
    if done.returncode != 0:
        detail = " / ".join(line.strip() for line in done.stderr.splitlines() if line.strip())
        raise DeployError(f"rsync {target.destination}: cannot list it: {detail}")
    names = (line.split(maxsplit=4)[-1] for line in done.stdout.splitlines() if line.strip())
    return {name for name in names if name != "."}


def render_rsync_command(
    output: Path, marker_folder: Path, target: RsyncTarget, dry_run: bool
) -> list[str]:
    command = ["rsync", "-az", "--delete", "--itemize-changes", "-e", target.ssh]
    command += ["--checksum"] if target.checksum else []
    command += ["--dry-run"] if dry_run else []
    command += [f"--exclude=/{RECORD_NAME}"]
    # Two sources merge into the destination: the site and its marker, so --delete never
    # removes the marker that allows it.
    return [*command, f"{output}/", f"{marker_folder}/", target.destination.rstrip("/") + "/"]


def parse_itemized(text: str) -> Changes:
    """Files added, changed and deleted from ``rsync --itemize-changes`` lines."""
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    for line in text.splitlines():
        code, _, path = line.partition(" ")
        path = path.strip()
        if code == "*deleting" and not path.endswith("/"):
            removed.append(path)
        elif len(code) == 11 and code[0] in "<>" and code[1] == "f":
            (added if code[2:] == "+" * 9 else changed).append(path)
    return Changes(_without_marker(added), _without_marker(changed), _without_marker(removed))


def _without_marker(paths: list[str]) -> tuple[str, ...]:
    return tuple(sorted(p for p in paths if p != MARKER))


def deploy_rsync(output: Path, target: RsyncTarget, site_url: str, dry_run: bool) -> Changes:
    """``rsync -az --delete`` into a destination that is empty or carries the marker."""
    require_tool("rsync", f"rsync to {target.destination}")
    listing = read_rsync_listing(target)
    check_destination(listing or set(), f"rsync {target.destination}")
    with tempfile.TemporaryDirectory(prefix="linkdigest-marker-") as marker_folder:
        (Path(marker_folder) / MARKER).write_text(render_marker(site_url), encoding="utf-8")
        command = render_rsync_command(output, Path(marker_folder), target, dry_run)
        return parse_itemized(run_tool(command, f"rsync to {target.destination}"))


# --- github pages -------------------------------------------------------------------------


def git(
    work: Path, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    """git on the private deploy repository ``work`` (never the project's own)."""
    command = ["git", *GIT_SETTINGS, "--git-dir", str(work), *args]
    return run_tool(command, f"git {args[0]}", cwd, env).strip()


def read_identity() -> dict[str, str]:
    """Author and committer: the user's git identity, or a neutral one (CI has none)."""
    name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True)
    email = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True)
    who = name.stdout.strip() or "linkdigest publish"
    mail = email.stdout.strip() or "publish@linkdigest.invalid"
    return {
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": mail,
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": mail,
    }


def fetch_pages_head(work: Path, target: PagesTarget) -> str:
    """The remote branch's commit, fetched into ``work``; "" when the branch is new."""
    if not (work / "HEAD").exists():
        run_tool(["git", "init", "--quiet", "--bare", str(work)], "git init")
    heads = git(work, "ls-remote", "--heads", target.repository, f"refs/heads/{target.branch}")
    if not heads:
        return ""
    local = f"refs/remote-site/{target.branch}"
    git(
        work,
        "fetch",
        "--quiet",
        "--no-tags",
        target.repository,
        f"+refs/heads/{target.branch}:{local}",
    )
    return git(work, "rev-parse", f"{local}^{{commit}}")


def write_pages_tree(work: Path, output: Path, target: PagesTarget) -> str:
    """The tree object of ``output`` plus ``.nojekyll`` and ``CNAME`` when set."""
    index = work / "deploy-index"
    index.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(output)}
    git(work, "add", "--all", "--force", ".", cwd=output, env=env)
    git(work, "rm", "--cached", "--quiet", "--ignore-unmatch", RECORD_NAME, cwd=output, env=env)
    extras = {".nojekyll": "" if target.nojekyll else None, "CNAME": target.cname or None}
    for name, text in extras.items():
        if text is not None:
            blob = write_blob(work, text + ("\n" if text else ""))
            git(work, "update-index", "--add", "--cacheinfo", f"100644,{blob},{name}", env=env)
    return git(work, "write-tree", env=env)


def write_blob(work: Path, text: str) -> str:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False) as handle:
        handle.write(text)
    try:
        return git(work, "hash-object", "-w", handle.name)
    finally:
        os.unlink(handle.name)


def parse_name_status(text: str) -> Changes:
    """Changes from ``git diff-tree --name-status`` lines."""
    kinds: dict[str, list[str]] = {"A": [], "M": [], "D": []}
    for line in text.splitlines():
        status, _, path = line.partition("\t")
        kinds.get(status[:1], kinds["M"]).append(path)
    return Changes(*(tuple(sorted(kinds[k])) for k in "AMD"))


def deploy_pages(
    output: Path, target: PagesTarget, work: Path, site_url: str, dry_run: bool
) -> Changes:
    """Commit the site on top of the remote branch and push it (a fast-forward: a push
    interrupted or refused leaves the remote as it was, and a re-run starts over)."""
    require_tool("git", f"push to {target.repository}")
    parent = fetch_pages_head(work, target)
    tree = write_pages_tree(work, output, target)
    before = git(work, "rev-parse", f"{parent}^{{tree}}") if parent else ""
    if before:
        changes = parse_name_status(git(work, "diff-tree", "-r", "--name-status", before, tree))
    else:
        changes = Changes(
            tuple(sorted(git(work, "ls-tree", "-r", "--name-only", tree).splitlines()))
        )
    if dry_run or not changes:
        return changes
    message = target.message.format(site_url=site_url)
    commit = git(
        work,
        "commit-tree",
        tree,
        *(["-p", parent] if parent else []),
        "-m",
        message,
        env=read_identity(),
    )
    git(work, "push", "--quiet", target.repository, f"{commit}:refs/heads/{target.branch}")
    return changes
