"""Page decoding: a fetched page's bytes to text as a browser would read them, and better.

Pure. The order is the browser's (BOM, then the HTTP header, then ``<meta charset>``), with
two corrections for pages that lie: bytes that are valid UTF-8 and hold non-ASCII text are
read as UTF-8 whatever the ``<meta>`` says (the page was saved as UTF-8 and its template
kept an old label), and bytes labelled UTF-8 that are mostly not UTF-8 are windows-1252.
Unlabelled pages are UTF-8 when they decode as such, else detected; a detector's guess of
a rare Latin code page ("Naïve" read as cp1257) gives way to windows-1252, the WHATWG
default for Western text. Text that is already mojibake on the page (UTF-8 read as
windows-1252 before it was published) is repaired with ftfy, field by field.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    # UTF-32 LE before UTF-16 LE: its BOM starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers decode these labels with a superset, and pages labelled so rely on the extra
# characters (curly quotes in "iso-8859-1" pages, NEC symbols in "Shift_JIS" pages).
BROWSER_SUPERSETS = MappingProxyType(
    {
        "ascii": "cp1252",
        "iso8859-1": "cp1252",
        "iso8859-9": "cp1254",
        "tis-620": "cp874",
        "shift_jis": "cp932",
        "gb2312": "gb18030",
        "gbk": "gb18030",
        "euc_kr": "cp949",
    }
)
WESTERN_DEFAULT = "cp1252"
HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
META_CHARSET = re.compile(r"""<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
META_SCAN_BYTES = 4096
# A page that is UTF-8 in parts (a template in UTF-8, articles pasted from windows-1252, or
# the reverse) is read part by part: UTF-8 where the bytes are UTF-8, windows-1252 elsewhere.
MIXED_UTF8 = "linkdigest-utf8-else-cp1252"
# Share of an unlabelled page's non-ASCII bytes that must be valid UTF-8 to read it so.
UTF8_TRUST = 0.5
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# UTF-8 read as windows-1252: a lead byte's letter followed by a continuation byte's
# character. Cheap to look for, so ftfy (0.1 s to import) is only loaded when one is seen.
SYMBOL_IN_WORD = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f](?=[^\W\d_])")
MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    stray = error.object[error.start : error.end]
    # The five bytes windows-1252 leaves undefined are C1 controls to a browser too.
    return "".join(
        bytes([b]).decode(WESTERN_DEFAULT, errors="ignore") or chr(b) for b in stray
    ), error.end


codecs.register_error(MIXED_UTF8, _decode_as_cp1252)


def decode_html(body: bytes, headers: Mapping[str, str]) -> str:
    """The page's text, its charset chosen from the BOM, the header, ``<meta>``, the bytes."""
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    header = _label_encoding(HEADER_CHARSET, _content_type(headers))
    encoding = header or _meta_or_sniffed_encoding(body)
    if encoding in ("utf-8", MIXED_UTF8):
        return body.decode("utf-8", errors=MIXED_UTF8)
    return body.decode(encoding, errors="replace")


def repair_mojibake(text: str) -> str:
    """``text`` with UTF-8-read-as-windows-1252 sequences ("Ã©tÃ©") turned back ("été")."""
    if not MOJIBAKE_HINT.search(text):
        return text
    import ftfy  # lazy: most pages never need it, and it is slow to import

    return ftfy.fix_encoding(text)


def parse_browser_encoding(label: str) -> str:
    """The Python codec a browser would use for a charset label; "" for an unknown one."""
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return ""
    return BROWSER_SUPERSETS.get(name, name)


def _content_type(headers: Mapping[str, str]) -> str:
    return next((v for k, v in headers.items() if str(k).lower() == "content-type"), "")


def _label_encoding(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return parse_browser_encoding(match[1]) if match else ""


def _meta_or_sniffed_encoding(body: bytes) -> str:
    meta = _meta_encoding(body)
    utf8 = _utf8_share(body)
    if utf8 == 1.0 and (not meta or not body.isascii()):
        return "utf-8"  # valid UTF-8 with non-ASCII text: the bytes outvote the label
    if meta == "utf-8" or (not meta and utf8 >= UTF8_TRUST):
        return MIXED_UTF8
    return meta or _detected_encoding(body)


def _meta_encoding(body: bytes) -> str:
    encoding = _label_encoding(META_CHARSET, body[:META_SCAN_BYTES].decode("latin-1"))
    # A <meta> that could be read as ASCII cannot be true when it names UTF-16 or UTF-32:
    # browsers read such pages as UTF-8.
    return "utf-8" if encoding.startswith(("utf-16", "utf-32")) else encoding


def _utf8_share(body: bytes) -> float:
    """1.0 when ``body`` is valid UTF-8, else the share of its non-ASCII bytes that are."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        non_ascii = sum(byte >= 0x80 for byte in body)
        valid = sum(len(match) for match in UTF8_SEQUENCE.findall(body))
        return min(valid / non_ascii, 0.99) if non_ascii else 0.0
    return 1.0


def _detected_encoding(body: bytes) -> str:
    from charset_normalizer import from_bytes  # lazy: rarely needed

    best = from_bytes(body).best()
    guess = parse_browser_encoding(best.encoding) if best else ""
    if not guess or _prefer_western(body, guess):
        return WESTERN_DEFAULT
    return guess


def _prefer_western(body: bytes, guess: str) -> bool:
    """True when windows-1252 reads an unlabelled page at least as well as a Latin ``guess``.

    Any Latin code page turns Western bytes into some Latin letters ("Naïve" as cp1257 is
    "Naļve"), so a Latin guess only stands when windows-1252 would put symbols inside words
    ("Za¿ó³æ" for Polish cp1250) and the guess would not.
    """
    try:
        western = body.decode(WESTERN_DEFAULT)
    except UnicodeDecodeError:
        return False
    guessed = body.decode(guess, errors="replace")
    return _is_latin(guessed) and _symbols_in_words(western) <= _symbols_in_words(guessed)


def _is_latin(text: str) -> bool:
    letters = [c for c in text if ord(c) > 0x7F and c.isalpha()]
    latin = sum(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    return not letters or latin / len(letters) > 0.5


def _symbols_in_words(text: str) -> int:
    return len(SYMBOL_IN_WORD.findall(text))
