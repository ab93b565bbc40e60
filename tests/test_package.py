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


# Where each source folder is installed (pyproject.toml's package-dir, and the library).
INSTALLED_AS = {
    "linkdigest": "linkdigest",
    "theme": "linkdigest.theme",
    "plugins/linkdigest": "pelican.plugins.linkdigest",
}


def source_folders(top: str) -> set[str]:
    """Every folder with a file to ship under ``top``, by the package name it is installed as."""
    root = ROOT / top
    return {
        ".".join([INSTALLED_AS[top], *path.parent.relative_to(root).parts])
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize("top", sorted(INSTALLED_AS))
def test_every_folder_is_packaged(top: str) -> None:
    """A new wing, or a new folder of templates, not left out of the wheel."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert source_folders(top) <= set(setuptools["packages"])
    if top != "linkdigest":
        assert setuptools["package-dir"][INSTALLED_AS[top]] == top


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


HOSTILE = DIGEST.replace("How queues fail", "Queues <b>fail</b>")
# Pelican's own theme, and the direct templates it has (ours adds a 404 page).
SIMPLE = (
    'THEME = "simple"\nDIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives"]\n'
)


def test_pelicans_simple_theme_gets_the_links_page(tiny_site) -> None:
    build = tiny_site({"posts/march.md": HOSTILE}, extra=SIMPLE)
    assert build.returncode == 0, build.log
    assert "WARNING" not in build.log and "ERROR" not in build.log, build.log
    page = build.read("links/index.html")
    assert '<meta name="generator" content="Pelican" />' in page  # simple's base.html
    assert '<a href="https://example.org/queues">Queues &lt;b&gt;fail&lt;/b&gt;</a>' in page
    assert '<a href="../posts/2026/03/march/#link-queues-bfailb">Links of March</a>' in page
    # The theme is left as it is: no escaping under it, the digest's HTML is HTML.
    article = build.read("posts/2026/03/march/index.html")
    assert '<h2 id="articles">Articles</h2>' in article
    assert not (build.output / "search").exists() and not (build.output / "pagefind").exists()
    assert json.loads(build.read("links.json"))["links"][0]["title"] == "Queues <b>fail</b>"
