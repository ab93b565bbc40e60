"""The helpers' settings file (``linkdigest.toml``): read once, parsed per component."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from linkdigest.errors import ContentError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "linkdigest.toml"


def read_settings_file(path: str | Path = DEFAULT_PATH) -> dict[str, Any]:
    """The parsed TOML; ContentError names the file and, for syntax errors, the line."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ContentError(str(path), None, f"cannot read settings: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        raise ContentError(str(path), line, f"not valid TOML: {error}") from error
