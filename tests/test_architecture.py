"""The house rules, read from the code: what each wing may import, and who may print.

Each wing's docstring says what it may import; this test holds the code to it, so a wing
that starts to lean on another is seen the day it does. The build (the site wing and the
Pelican plugin) never imports the network.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "linkdigest"
PLUGIN = ROOT / "plugins" / "linkdigest"
CORE = {"errors", "files", "settings"}  # the small modules at the top, below every wing
ALLOWED = {
    "format": {"errors"},
    "net": {"format", *CORE},
    "fetching": {"format", "net", *CORE},
    "site": {"format", *CORE},
    "drafting": {"format", "fetching", "net", *CORE},
    "checking": {"format", "net", "site", *CORE},
    "shipping": {"checking", "format", "net", "site", *CORE},
    "errors": set(),
    "files": {"errors"},
    "settings": {"errors"},
}
PLUGIN_ALLOWED = {"format", "site", *CORE, "__init__"}


def wing_of(path: Path) -> str:
    parts = path.relative_to(LIBRARY).with_suffix("").parts
    return parts[0]


def imported_wings(path: Path) -> set[str]:
    """The wings of ``linkdigest`` a module imports (at any depth of the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "linkdigest":
                names.update(f"linkdigest.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    wings = {name.split(".")[1] for name in names if name.startswith("linkdigest.")}
    return {wing for wing in wings if not wing.startswith("__")}  # __version__ is everyone's


def library_modules() -> list[Path]:
    return sorted(
        p for p in LIBRARY.rglob("*.py") if p.relative_to(LIBRARY).with_suffix("").parts[0] != "cli"
    )


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_wing_imports_only_what_its_docstring_allows(path: Path) -> None:
    wing = wing_of(path)
    if wing in ("__init__", "cli"):
        return
    others = imported_wings(path) - {wing}
    assert others <= ALLOWED[wing], f"{wing} imports {sorted(others - ALLOWED[wing])}"


@pytest.mark.parametrize("path", sorted(PLUGIN.glob("*.py")), ids=lambda p: p.name)
def test_the_build_never_imports_the_network(path: Path) -> None:
    assert imported_wings(path) <= PLUGIN_ALLOWED, path


def prints(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
        for node in ast.walk(tree)
    )


def test_only_the_command_line_layer_prints() -> None:
    printing = [str(p.relative_to(ROOT)) for p in [*library_modules(), *PLUGIN.glob("*.py")]]
    assert [p for p in printing if prints(ROOT / p)] == []


def test_every_wing_says_its_role_and_what_it_may_import() -> None:
    for wing in ("format", "net", "fetching", "site", "drafting", "checking", "shipping"):
        doc = ast.get_docstring(ast.parse((LIBRARY / wing / "__init__.py").read_text()))
        assert doc and "May import" in doc, wing
