"""Image sizes for content images, so pages reserve their space before images load.

Markdown's ``![alt](src)`` carries no dimensions; without them every image shifts the text
below it when it arrives. Sizes are read from the file headers (JPEG, PNG, GIF, WebP), with
no imaging library.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path

from linkdigest.site.references import Reference, resolve_reference

IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
SRC = re.compile(r'\bsrc="([^"]+)"')
INTRASITE = re.compile(r"^[{|](?P<kind>static|attach)[}|](?P<path>.+)$")
Size = tuple[int, int]
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def parse_image_size(data: bytes) -> Size | None:
    """Width and height from the first bytes of a JPEG, PNG, GIF or WebP file, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> Size | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        return width, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> Size | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in JPEG_SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def read_image_size(path: Path) -> Size | None:
    """The size of an image file, or None when it is missing or not a known format."""
    try:
        with path.open("rb") as handle:
            return parse_image_size(handle.read(65536))
    except OSError:
        return None


def resolve_content_image(src: str, content_root: str, source_path: str) -> Path | None:
    """The file behind an intrasite image source (``{static}/x.jpg``, ``{static}x.jpg``),
    resolved as every other reference of the post is; None for any other source."""
    match = INTRASITE.match(src)
    if not match:
        return None
    reference = Reference(0, match["kind"], match["path"])
    return Path(resolve_reference(reference, source_path, content_root))


def render_image_attributes(
    fragment: str, size_of: Callable[[str], Size | None], eager: int = 0
) -> str:
    """``width``/``height`` on each ``<img>`` that lacks them, ``decoding="async"``, and
    ``loading="lazy"`` on all but the first ``eager`` images (the ones likely on screen
    when the page opens). Images of unknown size get no dimensions."""
    seen = 0

    def add(match: re.Match[str]) -> str:
        nonlocal seen
        tag, seen = match.group(0), seen + 1
        src = SRC.search(tag)
        size = size_of(src.group(1)) if src and " width=" not in tag else None
        extra = f' width="{size[0]}" height="{size[1]}"' if size else ""
        if seen > eager and " loading=" not in tag:
            extra += ' loading="lazy"'
        if " decoding=" not in tag:
            extra += ' decoding="async"'
        closing = " />" if tag.endswith("/>") else ">"
        return tag[: -len(closing.strip())].rstrip() + extra + closing

    return IMG_TAG.sub(add, fragment) if "<img" in fragment else fragment
