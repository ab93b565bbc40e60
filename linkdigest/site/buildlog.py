"""The build's log lines: one line per message off a terminal, never split inside a word on one.

Pelican logs through rich's handler, which lays each record out in columns (time, level,
message, source line) at the console's width; off a terminal that width is 80 (or COLUMNS),
so a long ``path:line: message`` came out in pieces, ``…2026-12-links.md:11`` on one line and
``2: link entry has an empty title`` on the next, in CI logs and in anything that greps them.
``LineHandler`` writes to the same console (so messages and Pelican's own "Done" line keep
their order) the level and the message only: off a terminal as one line however long, on a
terminal wrapped at spaces under the message column, folding only a word (a path) wider than
the terminal.
"""

from __future__ import annotations

import logging

from rich.console import Console
from rich.table import Table
from rich.text import Text

LEVEL_WIDTH = 8  # "CRITICAL", as rich pads it


class LineHandler(logging.Handler):
    """A log handler writing ``LEVEL    message`` lines to a rich console."""

    def __init__(self, console: Console, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(
                render_record(record, self.format(record), self.console.is_terminal),
                soft_wrap=not self.console.is_terminal,
                highlight=False,
                markup=False,
            )
        except Exception:  # logging's contract: a handler reports its failure, never raises
            self.handleError(record)


def render_record(record: logging.LogRecord, message: str, terminal: bool) -> Text | Table:
    """The level (styled as rich styles it) and the message: one text off a terminal, a grid
    whose message column wraps under itself on one."""
    level = Text(
        record.levelname.ljust(LEVEL_WIDTH), style=f"logging.level.{record.levelname.lower()}"
    )
    if not terminal:
        return Text.assemble(level, " ", message)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=LEVEL_WIDTH, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(level, Text(message))
    return grid


def use_line_handler(logger: logging.Logger, replaced: logging.Handler, console: Console) -> bool:
    """Put a LineHandler on ``console`` in the place of ``replaced`` among ``logger``'s
    handlers (the same level and filters); True when it was there. Off a terminal, what else
    is printed on ``console`` is not wrapped either."""
    if replaced not in logger.handlers:
        return False
    handler = LineHandler(console, replaced.level)
    handler.setFormatter(replaced.formatter)
    handler.filters = list(replaced.filters)
    logger.handlers = [handler if h is replaced else h for h in logger.handlers]
    if not console.is_terminal:
        console.soft_wrap = True
    return True
