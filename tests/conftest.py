"""Fixtures that build real sites with Pelican, our theme and our plugins."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# The property tests run the same examples on every run, so CI's verdict does not depend on
# the draw; HYPOTHESIS_PROFILE=explore draws thousands of new ones to look for new failures.
hypothesis_settings.register_profile("default", max_examples=300, derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=5000, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"


@dataclass(frozen=True)
class Build:
    """The result of one real `pelican` run."""

    returncode: int
    output: Path
    log: str

    def read(self, relative: str) -> str:
        return (self.output / relative).read_text(encoding="utf-8")


def write_settings(
    folder: Path, content: Path, output: Path, *, production: bool, extra: str = ""
) -> Path:
    """A settings file reading the project's own settings, with paths made absolute. The
    plugin comes from the installed package, as in any blog (`make` installs it in .venv)."""
    base = "publishconf" if production else "pelicanconf"
    settings = folder / f"settings_{base}.py"
    settings.write_text(
        settings_from(ROOT / f"{base}.py")
        + textwrap.dedent(f"""\
        PATH = {str(content)!r}
        OUTPUT_PATH = {str(output)!r}
        THEME = {str(ROOT / "theme")!r}
        CACHE_PATH = {str(folder / "cache")!r}
        """)
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return settings


def settings_from(path: Path) -> str:
    """Settings-file lines taking every setting of ``path``, read by its path as Pelican
    reads settings files (``from pelicanconf import *`` would need its folder on sys.path)."""
    return (
        "from runpy import run_path\n"
        f"globals().update((k, v) for k, v in run_path({str(path)!r}).items() if k.isupper())\n"
    )


def run_pelican(
    content: Path,
    folder: Path,
    *,
    production: bool = False,
    fatal: bool = False,
    extra: str = "",
    output_name: str = "output",
    columns: str | None = "400",
    args: tuple[str, ...] = (),
) -> Build:
    """Run the real `pelican` command in a subprocess (fresh logging state every time), its
    output piped; ``columns``: COLUMNS in its environment (None: not set). The settings
    file is written anew each time (so no build finds its inputs unchanged)."""
    output = folder / output_name
    settings = write_settings(folder, content, output, production=production, extra=extra)
    if fatal:
        args = ("--fatal", "warnings", *args)
    return run_pelican_with(settings, content, output, args=args, columns=columns)


def run_pelican_with(
    settings: Path,
    content: Path,
    output: Path,
    *,
    args: tuple[str, ...] = (),
    columns: str | None = "400",
) -> Build:
    """``run_pelican`` with a settings file already written (run in its folder)."""
    command = [sys.executable, "-m", "pelican", str(content), "-o", str(output)]
    command += ["-s", str(settings), *args]
    env = {
        "PATH": "/usr/bin:/bin",
        "TERM": "dumb",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    if columns is not None:
        env["COLUMNS"] = columns
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=settings.parent, env=env, timeout=300
    )
    return Build(result.returncode, output, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real content/ built with the local preview settings."""
    build = run_pelican(CONTENT, tmp_path_factory.mktemp("example"))
    assert build.returncode == 0, build.log
    return build


@pytest.fixture(scope="session")
def production_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real content/ built as `make publish` builds it: publishconf, fatal warnings."""
    build = run_pelican(CONTENT, tmp_path_factory.mktemp("production"), production=True, fatal=True)
    assert build.returncode == 0, build.log
    return build


@pytest.fixture
def tiny_site(tmp_path: Path):
    """Build a small site from {relative path: text}: returns the Build."""

    def build(
        files: dict[str, str | bytes],
        *,
        production: bool = False,
        fatal: bool = False,
        extra: str = "",
    ) -> Build:
        content = tmp_path / "content"
        for name, text in files.items():
            target = content / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(textwrap.dedent(text), encoding="utf-8")
        return run_pelican(content, tmp_path, production=production, fatal=fatal, extra=extra)

    return build


LOOPBACK = ("localhost", "127.", "::1")


@pytest.fixture(autouse=True)
def no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup outside 127.0.0.0/8 fails the test instead of reaching out."""
    real = socket.getaddrinfo

    def guarded(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.startswith(LOOPBACK):
            raise AssertionError(f"test tried to reach {name!r}: only 127.x.y.z is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Devserver:
    """`scripts/devserver.py` (what `make devserver` runs) on a free port of 127.0.0.1, with
    its stderr lines collected and a client on its livereload socket, as a browser has, that
    notes each reload message; for ``with``."""

    def __init__(self, content: Path, output: Path, settings: Path, cwd: Path) -> None:
        self.port = free_port()
        self.command = [sys.executable, str(ROOT / "scripts" / "devserver.py")]
        self.command += ["--port", str(self.port), "--content", str(content)]
        self.command += ["--output", str(output), "--settings", str(settings)]
        self.cwd = cwd
        self.lines: list[str] = []
        self.reloads: list[float] = []  # time.monotonic() of each reload message

    def __enter__(self) -> Devserver:
        env = {k: v for k, v in os.environ.items() if k != "PORT"}  # SITEURL as a plain build
        self.process = subprocess.Popen(
            self.command,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            cwd=self.cwd,
            env=env,
        )
        threading.Thread(target=self._read_stderr, daemon=True).start()
        assert self.wait_for_line("devserver: http://", 1, 120), self.log
        threading.Thread(target=asyncio.run, args=(self._listen(),), daemon=True).start()
        assert self.wait(lambda: self.listening, 30), "no livereload handshake"
        # livereload reloads every page once it has started (a restarted server's pages).
        assert self.wait(lambda: bool(self.reloads), 30), "no reload on start"
        self.reloads.clear()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    listening = False

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    async def _listen(self) -> None:
        from tornado.websocket import websocket_connect

        connection = await websocket_connect(f"ws://127.0.0.1:{self.port}/livereload")
        await connection.write_message(json.dumps({"command": "hello", "protocols": []}))
        await connection.read_message()
        info = {"command": "info", "url": f"http://127.0.0.1:{self.port}/"}
        await connection.write_message(json.dumps(info))
        self.listening = True
        while (message := await connection.read_message()) is not None:
            if json.loads(message).get("command") == "reload":
                self.reloads.append(time.monotonic())

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def wait_for_line(self, text: str, count: int, seconds: float) -> bool:
        return self.wait(lambda: self.count(text) >= count, seconds)

    def wait(self, check: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return True
            if self.process.poll() is not None:
                return check()
            time.sleep(0.05)
        return False
