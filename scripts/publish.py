#!/usr/bin/env python3
"""`linkdigest publish`, for those who run the script: the same arguments, the same code."""

import sys

from linkdigest.cli.app import main as linkdigest


def main(argv: list[str] | None = None) -> int:
    return linkdigest(["publish", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
