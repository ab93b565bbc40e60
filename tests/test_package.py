"""The distribution: every wing of the library is packaged, and Pelican finds the plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_wing_of_the_library_is_packaged() -> None:
    wings = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "linkdigest").rglob("__init__.py")
    }
    assert wings <= set(PYPROJECT["tool"]["setuptools"]["packages"])


DIGEST = """\
    Title: Links of March
    Date: 2026-03-31
    Category: summary
    Slug: march

    # March 2026

    ## Articles

    ### [How queues fail](https://example.org/queues)

    > A summary.
    """


def test_pelican_lists_the_installed_plugin(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).with_name("pelican-plugins"))]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "pelican.plugins.linkdigest" in done.stdout + done.stderr


@pytest.mark.parametrize("plugins", ['["linkdigest"]', "None"], ids=["named", "discovered"])
def test_the_plugin_loads_by_name_and_by_discovery(tiny_site, plugins: str) -> None:
    build = tiny_site({"posts/march.md": DIGEST}, extra=f"PLUGINS = {plugins}\n")
    assert build.returncode == 0, build.log
    assert "WARNING" not in build.log and "ERROR" not in build.log, build.log
    assert json.loads(build.read("links.json"))["links"][0]["url"] == "https://example.org/queues"
    assert "How queues fail" in build.read("links/index.html")


def test_the_installed_theme_builds_a_blog(tiny_site) -> None:
    """THEME = linkdigest.theme_path() as the README says, run in Pelican's own process."""
    extra = "import linkdigest\nTHEME = linkdigest.theme_path()\n"
    build = tiny_site({"posts/march.md": DIGEST}, extra=extra)
    assert build.returncode == 0, build.log
    assert "WARNING" not in build.log, build.log
    assert "data-links-filter" in build.read("links/index.html")  # our theme's links page
    assert (build.output / "theme" / "css" / "main.css").is_file()
