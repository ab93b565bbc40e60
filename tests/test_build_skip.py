"""A build with nothing changed stops before it starts; any change at all builds in full.

Real Pelican builds of the example site in a subprocess, with one settings file kept from
build to build (as a blogger's pelicanconf.py is), and the output read back: a skipped build
leaves every file as it was, and each kind of change (content, theme, code, settings, the
output itself, the stamp, the cache) makes the next build a full one.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkdigest.site.buildstamp import (
    STAMP_NAME,
    BuildStamp,
    parse_stamp,
    read_output_fingerprint,
    read_tree_status,
    render_stamp,
)
from linkdigest.site.buildstamp import is_build_unchanged as unchanged
from tests.conftest import CONTENT, ROOT, Build, run_pelican_with, settings_from

SKIPPED = "Done: nothing changed since the last build"
BUILT = "Done: Processed"
POST = "posts/sqlite-for-small-tools.md"


@dataclass
class Site:
    folder: Path
    content: Path
    output: Path
    settings: Path

    def build(self, *args: str) -> Build:
        result = run_pelican_with(self.settings, self.content, self.output, args=args)
        assert result.returncode == 0, result.log
        return result

    def stamp(self) -> Path | None:
        return next((self.folder / "cache").rglob(STAMP_NAME), None)

    def files(self) -> dict[str, tuple[int, int, bytes]]:
        """Every output file: inode, modification time and bytes."""
        return {
            str(path.relative_to(self.output)): (
                path.stat().st_ino,
                path.stat().st_mtime_ns,
                path.read_bytes(),
            )
            for path in sorted(self.output.rglob("*"))
            if path.is_file()
        }


def make_site(folder: Path, extra: str = "") -> Site:
    content = folder / "content"
    shutil.copytree(CONTENT, content)
    output = folder / "output"
    settings = folder / "sitesettings.py"
    settings.write_text(
        settings_from(ROOT / "pelicanconf.py")
        + textwrap.dedent(f"""\
        PATH = {str(content)!r}
        OUTPUT_PATH = {str(output)!r}
        THEME = {str(ROOT / "theme")!r}
        CACHE_PATH = {str(folder / "cache")!r}
        """)
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return Site(folder, content, output, settings)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    made = make_site(tmp_path)
    first = made.build()
    assert BUILT in first.log
    assert made.stamp() is not None
    return made


def is_skipped(build: Build) -> bool:
    assert (SKIPPED in build.log) != (BUILT in build.log), build.log
    return SKIPPED in build.log


def test_a_second_build_with_nothing_changed_leaves_every_file_as_it_was(site: Site) -> None:
    before = site.files()
    again = site.build()
    assert is_skipped(again)
    assert f"its {len(before):,} files are up to date" in again.log
    assert site.files() == before
    assert is_skipped(site.build())  # and again: a skip leaves the stamp as it was


def test_what_a_skipped_build_left_is_what_a_full_build_makes(site: Site) -> None:
    assert is_skipped(site.build())
    kept = {name: data for name, (_i, _m, data) in site.files().items()}
    full = site.build("--ignore-cache")
    assert not is_skipped(full)
    assert {name: data for name, (_i, _m, data) in site.files().items()} == kept


def edit_appended(site: Site) -> None:
    post = site.content / POST
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")


def edit_same_size_same_time(site: Site) -> None:
    """Bytes changed with the size and the modification time kept (``touch -r``, some
    editors and sync tools): only the change time tells."""
    post = site.content / POST
    status = post.stat()
    data = post.read_bytes().replace(b"SQLite", b"SQLITE", 1)
    post.write_bytes(data)
    os.utime(post, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert post.stat().st_size == status.st_size


def new_post(site: Site) -> None:
    (site.content / "posts" / "a-new-post.md").write_text(
        "Title: A new post\nDate: 2026-11-20\nCategory: notes\n\nWritten just now.\n",
        encoding="utf-8",
    )


def deleted_post(site: Site) -> None:
    (site.content / "posts" / "reading-feeds-in-2026.md").unlink()


def new_image(site: Site) -> None:
    image = next(path for path in (site.content / "images").rglob("*") if path.is_file())
    shutil.copy(image, image.with_name("copy-" + image.name))


def settings_file_edited(site: Site) -> None:
    with site.settings.open("a", encoding="utf-8") as settings:
        settings.write("\nSITESUBTITLE = 'Edited in the settings file'\n")


def settings_comment_added(site: Site) -> None:
    """No setting's value changes, but the code Pelican ran did: built again."""
    with site.settings.open("a", encoding="utf-8") as settings:
        settings.write("\n# a comment\n")


def output_file_deleted(site: Site) -> None:
    (site.output / "index.html").unlink()


def output_file_edited(site: Site) -> None:
    page = site.output / "index.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- by hand -->", encoding="utf-8")


def output_file_added(site: Site) -> None:
    (site.output / "stray.html").write_text("left here by someone", encoding="utf-8")


def cache_folder_deleted(site: Site) -> None:
    shutil.rmtree(site.folder / "cache")


def stamp_garbled(site: Site) -> None:
    stamp = site.stamp()
    assert stamp is not None
    stamp.write_text('{"version": 1, "inputs": ', encoding="utf-8")


CHANGES = [
    edit_appended,
    edit_same_size_same_time,
    new_post,
    deleted_post,
    new_image,
    settings_file_edited,
    settings_comment_added,
    output_file_deleted,
    output_file_edited,
    output_file_added,
    cache_folder_deleted,
    stamp_garbled,
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__ for change in CHANGES])
def test_any_change_makes_the_next_build_a_full_one(site: Site, change) -> None:
    change(site)
    after = site.build()
    assert not is_skipped(after)
    assert is_skipped(site.build())  # once built, the new state is the one stamped


def test_the_edit_shows_on_its_page(site: Site) -> None:
    edit_same_size_same_time(site)
    site.build()
    page = next(site.output.rglob("sqlite-for-small-tools/index.html"))
    assert "SQLITE" in page.read_text(encoding="utf-8")
    output_file_deleted(site)
    site.build()
    assert (site.output / "index.html").is_file()  # the deleted page is made again


def test_a_setting_given_on_the_command_line_builds_in_full(site: Site) -> None:
    changed = site.build("-e", 'SITESUBTITLE="From the command line"')
    assert not is_skipped(changed)
    assert "From the command line" in (site.output / "index.html").read_text(encoding="utf-8")
    assert is_skipped(site.build("-e", 'SITESUBTITLE="From the command line"'))
    assert not is_skipped(site.build())


def test_a_theme_file_touched_builds_in_full(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    made = make_site(tmp_path, extra=f"THEME = {str(theme)!r}\n")
    made.build()
    assert is_skipped(made.build())
    base = theme / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not is_skipped(made.build())
    (theme / "static" / "new.css").write_text("p { margin: 0 }\n", encoding="utf-8")
    assert not is_skipped(made.build())
    assert (made.output / "theme" / "new.css").is_file()


def test_a_module_the_settings_import_is_code_the_build_ran(tmp_path: Path) -> None:
    helper = tmp_path / "sitehelper.py"
    helper.write_text("SUBTITLE = 'From a helper'\n", encoding="utf-8")
    made = make_site(
        tmp_path,
        extra=f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
        "from sitehelper import SUBTITLE as SITESUBTITLE\n",
    )
    made.build()
    assert is_skipped(made.build())
    helper.write_text("SUBTITLE = 'From a helper'  # same value, other code\n", encoding="utf-8")
    assert not is_skipped(made.build())


def test_ignore_cache_builds_in_full_and_leaves_no_stamp_behind(site: Site) -> None:
    full = site.build("--ignore-cache")
    assert not is_skipped(full)
    assert site.stamp() is None
    assert not is_skipped(site.build())  # the build after it checks nothing: no stamp
    assert is_skipped(site.build())


def test_a_build_that_warned_is_never_taken_as_up_to_date(site: Site) -> None:
    post = site.content / POST
    post.write_text(
        post.read_text(encoding="utf-8") + "\nSee [a lost post]({filename}/no-such-post.md).\n",
        encoding="utf-8",
    )
    warned = site.build()
    assert "WARNING" in warned.log and "no-such-post.md" in warned.log
    assert site.stamp() is None
    assert not is_skipped(site.build())  # built again (Pelican's cache may hide the warning)


def test_a_failed_build_leaves_no_stamp_and_the_next_one_builds(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    made = make_site(tmp_path, extra=f"THEME_TEMPLATES_OVERRIDES = [{str(overrides)!r}]\n")
    made.build()
    assert made.stamp() is not None
    (overrides / "index.html").write_text("{{ articles | no_such_filter }}\n", encoding="utf-8")
    failed = run_pelican_with(made.settings, made.content, made.output)
    assert failed.returncode != 0
    assert made.stamp() is None
    (overrides / "index.html").unlink()
    assert not is_skipped(made.build())
    assert is_skipped(made.build())


def test_another_plugin_loaded_turns_it_off_unless_asked(tmp_path: Path) -> None:
    plugins = tmp_path / "theirs"
    plugins.mkdir()
    (plugins / "someone_elses.py").write_text("def register():\n    pass\n", encoding="utf-8")
    extra = f"PLUGIN_PATHS = [{str(plugins)!r}]\nPLUGINS = ['linkdigest', 'someone_elses']\n"
    made = make_site(tmp_path, extra=extra)
    made.build()
    assert made.stamp() is None
    assert not is_skipped(made.build())
    asked = made.build("-e", "BUILD_SKIP_UNCHANGED=true")
    assert not is_skipped(asked)
    assert is_skipped(made.build("-e", "BUILD_SKIP_UNCHANGED=true"))


def test_off_when_asked(site: Site) -> None:
    assert not is_skipped(site.build("-e", "BUILD_SKIP_UNCHANGED=false"))
    assert site.stamp() is None


def test_a_post_held_back_for_its_date_makes_the_stamp_expire_then(tmp_path: Path) -> None:
    made = make_site(tmp_path, extra="WITH_FUTURE_DATES = False\n")
    (made.content / "posts" / "later.md").write_text(
        "Title: Later\nDate: 2999-01-01 10:00\nCategory: notes\n\nNot yet.\n", encoding="utf-8"
    )
    made.build()
    stamp_file = made.stamp()
    assert stamp_file is not None
    stamp = parse_stamp(stamp_file.read_text(encoding="utf-8"))
    assert stamp is not None and stamp.expires is not None
    assert 32_472_000_000 < stamp.expires < 32_472_200_000  # 2999-01-01, in any time zone
    assert is_skipped(made.build())
    now = BuildStamp(stamp.inputs, stamp.code, stamp.output, stamp.code_files, 0)
    assert unchanged(stamp, now, clock=stamp.expires - 1)
    assert not unchanged(stamp, now, clock=stamp.expires)


def test_with_no_future_post_it_never_expires(site: Site) -> None:
    stamp_file = site.stamp()
    assert stamp_file is not None
    stamp = parse_stamp(stamp_file.read_text(encoding="utf-8"))
    assert stamp is not None and stamp.expires is None
    assert stamp.output_files == len(site.files())


# --- the library alone -----------------------------------------------------------------------


def test_a_stamp_reads_back_as_written_and_anything_else_reads_as_none() -> None:
    stamp = BuildStamp("a" * 32, "b" * 32, "c" * 32, ("/x/y.py", "/z.py"), 12, 1.5e9)
    assert parse_stamp(render_stamp(stamp)) == stamp
    record = json.loads(render_stamp(stamp))
    assert parse_stamp(json.dumps({**record, "version": 0})) is None
    for garbled in ("", "[]", "{}", '{"version": 1}', render_stamp(stamp)[:-20], "\0\1"):
        assert parse_stamp(garbled) is None


def test_the_tree_status_sees_links_and_survives_a_loop(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.md").write_text("one", encoding="utf-8")
    (tmp_path / "a" / "back").symlink_to(tmp_path)  # a loop
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    rows = list(read_tree_status(str(tmp_path), set()))
    names = [row.split(b"\0")[0] for row in rows]
    assert names == [b"/a/one.md", b"/dangling"]
    before = read_output_fingerprint(tmp_path)
    assert read_output_fingerprint(tmp_path) == before
    (tmp_path / "a" / "one.md").write_text("two", encoding="utf-8")
    assert read_output_fingerprint(tmp_path) != before
