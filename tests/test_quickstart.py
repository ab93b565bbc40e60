"""The README's "Add to your existing Pelican blog", followed on a stock blog.

A fresh virtualenv gets the package the way a blogger installs it (``pip install`` of the
checkout: a wheel is built and installed, not an editable link), ``pelican-quickstart`` from
that environment makes a blog, and the README's own code blocks are the settings, the digest
and the template that go into it. The quickstart's Makefile builds it with warnings fatal,
with Pelican's own themes and with ours, and the plugin is found by name and by discovery.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # a virtualenv with the package and its dependencies

SECTION = "## Add to your existing Pelican blog"
# What `pip install` of a checkout reads: the rest of the repository stays out of the copy.
DISTRIBUTION = ("pyproject.toml", "README.md", "linkdigest", "plugins", "theme")
# The quickstart's answers in order: the defaults, but for the URL the blog is published at.
SITEURL = "https://blog.example.org"
ANSWERS = "\n" * 5 + f"{SITEURL}\n" + "\n" * 40


def readme_blocks() -> dict[str, list[str]]:
    """The section's fenced code blocks by language, in order, dedented."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    blocks: dict[str, list[str]] = {}
    for match in re.finditer(r"^( *)```(\w+)\n(.*?)^\1```", section, re.M | re.S):
        blocks.setdefault(match[2], []).append(textwrap.dedent(match[3]))
    return blocks


BLOCKS = readme_blocks()


@dataclass(frozen=True)
class Installed:
    """A virtualenv with the package installed from a wheel."""

    venv: Path

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def run(self, command: list[str | Path], cwd: Path, **kwargs: object) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env |= {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        env.pop("MAKEFLAGS", None)  # `make test` runs us: its flags are not the blog's
        done = subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            **kwargs,  # type: ignore[arg-type]
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """README step 1 in a new virtualenv, from a copy of the checkout's distribution files
    (so the build leaves nothing in the checkout, and a file outside them cannot help)."""
    folder = tmp_path_factory.mktemp("installed")
    source = folder / "linkdigest"
    source.mkdir()
    for name in DISTRIBUTION:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    env = Installed(folder / "venv")
    (command,) = BLOCKS["sh"]
    assert command.split()[:2] == ["pip", "install"]
    env.run([env.bin("python"), "-m", "pip", "install", "--quiet", source], cwd=folder)
    return env


def quickstart(env: Installed, folder: Path) -> Path:
    site = folder / "blog"
    env.run(
        [env.bin("pelican-quickstart"), "-p", site, "-t", "My Blog", "-a", "Ann", "-l", "en"],
        cwd=folder,
        input=ANSWERS,
    )
    assert (site / "Makefile").is_file() and (site / "pelicanconf.py").is_file()
    return site


def add_to(site: Path, settings: str, overrides: bool = True) -> None:
    """README steps 2 and 3, and step 4's template (optional in the README, used here so the
    build shows ``article.digest`` reached a template of the blog's own)."""
    with (site / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write("\n" + settings)
        if overrides:
            conf.write('THEME_TEMPLATES_OVERRIDES = ["templates"]\n')
    if overrides:
        (site / "templates").mkdir()
        (site / "templates" / "article.html").write_text(BLOCKS["jinja"][0], encoding="utf-8")
    (site / "content" / "links-of-march.md").write_text(BLOCKS["markdown"][0], encoding="utf-8")


def build(env: Installed, site: Path, target: str = "html") -> Path:
    """README step 4, with the quickstart's own Makefile; any warning fails it."""
    env.run(["make", target, "PELICANOPTS=--fatal warnings"], cwd=site)
    return site / "output"


def assert_links_reached_the_blog(output: Path) -> None:
    data = json.loads((output / "links.json").read_text(encoding="utf-8"))
    (link,) = data["links"]
    assert link["title"] == "How queues fail under load"
    assert link["url"] == "https://example.org/queues-under-load"
    links = BeautifulSoup((output / "links" / "index.html").read_text("utf-8"), "html.parser")
    anchor = links.find("a", href="https://example.org/queues-under-load")
    assert anchor is not None and anchor.get_text() == "How queues fail under load"
    assert links.find("a", string="Links of March") is not None


def article(output: Path) -> BeautifulSoup:
    page = output / "links-of-march.html"  # the quickstart's URLs: Pelican's defaults
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


PLUGIN, THEME = BLOCKS["python"]


@pytest.mark.parametrize(
    ("theme", "plugins"),
    [("notmyidea", "discovered"), ("simple", "named")],
)
def test_a_quickstart_blog_with_pelicans_theme(
    installed: Installed, tmp_path: Path, theme: str, plugins: str
) -> None:
    site = quickstart(installed, tmp_path)
    settings = PLUGIN if plugins == "named" else PLUGIN.replace('PLUGINS = ["linkdigest"]\n', "")
    assert ("PLUGINS" in settings) is (plugins == "named")
    add_to(site, settings + ("" if theme == "notmyidea" else f'THEME = "{theme}"\n'))
    output = build(installed, site)
    assert_links_reached_the_blog(output)
    page = article(output)
    assert page.select_one(".digest-count").get_text() == "1 links"  # article.digest
    assert page.find("h2", id="articles") is not None  # the digest as HTML, not escaped
    assert page.find("blockquote").get_text(strip=True) == "The quoted summary."
    assert not (output / "pagefind").exists()  # no search without a theme that has it
    assert not (output / "theme" / "js" / "search.js").exists()  # Pelican's theme, not ours


def test_a_quickstart_blog_with_our_theme(installed: Installed, tmp_path: Path) -> None:
    site = quickstart(installed, tmp_path)
    add_to(site, PLUGIN + THEME)
    output = build(installed, site)
    assert_links_reached_the_blog(output)
    page = article(output)
    assert page.select_one(".digest-count").get_text() == "1 links"
    card = page.select_one("main .link-card")  # our theme's article.html, from the wheel
    assert card.select_one(".domain").get_text() == "example.org"
    assert (output / "theme" / "js" / "search.js").is_file()
    assert (output / "pagefind" / "pagefind.js").is_file()
    assert "data-links-filter" in (output / "links" / "index.html").read_text("utf-8")
    published = build(installed, site, "publish")  # the quickstart's publishconf.py
    assert_links_reached_the_blog(published)
    canonical = article(published).find("link", rel="canonical")["href"]
    assert canonical == f"{SITEURL}/links-of-march.html"  # CANONICAL_SITEURL: SITEURL


def test_the_wheel_carries_the_theme_the_plugin_and_the_types(installed: Installed) -> None:
    code = (
        "import linkdigest, pelican.plugins.linkdigest as plugin\n"
        "print(linkdigest.theme_path()); print(plugin.__file__)"
    )
    run = [installed.bin("python"), "-c", code]
    theme, plugin = installed.run(run, cwd=installed.venv).split()  # not the checkout's
    site_packages = next((installed.venv / "lib").glob("python3*/site-packages"))
    assert Path(theme) == site_packages / "linkdigest" / "theme"
    assert Path(plugin) == site_packages / "pelican" / "plugins" / "linkdigest" / "__init__.py"
    assert (site_packages / "linkdigest" / "py.typed").is_file()
    assert files(Path(theme)) == files(ROOT / "theme")
    assert files(Path(plugin).parent) == files(ROOT / "plugins" / "linkdigest")
    # Pelican's own files are untouched: the wheel adds a folder to its namespace, no more.
    assert not (site_packages / "pelican" / "plugins" / "__init__.py").exists()


def files(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
