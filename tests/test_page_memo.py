"""The page memo: a rebuild renders only the pages whose inputs changed, and what it leaves is
byte for byte what a fresh full build writes, after every kind of edit a blogger makes."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import markdown
import pytest
from jinja2 import DictLoader, Environment, pass_context
from markupsafe import Markup

from linkdigest.files import FileStamp
from linkdigest.format.digest import parse_digest
from linkdigest.site.html import DigestHtml, EntryHtml, SectionHtml, render_digest_html
from linkdigest.site.pagememo import (
    Fingerprinter,
    PageMemo,
    Remembered,
    Unfingerprintable,
    install_read_recording,
    parse_memo,
    record_reads,
    render_memo,
    render_plain_fingerprint,
)
from tests.conftest import CONTENT, ROOT, Build, run_pelican, write_settings

RENDERED = re.compile(r"linkdigest: (\d+) pages and feeds rendered, (\d+) unchanged")


def build(content: Path, folder: Path, extra: str = "") -> tuple[Build, int, int]:
    folder.mkdir(exist_ok=True)
    result = run_pelican(content, folder, extra=extra, args=("-v",))
    assert result.returncode == 0, result.log
    counts = RENDERED.findall(result.log)
    assert len(counts) == 1, result.log
    return result, int(counts[0][0]), int(counts[0][1])


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file but Pagefind's bundle (two runs over the same documents name its chunks
    differently) and the build record (it names this build's own folders)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
        and p.relative_to(root).parts[0] != "pagefind"
        and p.name != ".linkdigest-pages.json"
    }


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


POSTS = "posts"
LINKING = """Title: Where I keep things
Date: 2026-11-20
Category: notes
Tags: tools
Summary: A note that links to another by its file.

See [the SQLite note]({filename}sqlite-for-small-tools.md) and [May]({filename}2026-05-links.md).
"""

# Each step edits the content (or theme) of the site built before it. Most steps move a post
# in listings, feeds and archives; those below only change what one post shows.
FEW_PAGES = {"a digest's intro", "a link's title", "a summary"}
STEPS: list[tuple[str, Callable[[Path, Path], None]]] = [
    (
        "a digest's intro",
        lambda c, t: replace_in(
            c / POSTS / "2026-05-links.md", "# May 2026\n", "# May 2026\n\nAn added line.\n"
        ),
    ),
    (
        "a link's title",
        lambda c, t: replace_in(c / POSTS / "2026-05-links.md", "### [", "### [Edited: "),
    ),
    (
        "a digest's title",
        lambda c, t: replace_in(
            c / POSTS / "2026-05-links.md", "Title: Month summary - May 2026", "Title: May, edited"
        ),
    ),
    (
        "a new post linking others by file",
        lambda c, t: (c / POSTS / "where-i-keep-things.md").write_text(LINKING, encoding="utf-8"),
    ),
    (
        "the slug of a post linked to",
        lambda c, t: replace_in(
            c / POSTS / "sqlite-for-small-tools.md",
            "Slug: sqlite-for-small-tools",
            "Slug: sqlite-notes",
        ),
    ),
    (
        "a date (order, neighbours, archives)",
        lambda c, t: replace_in(
            c / POSTS / "2026-05-links.md", "Date: 2026-05-31", "Date: 2026-04-30"
        ),
    ),
    (
        "tags (a new tag)",
        lambda c, t: replace_in(c / POSTS / "2026-07-links.md", "Tags: ", "Tags: brand-new, "),
    ),
    (
        "a summary",
        lambda c, t: replace_in(
            c / POSTS / "reading-feeds-in-2026.md", "Summary: ", "Summary: Edited. "
        ),
    ),
    ("a deleted post", lambda c, t: (c / POSTS / "where-i-keep-things.md").unlink()),
    (
        "the theme",
        lambda c, t: replace_in(
            t / "templates" / "partials" / "_footer.html", "</footer>", "</footer><!-- edited -->"
        ),
    ),
    ("nothing", lambda c, t: None),
]


def test_every_kind_of_edit_rebuilds_to_what_a_full_build_gives(tmp_path: Path) -> None:
    content, theme = tmp_path / "content", tmp_path / "theme"
    shutil.copytree(CONTENT, content)
    shutil.copytree(ROOT / "theme", theme)
    extra = f"THEME = {str(theme)!r}\n"
    _, total, _ = build(content, tmp_path / "site", extra)
    for number, (kind, edit) in enumerate(STEPS):
        edit(content, theme)
        again, rendered, unchanged = build(content, tmp_path / "site", extra)
        fresh, *_ = build(content, tmp_path / f"fresh-{number}", extra)
        built, expected = read_tree(again.output), read_tree(fresh.output)
        # A page no longer made (a renamed or deleted post) stays, as Pelican leaves it;
        # every page the fresh build writes is there, with the same bytes.
        assert {name: built.get(name) for name in expected} == expected, kind
        if kind == "nothing":
            assert rendered == 0, (kind, rendered, unchanged)
        elif kind in FEW_PAGES:
            assert 0 < rendered < (rendered + unchanged) / 2, (kind, rendered, unchanged)
        else:
            assert rendered > 0, kind
    assert total > 50


def test_settings_and_edited_output_are_rendered_again(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    first, total, _ = build(content, tmp_path / "site")
    # A page changed by hand (or by another tool) is not what the memo wrote: rendered again.
    page = first.output / "tags" / "index.html"
    original = page.read_bytes()
    page.write_bytes(b"<p>changed by hand</p>")
    _, rendered, _ = build(content, tmp_path / "site")
    assert rendered == 1 and page.read_bytes() == original
    # Every setting is an input of every page.
    changed, rendered, unchanged = build(content, tmp_path / "site", 'SITENAME = "Another name"\n')
    assert unchanged == 0 and rendered == total
    assert "Another name" in (changed.output / "index.html").read_text(encoding="utf-8")
    # So is the code of a function in the settings file (a Jinja filter), not only its name.
    for body in ("return str(value)", "return str(value).upper()"):
        code = f"def shout(value):\n    {body}\n\n\nJINJA_FILTERS = {{'shout': shout}}\n"
        _, rendered, unchanged = build(content, tmp_path / "site", code)
        assert unchanged == 0 and rendered == total, body
    # A memo nobody can read is no memo: everything is rendered, nothing goes wrong.
    for memo in (tmp_path / "site" / "cache").rglob("linkdigest-pages.json"):
        memo.write_text("{not json", encoding="utf-8")
    _, rendered, unchanged = build(content, tmp_path / "site", 'SITENAME = "Another name"\n')
    assert unchanged == 0 and rendered == total


def test_a_build_with_a_debug_log_keeps_the_pages_of_one_without(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    build(content, tmp_path / "site")
    debug = run_pelican(content, tmp_path / "site", args=("-D",))
    assert debug.returncode == 0, debug.log
    (rendered, unchanged), *_ = RENDERED.findall(debug.log)
    assert int(rendered) == 0 and int(unchanged) > 50


def test_page_memo_can_be_turned_off(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    build(content, tmp_path / "site", "PAGE_MEMO = False\n")
    _, rendered, unchanged = build(content, tmp_path / "site", "PAGE_MEMO = False\n")
    assert unchanged == 0 and rendered > 50


# --- the library ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    title: str
    tags: tuple[str, ...]


class Post:
    def __init__(self, title: str, neighbour: Post | None = None) -> None:
        self.title = title
        self.neighbour = neighbour


def reduce_post(post: Post, depth: int) -> object:
    return post.title if depth >= 2 else (post.title, post.neighbour)


def test_fingerprints_follow_what_a_template_can_see() -> None:
    prints = Fingerprinter({Post: reduce_post}, plain=(Row,))
    same = Fingerprinter({Post: reduce_post}, plain=(Row,))
    assert prints.of({"a": [1, "x", None]}) == same.of({"a": [1, "x", None]})
    assert prints.of("<b>") != prints.of(Markup("<b>"))  # one is escaped, the other not
    assert prints.of({"a": 1, "b": 2}) != prints.of({"b": 2, "a": 1})  # iteration order
    assert prints.of(1) != prints.of(1.0) != prints.of("1") and prints.of(True) != prints.of(1)
    assert prints.of(Row("t", ("a",))) != prints.of(Row("t", ("b",)))
    assert prints.of({1, 2, 3}) == same.of({3, 2, 1})
    with pytest.raises(Unfingerprintable):
        prints.of([object()])
    # A post's neighbour counts, the neighbour's own neighbour only by what depth 2 gives.
    far = Post("far")
    near = Post("near", far)
    post = Post("post", near)
    before = Fingerprinter({Post: reduce_post}).of(post)
    near.title = "near, renamed"
    assert Fingerprinter({Post: reduce_post}).of(post) != before
    before = Fingerprinter({Post: reduce_post}).of(post)
    far.neighbour = Post("further")
    assert Fingerprinter({Post: reduce_post}).of(post) == before
    # One Fingerprinter's reused picklers give what fresh ones give, nested or not.
    busy = Fingerprinter({Post: reduce_post})
    chain = [Post(f"p{n}", Post(f"q{n}", Post(f"r{n}"))) for n in range(20)]
    first = [busy.of(each) for each in chain]
    assert first == [Fingerprinter({Post: reduce_post}).of(each) for each in chain]
    assert len(set(first)) == len(first)


def test_reads_are_recorded_through_macros_imported_with_context() -> None:
    env = Environment(
        loader=DictLoader(
            {
                "macros.html": "{% macro a() %}{{ used }}{% endmacro %}"
                "{% macro b() %}{{ unused }}{% endmacro %}",
                "page.html": "{% from 'macros.html' import a, b with context %}"
                "{% if flag %}{{ a() }}{% else %}{{ b() }}{% endif %}{{ title }}",
            }
        )
    )
    assert install_read_recording(env)
    with record_reads() as names:
        env.get_template("page.html").render(flag=True, title="T", used=1, unused=2)
    assert {"flag", "title", "used"} <= names and "unused" not in names
    with record_reads() as names:
        env.get_template("page.html").render(flag=False, title="T", used=1, unused=2)
    assert "unused" in names and "used" not in names


def test_a_filter_that_reads_the_whole_context_turns_recording_off() -> None:
    env = Environment(loader=DictLoader({"page.html": "{{ 1|everything }}"}))

    @pass_context
    def everything(context: object, value: object) -> str:
        return str(value)

    env.filters["everything"] = everything
    assert not install_read_recording(env)


def test_a_plain_value_s_fingerprint_made_when_read_holds_for_its_cached_copy() -> None:
    digest = render_digest_html(
        parse_digest((CONTENT / "posts" / "2026-11-links.md").read_text(encoding="utf-8")),
        lambda text: markdown.markdown(text, extensions=["extra"]),
    )
    read = render_plain_fingerprint(digest)
    cached = pickle.loads(pickle.dumps(digest))  # Pelican's content cache
    assert cached is not digest and render_plain_fingerprint(cached) == read
    plain = (DigestHtml, SectionHtml, EntryHtml)
    assert Fingerprinter(plain=plain).of(cached) == Fingerprinter(plain=plain).of(digest)
    known = Fingerprinter(plain=plain)
    known.know(cached, b"made when read..")  # taken as it is, not made again
    assert known.of(cached) != Fingerprinter(plain=plain).of(cached)
    edited = replace(digest, heading=digest.heading + "!")
    assert render_plain_fingerprint(edited) != read


def test_the_memo_round_trips_and_an_unreadable_one_is_empty() -> None:
    memo = PageMemo(
        {
            "a/index.html": Remembered("k1", frozenset({"x", "y"}), FileStamp(10, 20, 30)),
            "b/index.html": Remembered("k2", frozenset({"x", "y"}), FileStamp(11, 21, 31)),
            "feeds/all.atom.xml": Remembered("k3", frozenset(), FileStamp(1, 2, 3)),
        }
    )
    text = render_memo(memo)
    assert parse_memo(text) == memo
    assert text.count('"y"') == 1  # a set of names shared by pages is written once
    for broken in ("", "{", '{"version": 0, "pages": {}}', '{"version": 1, "pages": {"a": 1}}'):
        assert parse_memo(broken) == PageMemo()


IN_PROCESS = """
import json, pickle, sys, threading
from pathlib import Path
from pelican import signals
from pelican.log import init
from linkdigest.site.devbuild import SiteBuilder
from linkdigest.site.feeds import render_absolute_urls
from pelican.contents import Content

content, output, settings, edited = map(Path, sys.argv[1:5])
init(name="pelican")
loads = []
real_load = pickle.load


def counting(file, *args, **kwargs):
    if not str(getattr(file, "name", "")).endswith(".cache"):  # Jinja's compiled templates
        loads.append(file.name)
    return real_load(file, *args, **kwargs)


pickle.load = counting
search_threads = []  # how many indexing threads ran while Pelican's run was finishing


def at_finalized(_pelican):
    search_threads.append(sum(t.name.startswith("search") for t in threading.enumerate()))


signals.finalized.connect(at_finalized)
builder = SiteBuilder(content, output, settings)
report = {}
memoized = Content.__dict__["get_content"].cache  # Pelican's, keyed by the post object
first_posts = []
for step in ("first", "second", "third"):
    if step != "first":
        text = edited.read_text(encoding="utf-8")
        edited.write_text(text.replace("### [", f"### [{step} ", 1), encoding="utf-8")
    before = len(loads)
    outcome = builder.build()
    indexed = outcome.search.result().documents if outcome.search is not None else 0
    report[step] = {
        "ok": outcome.ok,
        "indexed": indexed,
        "search threads at finalized": search_threads[-1],
        "error": outcome.error,
        "loads": len(loads) - before,
        "feed copies kept": render_absolute_urls.cache_info().currsize,
        "memoized": len(memoized),
        "memoized of the first build": sum(
            any(key[0] is post for key in memoized) for post in first_posts
        ),
    }
    if step == "first":
        first_posts = [key[0] for key in memoized]
    if step == "second":
        builder.flush()
print(json.dumps(report))
"""


def test_builds_in_one_process_keep_the_content_cache_and_match_a_full_build(
    tmp_path: Path,
) -> None:
    """The devserver's builder: the second and third builds read no cache file back (the
    posts read stay loaded), the cache written by ``flush`` serves a later build in another
    process, and the output is a fresh full build's."""
    content, site = tmp_path / "content", tmp_path / "site"
    shutil.copytree(CONTENT, content)
    site.mkdir()
    settings = write_settings(site, content, site / "output", production=False)
    edited = content / POSTS / "2026-05-links.md"
    script = tmp_path / "builds.py"
    script.write_text(IN_PROCESS, encoding="utf-8")
    command = [sys.executable, str(script), str(content), str(site / "output"), str(settings)]
    result = subprocess.run(
        [*command, str(edited)], capture_output=True, text=True, timeout=600, cwd=site
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert all(step["ok"] for step in report.values()), report
    # Each build's index is made, and started only once Pelican's run had returned.
    assert all(step["indexed"] >= 10 for step in report.values()), report
    assert all(step["search threads at finalized"] == 0 for step in report.values()), report
    assert report["second"]["loads"] == 0 and report["third"]["loads"] == 0, report
    # Posts' HTML made absolute for the feeds is not carried from one build to the next,
    # nor Pelican's memo of each post's HTML (it kept every build's posts alive).
    assert all(step["feed copies kept"] == 0 for step in report.values()), report
    assert report["first"]["memoized"] > 0, report
    assert report["third"]["memoized of the first build"] == 0, report
    assert report["third"]["memoized"] <= report["first"]["memoized"], report
    fresh, *_ = build(content, tmp_path / "fresh")
    assert read_tree(site / "output") == read_tree(fresh.output)
    # The cache on disk (flushed after the second build, then the third build's edit is
    # read again from the file) serves `pelican` in a process of its own, pages and all.
    _, rendered, unchanged = build(content, site)
    assert unchanged > 50 and rendered < unchanged / 2, (rendered, unchanged)


def test_a_names_fingerprint_is_kept_only_while_it_holds_the_same_object() -> None:
    """of_named: the last value of each name kept (the same object on most pages), never
    taken for another value under that name."""
    fingerprints = Fingerprinter()
    posts = ["a", "b"]
    assert fingerprints.of_named("articles", posts) == fingerprints.of(["a", "b"])
    assert fingerprints.of_named("articles", posts) == fingerprints.of(posts)
    other = ["a", "c"]
    assert fingerprints.of_named("articles", other) == fingerprints.of(["a", "c"])
    assert fingerprints.of_named("articles", other) != fingerprints.of(posts)
    assert fingerprints.of_named("SITENAME", "x") != fingerprints.of_named("SITENAME", "y")
    assert fingerprints.of_named("SITENAME", "x") == fingerprints.of("x")
