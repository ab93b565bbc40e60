"""logs: the build's log lines, one line per message when the log is not read on a terminal.

No signal: ``register`` itself is the hook. Pelican sets up its logging (rich's handler on its
console) before it reads the settings and loads plugins, and every message about content is
logged after; a signal such as ``initialized`` would come later than needed for nothing.
The handler is replaced only where it is Pelican's default one: ``--log-handler plain`` and a
handler of the blog's own are left alone. The lines are laid out by ``linkdigest.site.buildlog``.
"""

from __future__ import annotations

import logging

from pelican.log import DEFAULT_LOG_HANDLER, console

from linkdigest.site.buildlog import use_line_handler


def register() -> None:
    use_line_handler(logging.getLogger(), DEFAULT_LOG_HANDLER, console)
