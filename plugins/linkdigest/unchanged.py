"""A build with nothing changed since the last one stops before it starts.

``initialized`` puts ``run_unless_unchanged`` in place of this Pelican's ``run``: it makes
the stamp of the site's inputs and output as they are now (``linkdigest.site.buildstamp``)
and, when it is the one the last build left, says so and returns; otherwise it takes the
stamp away, builds, and leaves a new one if the build ended without a warning or an error.
``content_object_init`` notes the earliest date of a post held back for being in the future
(``WITH_FUTURE_DATES = False``): the stamp expires then.

BUILD_SKIP_UNCHANGED: None (the default) skips only when every plugin loaded is this one (a
plugin of someone else's might read the clock, the network or files we cannot see); True or
False decide. It needs LOAD_CONTENT_CACHE, so ``pelican --ignore-cache`` (and publishconf,
which never loads the cache) always builds in full; the devserver turns it off.
The line said in place of Pelican's "Done: ..." goes through Pelican's own console, as
Pelican's does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Article

from linkdigest.site.buildstamp import (
    STAMP_NAME,
    BuildStamp,
    Inputs,
    is_build_unchanged,
    list_module_files,
    read_inputs_fingerprint,
    read_output_fingerprint,
    read_stamp,
    read_status_rows,
    remove_stamp,
    render_files_fingerprint,
    render_settings_fingerprint,
    write_stamp,
)
from linkdigest.site.pagememo import Fingerprinter

logger = logging.getLogger(__name__)
OURS = ("pelican.plugins.linkdigest", "linkdigest")
FUTURE: list[float] = []  # this build's posts held back until a date: when each comes out


def is_enabled(pelican: Any) -> bool:
    settings = pelican.settings
    if not settings.get("LOAD_CONTENT_CACHE") or not settings.get("CACHE_PATH"):
        return False
    chosen = settings.get("BUILD_SKIP_UNCHANGED")
    if chosen is not None:
        return bool(chosen)
    names = [getattr(plugin, "__name__", "") for plugin in getattr(pelican, "plugins", [])]
    return all(name in OURS or name.startswith(OURS[0] + ".") for name in names)


def stamp_path(settings: dict[str, Any]) -> Path:
    return Path(settings["CACHE_PATH"]) / STAMP_NAME


def describe_inputs(pelican: Any) -> Inputs | None:
    """Where this site's inputs are; None when its settings cannot be told apart from others'."""
    settings = pelican.settings
    fingerprint = render_settings_fingerprint(settings, Fingerprinter())
    if fingerprint is None:
        return None
    folders = [settings["PATH"], settings["THEME"], *settings.get("THEME_TEMPLATES_OVERRIDES", [])]
    for plugin in getattr(pelican, "plugins", []):
        folders += list(getattr(plugin, "__path__", []))
    here = os.path.abspath(os.getcwd())
    path_folders = [
        os.path.abspath(entry)
        for entry in sys.path
        if entry and os.path.abspath(entry) != here and os.path.isdir(entry)
    ]
    return Inputs(
        settings=fingerprint,
        folders=tuple(os.path.abspath(folder) for folder in folders),
        path_folders=tuple(path_folders),
        skip=(os.path.abspath(settings["OUTPUT_PATH"]), os.path.abspath(settings["CACHE_PATH"])),
    )


def wrap_run(pelican: Any) -> None:
    if not is_enabled(pelican):
        if pelican.settings.get("CACHE_PATH"):
            remove_stamp(stamp_path(pelican.settings))
        return
    pelican.run = make_run_unless_unchanged(pelican, pelican.run)


def make_run_unless_unchanged(pelican: Any, run: Callable[[], None]) -> Callable[[], None]:
    def run_unless_unchanged() -> None:
        started = time.perf_counter()
        settings = pelican.settings
        path = stamp_path(settings)
        inputs = describe_inputs(pelican)
        if inputs is None:
            remove_stamp(path)
            run()
            return
        inputs_fingerprint = read_inputs_fingerprint(inputs)
        saved = read_stamp(path)
        if saved is not None:
            output, _count = read_output_fingerprint(settings["OUTPUT_PATH"])
            code = render_files_fingerprint(read_status_rows(saved.code_files))
            now = BuildStamp(inputs_fingerprint, code, output, saved.code_files, 0)
            if is_build_unchanged(saved, now, time.time()):
                say_unchanged(saved, time.perf_counter() - started)
                return
        remove_stamp(path)
        code_rows = read_status_rows(list_module_files(list(sys.modules.values())))
        FUTURE.clear()
        with count_warnings() as warnings:
            run()
        if warnings[0]:
            logger.debug("no build stamp: the build logged %d warnings or errors", warnings[0])
            return
        code_files = list_module_files(list(sys.modules.values()))
        new = read_status_rows(path for path in code_files if path not in code_rows)
        code_rows.update(new)
        output, count = read_output_fingerprint(settings["OUTPUT_PATH"])
        stamp = BuildStamp(
            inputs=inputs_fingerprint,
            code=render_files_fingerprint({path: code_rows[path] for path in code_files}),
            output=output,
            code_files=code_files,
            output_files=count,
            expires=min(FUTURE, default=None),
        )
        try:
            write_stamp(path, stamp)
        except OSError as error:
            logger.warning("could not save the build stamp %s: %s", path, error)

    return run_unless_unchanged


def say_unchanged(stamp: BuildStamp, seconds: float) -> None:
    from pelican.log import console

    console.print(
        f"Done: nothing changed since the last build; its {stamp.output_files:,} files "
        f"are up to date (checked in {seconds:.2f} seconds; --ignore-cache builds anyway)."
    )


@contextmanager
def count_warnings() -> Iterator[list[int]]:
    """How many records of WARNING or above reach the root logger while the block runs."""
    counted = [0]

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            counted[0] += 1

    handler = Counter(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield counted
    finally:
        root.removeHandler(handler)


def note_future_post(instance: Any) -> None:
    """A post dated after now, held back by WITH_FUTURE_DATES = False: when it comes out."""
    settings = getattr(instance, "settings", {})
    date = getattr(instance, "date", None)
    if settings.get("WITH_FUTURE_DATES", True) or not isinstance(date, dt.datetime):
        return
    if isinstance(instance, Article) and date != dt.datetime.max.replace(tzinfo=date.tzinfo):
        try:
            moment = date.timestamp()
        except (OverflowError, ValueError, OSError):
            return  # held back for ever: no moment to wait for
        if moment > time.time():
            FUTURE.append(moment)


def register() -> None:
    signals.initialized.connect(wrap_run)
    signals.content_object_init.connect(note_future_post)
