"""The helpers' settings file (``linkdigest.toml``): read once, parsed per component."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from linkdigest.errors import ConfigError

# Looked for in the folder a command runs in (a blog's root), never beside this package.
DEFAULT_PATH = Path("linkdigest.toml")


def read_settings_file(path: str | Path = DEFAULT_PATH) -> dict[str, Any]:
    """The parsed TOML; ConfigError names the file and, for syntax errors, the line."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            str(path),
            None,
            f"cannot read settings: {error.strerror}; run in the blog's folder or give "
            "--settings FILE",
        ) from error
    except tomllib.TOMLDecodeError as error:
        line, what = parse_toml_error(str(error))
        raise ConfigError(str(path), line, f"not valid TOML ({what}); fix that line") from error


def parse_toml_error(message: str) -> tuple[int | None, str]:
    """The line and the rest of tomllib's message, whose place is only in its text
    ("Invalid value (at line 3, column 11)") before Python 3.14."""
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message)
    if not found:
        return None, message
    what, line, column = found.groups()
    return int(line), f"{what[:1].lower()}{what[1:]} at column {column}"


def parse_table(
    values: Mapping[str, Any], kind: type, source: str, table: str, ignore: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The keys of one settings table, checked against the dataclass ``kind`` they fill:
    unknown keys, and values of the wrong type for a field's default, name the file."""
    defaults = {f.name: f.default for f in fields(kind) if f.name not in ignore}
    for key, value in values.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ConfigError(source, None, f"[{table}]: unknown setting {key!r}; known: {known}")
        expected = type(defaults[key])
        if expected is bool and not isinstance(value, bool):
            raise ConfigError(source, None, f"[{table}] {key} must be true or false")
        if expected in (int, float) and not isinstance(value, int | float):
            raise ConfigError(source, None, f"[{table}] {key} must be a number, not {value!r}")
        if expected is str and not isinstance(value, str):
            raise ConfigError(source, None, f"[{table}] {key} must be a string")
    return dict(values)
