"""The one command line, through ``main(argv)`` and the installed console script: every
subcommand's exit codes (usage 1, a domain error 1 in one line, problems 2, Ctrl-C 130
without a traceback), the help, start-up that imports only what a subcommand needs, and
settings paths that follow the settings file from any folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from linkdigest.cli.app import COMMANDS, main
from linkdigest.cli.exits import render_os_error
from tests.servers import LocalServer, Reply

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).parent / "linkdigest"
DRAFT_FIXTURES = Path(__file__).parent / "fixtures" / "draft"
HANG = 20.0  # seconds a hanging route waits before it answers: longer than any test waits


def settings_text(*, read_timeout: float = 30.0) -> str:
    return f"""
[http]
site = "Test"
contact = "https://site.example/about/"
retries = 0
connect_timeout = 2.0
read_timeout = {read_timeout}
deadline = 60.0
[hosts.default]
delay = 0.0
[links]
cool_down = 0.0
"""


@pytest.fixture
def server() -> Iterator[LocalServer]:
    server = LocalServer("127.0.0.80")
    server.routes["/ok"] = Reply(
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=b"<!doctype html><title>Fine page</title><p>Fine.</p>",
    )
    server.routes["/gone"] = Reply(404, body=b"no")
    server.routes["/hang"] = Reply(body=b"late", delay=HANG)
    yield server
    server.close()
    assert server.unexpected == [], server.unexpected


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    path = tmp_path / "linkdigest.toml"
    path.write_text(settings_text(), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the command and its help ---------------------------------------------------------------


def test_help_lists_every_subcommand_and_the_exit_codes(capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in ("draft", "fetch", "links", "publish", "audit", "newsletter"):
        assert f"    {name}" in out
    assert "130 interrupted" in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_subcommand_has_help(name: str, capsys) -> None:
    code, out, _ = run(capsys, name, "--help")
    assert code == 0 and out.startswith(f"usage: linkdigest {name}")
    assert f"linkdigest {name}" in out.split("options:")[0]  # its examples, from its docstring


def test_no_subcommand_is_a_usage_error(capsys) -> None:
    code, _, err = run(capsys)
    assert code == 1 and "COMMAND" in err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unknown_flag_is_a_usage_error_exit_1(name: str, capsys) -> None:
    month = ["2026-11"] if name in ("draft", "newsletter") else []
    code, out, err = run(capsys, name, *month, "--no-such-flag")
    assert code == 1 and out == ""
    assert f"linkdigest {name}: unrecognized arguments: --no-such-flag" in err
    assert f"see linkdigest {name} --help" in err


def test_an_unknown_subcommand_is_exit_1(capsys) -> None:
    code, _, err = run(capsys, "publsh")
    assert code == 1 and "invalid choice: 'publsh'" in err


def test_a_bad_value_is_exit_1(capsys) -> None:
    code, _, err = run(capsys, "links", "--format", "yaml")
    assert code == 1 and "invalid choice: 'yaml'" in err


# --- domain errors: one line, exit 1 --------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["draft", "2026-11", "--offline"],
        ["fetch", "https://a.example/"],
        ["links"],
        ["publish"],
        ["newsletter", "2026-10"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_broken_settings_file_is_one_line_naming_file_and_line(
    argv: list[str], tmp_path: Path, capsys
) -> None:
    broken = tmp_path / "linkdigest.toml"
    broken.write_text('[http]\nsite = "Test"\nretries = = 3\n', encoding="utf-8")
    content = tmp_path / "content"
    content.mkdir()
    extra = ["--content", str(content)] if argv[0] == "links" else []
    code, out, err = run(capsys, *argv, *extra, "--settings", str(broken))
    assert code == 1 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"{argv[0]}: {broken}:3: not valid TOML (invalid value at column 11)")
    assert "Traceback" not in err


def test_a_missing_file_is_one_line_with_what_to_do(tmp_path: Path, settings, capsys) -> None:
    code, _, err = run(
        capsys, "fetch", "--file", str(tmp_path / "nope.txt"), "--settings", str(settings)
    )
    assert code == 1
    assert err == f"fetch: {tmp_path / 'nope.txt'}: No such file or directory; check the path\n"


def test_system_errors_say_what_to_do() -> None:
    assert render_os_error(OSError(28, "No space left on device", "/x")) == (
        "/x: No space left on device; free some space and run again"
    )
    assert render_os_error(OSError("odd")) == "odd"


# --- problems found: exit 2 -----------------------------------------------------------------


def test_fetch_exits_2_when_a_page_failed_and_0_when_all_came(server, settings, capsys) -> None:
    code, out, err = run(capsys, "fetch", server.url("/gone"), "--settings", str(settings),
                         "--no-cache")  # fmt: skip
    assert code == 2 and "FETCH FAILED" in out and "HTTP 404" in err
    code, out, _ = run(capsys, "fetch", server.url("/ok"), "--settings", str(settings),
                       "--no-cache")  # fmt: skip
    assert code == 0 and "### [Fine page]" in out


def test_links_exits_2_on_a_dead_link(settings, tmp_path: Path, capsys) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "post.md").write_text(
        "Title: A post\nDate: 2026-11-02\n\n![gone]({static}/images/gone.png)\n", encoding="utf-8"
    )
    argv = ["links", "--content", str(content), "--settings", str(settings)]
    code, out, _ = run(capsys, *argv, "--no-cache")
    assert code == 2 and "post.md:4" in out


# --- Ctrl-C: exit 130, one line, no traceback -----------------------------------------------


def interrupt_when(asked: Callable[[], bool], timeout: float = 10.0) -> threading.Thread:
    """Press Ctrl-C (a real SIGINT to this process) once ``asked()`` is true."""

    def wait_then_interrupt() -> None:
        deadline = time.monotonic() + timeout
        while not asked() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # the request is in flight, its answer far away
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=wait_then_interrupt, daemon=True)
    thread.start()
    return thread


def asked_for(server: LocalServer, path: str) -> Callable[[], bool]:
    return lambda: any(seen.path == path for seen in server.seen)


def test_ctrl_c_while_fetching_says_nothing_was_written(server, settings, tmp_path, capsys):
    cache = tmp_path / "fetch.json"
    interrupt_when(asked_for(server, "/hang"))
    started = time.monotonic()
    code, out, err = run(
        capsys, "fetch", server.url("/hang"), "--settings", str(settings), "--cache", str(cache)
    )
    assert code == 130 and time.monotonic() - started < HANG / 2
    assert err.splitlines()[-1] == "fetch: interrupted; nothing written"
    assert "Traceback" not in err and out == "" and not cache.exists()


def test_ctrl_c_while_checking_links(server, settings, tmp_path, capsys) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "post.md").write_text(
        f"Title: A post\nDate: 2026-11-02\n\n[slow]({server.url('/hang')})\n", encoding="utf-8"
    )
    cache = tmp_path / "links.json"
    interrupt_when(asked_for(server, "/hang"))
    argv = ["links", "--content", str(content), "--settings", str(settings), "--cache", str(cache)]
    code, out, err = run(capsys, *argv)
    assert code == 130 and out == "" and not cache.exists()
    assert err.splitlines()[-1] == "links: interrupted; nothing written"
    assert "Traceback" not in err


def test_ctrl_c_while_drafting_writes_no_draft(server, tmp_path, capsys) -> None:
    root = tmp_path / "site"
    shutil.copytree(DRAFT_FIXTURES, root)
    (root / "inbox.txt").write_text(server.url("/hang") + "\n", encoding="utf-8")
    (root / "linkdigest.toml").write_text(
        settings_text()
        + '[draft]\nsections = ["Articles"]\n[[draft.sources]]\ntype = "inbox"\n'
        + 'path = "inbox.txt"\n',
        encoding="utf-8",
    )
    interrupt_when(asked_for(server, "/hang"))
    code, _, err = run(
        capsys, "draft", "2026-11", "--settings", str(root / "linkdigest.toml"), "--no-cache"
    )
    assert code == 130 and "Traceback" not in err
    assert err.splitlines()[-1] == "draft: interrupted; nothing written"
    assert not (root / "content/posts/2026-11-links.md").exists()


def test_the_console_script_is_installed_and_ctrl_c_ends_it_with_130(
    server, settings, tmp_path
) -> None:
    assert CONSOLE_SCRIPT.is_file(), "pip install -e . makes .venv/bin/linkdigest"
    shown = subprocess.run([CONSOLE_SCRIPT, "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and "newsletter" in shown.stdout
    process = subprocess.Popen(
        [CONSOLE_SCRIPT, "fetch", server.url("/hang"), "--settings", str(settings), "--no-cache"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while not asked_for(server, "/hang")() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=HANG / 2)
    assert process.returncode == 130, err
    assert err.splitlines()[-1] == "fetch: interrupted; nothing written"
    assert "Traceback" not in err and out == ""


# --- start-up and paths ---------------------------------------------------------------------


def imported_by(*argv: str) -> set[str]:
    code = (
        "import sys; from linkdigest.cli.app import main; main(sys.argv[1:]); "
        "print('\\n'.join(sys.modules), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT
    )
    return set(result.stderr.splitlines())


def test_offline_extraction_imports_neither_the_network_nor_pelican(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<title>Saved</title>", encoding="utf-8")
    modules = imported_by("fetch", "--html", str(page), "--url", "https://a.example/", "--json")
    assert "linkdigest.fetching.extract" in modules
    heavy = {"httpx", "httpcore", "asyncio", "pelican", "linkdigest.net", "feedparser"}
    assert heavy & modules == set()


def test_help_imports_no_subcommand() -> None:
    modules = imported_by("--help")
    assert not {f"linkdigest.cli.{name}" for name in COMMANDS} & modules
    assert "bs4" not in modules and "httpx" not in modules


def test_settings_paths_follow_the_settings_file_from_any_folder(tmp_path: Path) -> None:
    # Run from another folder, far from both the site and this checkout: the draft, its
    # sources and the published digests are all found beside the settings file.
    root = tmp_path / "site"
    shutil.copytree(DRAFT_FIXTURES, root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [CONSOLE_SCRIPT, "draft", "2026-11", "--offline", "--no-cache",
         "--settings", "../site/linkdigest.toml"],
        capture_output=True, text=True, cwd=elsewhere,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (root / "content/posts/2026-11-links.md").is_file()
    assert "sources/inbox.txt:8:" in result.stderr  # sources read beside the settings
    assert "already published (content/posts/2026-10-links.md:13)" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_publish_and_newsletter_folders_follow_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkdigest.settings import read_settings_file
    from linkdigest.shipping.deploy import parse_publish_settings
    from linkdigest.shipping.newsletter import parse_newsletter_settings

    site = tmp_path / "site"
    site.mkdir()
    (site / "linkdigest.toml").write_text(
        '[publish]\ntarget = "here"\n[publish.targets.here]\nkind = "folder"\npath = "public"\n'
        '[newsletter]\nsender = "a@b.example"\nfolder = "letters"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    source = "site/linkdigest.toml"
    data = read_settings_file(source)
    target = parse_publish_settings(data, source).targets["here"]
    assert Path(target.path) == site / "public"  # type: ignore[union-attr]
    assert parse_newsletter_settings(data, source).base / "letters" == site / "letters"


def test_offline_extraction_prints_the_page_as_json(tmp_path, capsys) -> None:
    page = tmp_path / "page.html"
    page.write_text("<title>Saved page</title>", encoding="utf-8")
    code, out, _ = run(capsys, "fetch", "--html", str(page), "--url", "https://a.example/x",
                       "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["title"] == "Saved page"
