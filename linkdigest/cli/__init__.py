"""The command-line layer: the one ``linkdigest`` command; the only part of the package that prints.

- ``app``: the command and its subcommands, parsed and run (``main(argv)``, the console script).
- ``exits``: the exit codes and the one place where errors and Ctrl-C become them.
- ``setup``: what a run needs, built once: settings, caches, the Fetcher; what it wrote.
- ``output``: progress on stderr and one-line messages.
- ``draft``, ``fetch``, ``links``, ``publish``, ``audit``, ``newsletter``: one module per
  subcommand, its arguments and its printing; the work is the library's.

Start-up stays cheap: this package imports the network, asyncio, Pelican or BeautifulSoup
only inside the subcommand that needs them, so ``linkdigest fetch --html`` pays for the
extraction and nothing else.

May import: every wing of ``linkdigest``.
"""

from linkdigest.cli.exits import ERROR, INTERRUPTED, OK, PROBLEMS
from linkdigest.cli.output import Progress, report_error
from linkdigest.cli.setup import read_run_cache

__all__ = ["ERROR", "INTERRUPTED", "OK", "PROBLEMS", "Progress", "read_run_cache", "report_error"]
