"""Content Pelican would misread: never published by mistake, always a reason with file:line.

A front matter that cannot be read whole, a date that is no date, bytes that are not UTF-8:
the preview shows the post as a draft with a warning, production refuses to build, and the
scripts name the same place in one line. A Markdown file no setting reads is named too.
"""

from __future__ import annotations

import pytest

from scripts.links import main as links_main
from tests.conftest import Build

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

FINE = "Title: Fine\nDate: 2026-01-01\nCategory: notes\n\nText.\n"
BROKEN_BEFORE_DRAFT = (
    "Title: Secret plans\nDate: 2026-02-01\nCategory notes\nStatus: draft\n\nNot yet.\n"
)
BROKEN_NO_STATUS = "Title: Half read\nDate: 2026-02-01\nTags links\nCategory: notes\n\nBody.\n"


def published_paths(build: Build) -> list[str]:
    return sorted(
        str(p.relative_to(build.output)) for p in (build.output / "posts").rglob("index.html")
    )


def feeds_text(build: Build) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (build.output / "feeds").rglob("*.xml"))


@pytest.mark.parametrize("text", [BROKEN_BEFORE_DRAFT, BROKEN_NO_STATUS], ids=["draft", "none"])
def test_broken_front_matter_is_never_published(tiny_site, text: str) -> None:
    files = {"posts/broken.md": text, "posts/fine.md": FINE}
    preview = tiny_site(files)
    assert preview.returncode == 0
    assert "posts/broken.md:3: front matter line is not 'Key: value'" in preview.log
    assert published_paths(preview) == ["posts/2026/01/fine/index.html"]
    assert (preview.output / "drafts").is_dir()  # shown as a draft while previewing
    title = text.split("\n")[0].removeprefix("Title: ")
    assert title not in feeds_text(preview)
    production = tiny_site(files, production=True)
    assert title not in feeds_text(production) and title not in production.read("index.html")
    fatal = tiny_site(files, production=True, fatal=True)
    assert fatal.returncode != 0 and "posts/broken.md:3: " in fatal.log


def test_a_post_meant_for_publishing_says_it_is_held_back(tiny_site) -> None:
    build = tiny_site({"posts/broken.md": BROKEN_NO_STATUS})
    assert "posts/broken.md:3: this post is held back as a draft" in build.log


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Title: T\nDate: 2026-13-45\n\nBody.\n", 2, "Date '2026-13-45' is not a date"),
        (
            "Title: T\nDate: 2026-01-01\nModified: yesterday\n\nBody.\n",
            3,
            "Modified 'yesterday' is not a date",
        ),
        ("Title: T\nDate: 2026-01-01\nSatus: draft\n\nBody.\n", 3, "did you mean 'Status'?"),
        ("Title: T\nDate: 2026-01-01\nTag: python\n\nBody.\n", 3, "did you mean 'Tags'?"),
        ("Title: T\nDate: 2026-01-01\nCatgory: notes\n\nBody.\n", 3, "did you mean 'Category'?"),
    ],
)
def test_content_errors_name_the_line_and_what_to_do(
    tiny_site, text: str, line: int, message: str
) -> None:
    files = {"posts/post.md": text, "posts/fine.md": FINE}
    preview = tiny_site(files)
    assert preview.returncode == 0
    assert f"posts/post.md:{line}: " in preview.log and message in preview.log
    assert "Could not process" not in preview.log
    fatal = tiny_site(files, production=True, fatal=True)
    assert fatal.returncode != 0 and f"posts/post.md:{line}: " in fatal.log


def test_a_bad_date_is_held_back_not_dropped(tiny_site) -> None:
    build = tiny_site({"posts/post.md": "Title: Dated\nDate: 2026-13-45\n\nBody.\n"})
    assert "held back as a draft" in build.log
    assert (build.output / "drafts" / "dated" / "index.html").is_file()


def test_unknown_keys_a_theme_reads_can_be_declared(tiny_site) -> None:
    files = {"posts/post.md": "Title: T\nDate: 2026-01-01\nSatus: custom\n\nBody.\n"}
    build = tiny_site(files, extra="DIGEST_METADATA_KEYS = ['satus']\n")
    assert "did you mean" not in build.log


def test_keys_other_themes_use_are_not_typos(tiny_site) -> None:
    text = "Title: T\nDate: 2026-01-01\nSubtitle: s\nOg_Image: x.png\nCover: c.jpg\n\nBody.\n"
    build = tiny_site({"posts/post.md": text})
    assert "did you mean" not in build.log


NOT_UTF8 = b"Title: Caf\xc3\xa9\nDate: 2026-01-01\n\nA line.\nLe caf\xe9 est ferm\xe9.\n"


def test_bytes_that_are_not_utf8_name_the_line(tiny_site) -> None:
    files: dict[str, str | bytes] = {"posts/latin.md": NOT_UTF8, "posts/fine.md": FINE}
    preview = tiny_site(files)
    assert preview.returncode == 0
    assert "posts/latin.md:5: not UTF-8: byte 0xE9 at column 7" in preview.log
    assert "save the file as UTF-8" in preview.log
    assert "Could not process" not in preview.log
    assert published_paths(preview) == ["posts/2026/01/fine/index.html"]
    fatal = tiny_site(files, production=True, fatal=True)
    assert fatal.returncode != 0 and "posts/latin.md:5: not UTF-8" in fatal.log


def test_a_byte_order_mark_is_fine(tiny_site) -> None:
    build = tiny_site(
        {"posts/bom.md": b"\xef\xbb\xbf" + FINE.encode()}, production=True, fatal=True
    )
    assert build.returncode == 0, build.log
    assert "Fine" in build.read("posts/2026/01/fine/index.html")


def test_the_link_checker_names_the_line_of_bad_bytes(tmp_path, capsys) -> None:
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "latin.md").write_bytes(NOT_UTF8)
    settings = tmp_path / "linkdigest.toml"
    settings.write_text("", encoding="utf-8")
    code = links_main(["--content", str(tmp_path / "content"), "--settings", str(settings)])
    err = capsys.readouterr().err
    assert code == 1
    assert "latin.md:5: not UTF-8: byte 0xE9 at column 7" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_markdown_no_setting_reads_is_named(tiny_site) -> None:
    files = {
        "posts/fine.md": FINE,
        "notes/stray.md": FINE.replace("Fine", "Stray"),
        "stray-at-root.md": FINE.replace("Fine", "Root"),
        "images/README.md": "Static files are copied, not read: this is fine.\n",
        "pages/about.md": "Title: About\n\nMe.\n",
    }
    build = tiny_site(files)
    assert build.returncode == 0
    assert "notes/stray.md is not read by any setting" in build.log
    assert "stray-at-root.md is not read by any setting" in build.log
    assert "ARTICLE_PATHS (posts)" in build.log
    assert "README.md" not in build.log and "about.md" not in build.log
    fatal = tiny_site(files, production=True, fatal=True)
    assert fatal.returncode != 0 and "is not read by any setting" in fatal.log


def test_metadata_is_read_as_pelican_reads_it(tiny_site) -> None:
    """A second date is dropped with Pelican's warning; the summary is Markdown."""
    text = "Title: T\nDate: 2026-01-01\nDate: 2027-01-01\nSummary: *so*\nCategory: notes\n\nB.\n"
    build = tiny_site({"posts/twice.md": text})
    assert "Duplicate definition of `date`" in build.log and "twice.md" in build.log
    assert published_paths(build) == ["posts/2026/01/t/index.html"]
    assert "<em>so</em>" in build.read("index.html")
