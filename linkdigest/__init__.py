"""linkdigest: the shared library behind the link-digest blog's plugins and scripts.

The package also carries the blog's theme (templates/, static/, theme.toml), for any blog:
``import linkdigest; THEME = linkdigest.theme_path()`` in its pelicanconf.py.
"""

from pathlib import Path

__version__ = "0.1.0"

# Resolved: in `make`'s editable install (a tree of links) this is the checkout's folder.
HERE = Path(__file__).resolve().parent


def theme_path() -> str:
    """The theme's folder: ``linkdigest/theme`` in an installed wheel; in a checkout (and in
    its editable install, whose files link to it) the checkout's ``theme/``, so that a
    template added there is used without installing again."""
    installed = HERE / "theme"
    return str(installed if installed.is_dir() else HERE.parent / "theme")
