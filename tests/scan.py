"""A scanner for hostile payloads in every file of a built site.

It reads each output file the way its consumer does: HTML as a browser tokenises it
(``html.parser``), feeds as XML whose HTML-bearing elements are HTML again, JSON as data that
pages may embed, and Pagefind's compressed fragments as the JSON the search page reads. It
reports anything that would run or load something the site did not put there: a script or
frame that is not ours, an event-handler attribute, a ``javascript:``/``vbscript:``/``data:``
URL, a template expression that was evaluated, and raw ``<``/``>`` in JSON.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

# Every payload's template syntax multiplies to this; finding it anywhere means a template
# engine evaluated text it was handed.
EVALUATED = "13434337"
TEMPLATE_PAYLOAD = "{{ 7*1919191 }}"

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "background",
    "data",
    "xlink:href",
    "srcset",
}
BAD_SCHEMES = re.compile(r"^(?:javascript|vbscript|data):", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x20]+")
# Inline SVG is fine (the theme's icons); its animation and foreign-content elements are not.
FORBIDDEN_TAGS = {
    "object",
    "embed",
    "applet",
    "base",
    "frame",
    "frameset",
    "math",
    "animate",
    "set",
    "foreignobject",
    "use",
    "handler",
}
OUR_EMBEDS = ("https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/")
PAGEFIND_PREFIX = b"pagefind_dcd"


def _scheme_of(value: str) -> str:
    return CONTROL.sub("", value)


class _PageScanner(HTMLParser):
    def __init__(self, where: str, theme_scripts: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.where = where
        self.theme_scripts = theme_scripts
        self.findings: list[str] = []
        self.in_script: str | None = None
        self.script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.findings.append(f"{self.where}: <{tag} {name}=...> event handler")
            if name in URL_ATTRIBUTES and BAD_SCHEMES.match(_scheme_of(value)):
                self.findings.append(f"{self.where}: <{tag} {name}={value!r}> script URL")
        if tag in FORBIDDEN_TAGS:
            self.findings.append(f"{self.where}: <{tag}> element")
        if tag == "iframe" and not values.get("src", "").startswith(OUR_EMBEDS):
            self.findings.append(f"{self.where}: <iframe src={values.get('src')!r}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.findings.append(f"{self.where}: <meta http-equiv=refresh>")
        if tag == "script":
            self._start_script(values)

    def _start_script(self, values: dict[str, str]) -> None:
        src, kind = values.get("src", ""), values.get("type", "")
        if kind == "application/ld+json" and not src:
            self.in_script = "json"
        elif src and any(src.endswith(ours) for ours in self.theme_scripts):
            self.in_script = "ours"
        else:
            self.findings.append(f"{self.where}: <script src={src!r} type={kind!r}>")
            self.in_script = "foreign"
        self.script_text = []

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or not self.in_script:
            return
        text = "".join(self.script_text)
        if self.in_script == "json":
            try:
                json.loads(text)
            except ValueError:
                self.findings.append(f"{self.where}: JSON-LD is not JSON (broken out of?)")
            if "<" in text:
                self.findings.append(f"{self.where}: raw '<' inside JSON-LD")
        elif text.strip():
            self.findings.append(f"{self.where}: inline script {text[:60]!r}")
        self.in_script = None


def scan_html(text: str, where: str, theme_scripts: tuple[str, ...] = ()) -> list[str]:
    """Findings in one HTML document or fragment."""
    scanner = _PageScanner(where, theme_scripts)
    scanner.feed(text)
    scanner.close()
    return scanner.findings


def scan_feed(text: str, where: str) -> list[str]:
    """Findings in an Atom/RSS feed or sitemap: XML that parses, and the text of every
    element scanned as HTML (what a lenient reader would render must not run)."""
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as error:
        return [f"{where}: not well-formed XML ({error})"]
    findings: list[str] = []
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        value = element.text or ""
        # HTML-bearing elements are HTML; the text ones (titles, names, categories) are
        # rendered as HTML by lenient readers, so neither may hold anything that runs.
        findings += scan_html(value, f"{where} <{name}>")
        for attribute, attribute_value in element.attrib.items():
            if attribute in ("href", "src", "url") and BAD_SCHEMES.match(attribute_value):
                findings.append(f"{where}: <{name} {attribute}={attribute_value!r}>")
        if name in ("loc", "link", "id", "guid") and BAD_SCHEMES.match(value.strip()):
            findings.append(f"{where}: <{name}>{value}")
    return findings


def _strings(value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            for found_key, text in _strings(item):
                yield found_key or str(key), text
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield "", value


def scan_json(text: str, where: str) -> list[str]:
    """JSON that any page could embed as it is: no raw '<' or '>', no script URLs."""
    findings = [f"{where}: raw {char!r} in JSON" for char in "<>" if char in text]
    try:
        data = json.loads(text)
    except ValueError as error:
        return [*findings, f"{where}: not JSON ({error})"]
    for key, value in _strings(data):
        if key in ("url", "href", "link") and BAD_SCHEMES.match(_scheme_of(value)):
            findings.append(f"{where}: {key} {value!r}")
    return findings


def scan_pagefind_fragment(data: bytes, where: str) -> list[str]:
    """A Pagefind fragment: the text a search page shows of a result. Its ``content`` (from
    which Pagefind builds excerpts, as HTML) and ``meta`` must hold escaped text, never a
    tag. Anchor texts are the exception: Pagefind decodes heading text to plain text there
    whatever the page says, and hands it to pages only as a sub-result's title, which its
    own UI escapes and our search.js sets as textContent."""
    raw = gzip.decompress(data)
    if raw.startswith(PAGEFIND_PREFIX):
        raw = raw[len(PAGEFIND_PREFIX) :]
    fragment = json.loads(raw)
    fragment.pop("anchors", None)
    findings = []
    for key, value in _strings(fragment):
        if re.search(r"<[A-Za-z!/]", value):
            findings.append(f"{where}: {key or 'text'} holds markup {value[:80]!r}")
        if key == "url" and BAD_SCHEMES.match(_scheme_of(value)):
            findings.append(f"{where}: url {value!r}")
    return findings


def scan_site(output: Path) -> list[str]:
    """Every finding in every file under ``output``."""
    theme_scripts = tuple(
        "/theme/js/" + path.name for path in (output / "theme" / "js").glob("*.js")
    )
    findings: list[str] = []
    for path in sorted(output.rglob("*")):
        if not path.is_file():
            continue
        where = str(path.relative_to(output))
        data = path.read_bytes()
        findings += _scan_file(path, data, where, theme_scripts)
    return findings


def _scan_file(path: Path, data: bytes, where: str, theme_scripts: tuple[str, ...]) -> list[str]:
    if path.suffix == ".pf_fragment":
        return scan_pagefind_fragment(data, where)
    if EVALUATED.encode() in data:
        return [f"{where}: a template expression was evaluated ({EVALUATED})"]
    if path.suffix in (".js", ".css", ".pagefind", ".pf_meta", ".pf_index", ".pf_filter"):
        return []  # the theme's own assets and Pagefind's binary index
    text = data.decode("utf-8")
    if path.suffix == ".html":
        return scan_html(text, where, theme_scripts)
    if path.suffix == ".xml":
        return scan_feed(text, where)
    if path.suffix == ".json":
        return scan_json(text, where)
    return []
