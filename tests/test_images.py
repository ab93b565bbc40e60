"""Image sizes from file headers, and the attributes added to content images."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from linkdigest.site.images import (
    parse_image_size,
    read_image_size,
    render_image_attributes,
    resolve_content_image,
)
from linkdigest.site.navigation import pair_neighbours
from tests.conftest import CONTENT


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(header))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    sof = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, height, width, 1) + bytes(3)
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(640, 480), (640, 480)),
        (b"GIF89a" + struct.pack("<HH", 32, 16) + bytes(10), (32, 16)),
        (jpeg(1200, 400), (1200, 400)),
        (b"RIFF\x00\x00\x00\x00WEBPVP8X" + bytes(8) + (99).to_bytes(3, "little") * 2, (100, 100)),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"\xff\xd8\x00\x00", None),
        (b"", None),
    ],
)
def test_parse_image_size(data: bytes, size: tuple[int, int] | None) -> None:
    assert parse_image_size(data) == size


def test_every_example_image_has_a_size() -> None:
    for path in (CONTENT / "images").rglob("*.jpg"):
        assert read_image_size(path), path
    assert read_image_size(CONTENT / "images" / "missing.jpg") is None


def test_resolve_content_image(tmp_path: Path) -> None:
    here = tmp_path / "posts"
    post = str(here / "post.md")
    assert resolve_content_image("{static}/images/a.jpg", str(tmp_path), post) == (
        tmp_path / "images/a.jpg"
    )
    assert resolve_content_image("{static}a.jpg?v=2", str(tmp_path), post) == here / "a.jpg"
    assert resolve_content_image("|attach|b.png", str(tmp_path), post) == here / "b.png"
    assert resolve_content_image("https://example.org/a.jpg", str(tmp_path), post) is None


def test_render_image_attributes() -> None:
    sizes = {"{static}/a.jpg": (800, 450), "{static}/b.jpg": (10, 20)}
    html = (
        '<p><img alt="A" src="{static}/a.jpg"></p><img alt="B" src="{static}/b.jpg" />'
        '<img alt="C" src="https://example.org/c.png"><img alt="D" src="{static}/a.jpg" width="5">'
    )
    result = render_image_attributes(html, sizes.get, eager=1)
    assert '<img alt="A" src="{static}/a.jpg" width="800" height="450" decoding="async">' in result
    assert (
        'src="{static}/b.jpg" width="10" height="20" loading="lazy" decoding="async" />' in result
    )
    assert '<img alt="C" src="https://example.org/c.png" loading="lazy" decoding="async">' in result
    assert 'width="5" loading="lazy" decoding="async">' in result
    assert render_image_attributes("<p>no images</p>", sizes.get) == "<p>no images</p>"


@pytest.mark.parametrize(
    ("items", "pairs"),
    [
        ([], []),
        (["a"], [(None, None)]),
        (["a", "b", "c"], [(None, "b"), ("a", "c"), ("b", None)]),
    ],
)
def test_pair_neighbours(items: list[str], pairs: list[tuple[str | None, str | None]]) -> None:
    assert pair_neighbours(items) == pairs
