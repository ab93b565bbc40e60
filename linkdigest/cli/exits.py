"""Exit codes, and the one place where what a command raised becomes one of them.

Every subcommand follows the same rule (the README's "Exit codes" says it to users):

    0    done (warnings, if any, were printed)
    1    an error: bad arguments, settings or input, a file or a tool missing, a deploy
         failed; one line on stderr ``linkdigest CMD: where: what; what to do``
    2    done, and problems were found (a dead link, a failed gate, a page not fetched,
         an audit finding; for ``draft`` only with ``--strict``)
    130  interrupted (Ctrl-C): one line saying what was written, no traceback
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from linkdigest.cli.output import report_error, say
from linkdigest.errors import DigestError

OK, ERROR, PROBLEMS, INTERRUPTED = 0, 1, 2, 130

# What to do about the operating system's commonest refusals, said after its own words.
OS_HINTS = {
    errno.ENOENT: "check the path",
    errno.EACCES: "check its permissions",
    errno.EPERM: "check its permissions",
    errno.ENOSPC: "free some space and run again",
    errno.EISDIR: "give a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}


def run_guarded(program: str, command: Callable[[], int], written: Callable[[], str]) -> int:
    """``command()``'s exit code; a domain or system error is one line and 1; Ctrl-C is one
    line saying ``written()`` and 130. Nothing else is caught: a bug keeps its traceback."""
    try:
        return command()
    except KeyboardInterrupt:
        say(program, f"interrupted; {written()}")
        return INTERRUPTED
    except DigestError as error:
        return report_error(program, error)
    except OSError as error:
        say(program, render_os_error(error))
        return ERROR


def render_os_error(error: OSError) -> str:
    """``file: what the system said; what to do`` (the file when the error names one)."""
    what = error.strerror or str(error)
    hint = OS_HINTS.get(error.errno or 0)
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{what}{f'; {hint}' if hint else ''}"
