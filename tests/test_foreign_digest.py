"""A digest written for another Pelican theme renders right with ours.

The fixture is written the way such digests are: its own front-matter keys (Subtitle,
Og_Image), a Header_Cover whose image is not there, video embeds in the wrappers other themes
use (videoWrapper, fluid-width-video-wrapper with embed-responsive inside, a bare paragraph)
and a stray ``\\]`` after an image. Our player replaces each embed, and nothing of the
author's embed is left behind as an empty box; a missing cover gives no image at all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import Build

pytestmark = pytest.mark.slow  # builds whole sites with Pelican

FIXTURE = Path(__file__).parent / "fixtures" / "foreign"
PAGE = "posts/2019/05/may-2019-links/index.html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WRAPPERS = ".videoWrapper, .embed-responsive, .fluid-width-video-wrapper, .embed-responsive-item"


def fixture_files() -> dict[str, str | bytes]:
    return {
        str(path.relative_to(FIXTURE)): path.read_bytes()
        for path in FIXTURE.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def foreign(tiny_site) -> Build:
    build = tiny_site(fixture_files())
    assert build.returncode == 0, build.log
    return build


def cards(build: Build) -> list[BeautifulSoup]:
    page = BeautifulSoup(build.read(PAGE), "html.parser")
    return page.select("article.link-card")


def test_each_video_has_our_player_and_nothing_of_the_authors(foreign: Build) -> None:
    videos = [card for card in cards(foreign) if card.select("iframe")]
    assert len(videos) == 3
    for card in videos:
        frames = card.select("iframe")
        assert len(frames) == 1 and frames[0].parent.get("class") == ["video-embed"]
        assert frames[0]["src"].startswith(
            ("https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/")
        )
        assert not card.select(WRAPPERS)
        for element in card.select(".link-extra *, .link-extra"):
            assert element.get_text(strip=True) or element.find(["img", "iframe"]), element
    notes = [card.select_one(".link-extra") for card in videos]
    assert [n.get_text(strip=True) if n else None for n in notes] == [
        None,
        "A note of mine under the video, which stays.",
        None,
    ]


def test_a_missing_cover_gives_no_image_and_no_social_image(foreign: Build) -> None:
    assert "Header_Cover image '/images/posts/2019/may-cover.jpg' does not exist" in foreign.log
    assert "2019-05-links.md:10: " in foreign.log  # the Header_Cover line
    page = BeautifulSoup(foreign.read(PAGE), "html.parser")
    assert not page.select("img.cover")
    home = BeautifulSoup(foreign.read("index.html"), "html.parser")
    assert not home.select("img.feature-cover")
    for document in (page, home):
        for selector in ('meta[property="og:image"]', 'meta[name="twitter:image"]'):
            assert document.select_one(selector)["content"].endswith("/images/avatar.jpg")
        assert "may-cover" not in str(document)
    data = json.loads(page.select_one('script[type="application/ld+json"]').string)
    assert data["image"].endswith("/images/avatar.jpg")


def test_stray_markdown_after_an_image_is_warned_about(foreign: Build) -> None:
    assert "2019-05-links.md:13: stray ']' right after an image" in foreign.log


def test_the_other_themes_keys_are_no_typos(foreign: Build) -> None:
    assert "did you mean" not in foreign.log


def test_an_existing_cover_in_other_forms_is_used(tiny_site) -> None:
    files = fixture_files()
    text = files["posts/2019-05-links.md"].decode()  # type: ignore[union-attr]
    text = text.replace("/images/posts/2019/may-cover.jpg", "{static}/images/posts/2019/park.png")
    files["posts/2019-05-links.md"] = text.replace("\\]", "")
    build = tiny_site(files, production=True, fatal=True)
    assert build.returncode == 0, build.log
    page = BeautifulSoup(build.read(PAGE), "html.parser")
    assert (
        page.select_one("img.cover")["src"]
        == "https://links.example.org/images/posts/2019/park.png"
    )
    og = page.select_one('meta[property="og:image"]')["content"]
    assert og == "https://links.example.org/images/posts/2019/park.png"


# Every element of a video's card that takes up room but shows nothing: no text, no image,
# no frame. The author's wrappers were such boxes (a 56.25% padded div under each video).
MEASURE = """
<script>
  addEventListener("load", () => {
    const empty = [];
    document.querySelectorAll("article.link-card").forEach((card, index) => {
      card.querySelectorAll("*").forEach((el) => {
        const box = el.getBoundingClientRect();
        const shows = el.textContent.trim() || el.matches("img, iframe, svg")
          || el.querySelector("img, iframe, svg");
        if (box.height > 1 && !shows) empty.push([index, el.tagName, el.className, box.height]);
      });
    });
    const frames = [...document.querySelectorAll(".link-card iframe")].map(
      (f) => Math.round(f.getBoundingClientRect().width / f.getBoundingClientRect().height * 100));
    document.body.dataset.probe = JSON.stringify({ empty, frames });
  });
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (CI installs none): skipped")
def test_no_empty_box_is_left_in_a_real_browser(foreign: Build, tmp_path: Path) -> None:
    page = foreign.output / PAGE
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"))
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2000",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    body = BeautifulSoup(result.stdout, "html.parser").body
    assert body is not None and body.get("data-probe"), result.stderr[-2000:]
    probe_data = json.loads(body["data-probe"])
    assert probe_data["empty"] == []
    assert probe_data["frames"] == [178, 178, 178]  # three 16:9 players, one per video
