"""The email edition of a published digest: one message, HTML and plain text, that mail
clients keep, written to a folder of its own and sent only when asked, once.

The digest is read and rendered as the site renders it (the same parser, Markdown settings
and sanitizer), then laid out for mail: the theme's ``email/digest.html`` with its CSS
inlined (css-inline), absolute URLs everywhere, a video as a linked thumbnail, no script,
frame, form or web font, at most ``max_html_bytes`` (Gmail clips messages above 102 KB: a
longer digest gets shorter summaries, and says so). The plain-text part numbers the entries
and lists their URLs under each section, wrapped at 72 columns.

A send is recorded (atomically, beside the edition) only once the server or the service
said yes, so an edition is never sent twice without ``resend`` and a send that failed
halfway can simply be run again.
"""

from __future__ import annotations

import hashlib
import json
import re
import smtplib
import ssl
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import css_inline
from jinja2 import Environment, FileSystemLoader
from markdown import Markdown
from markupsafe import Markup

from linkdigest.errors import ConfigError, ContentError, DeployError
from linkdigest.files import read_content_text, write_text_atomic
from linkdigest.format.digest import Digest, is_digest, parse_digest, parse_front_matter
from linkdigest.format.text import render_plain_text
from linkdigest.format.urls import parse_youtube_id
from linkdigest.settings import parse_table
from linkdigest.site.html import DigestHtml, EntryHtml, map_digest_html, render_digest_html
from linkdigest.site.images import read_image_size, resolve_content_image
from linkdigest.site.sanitize import render_safe_digest

MAX_HTML_BYTES = 102_000  # Gmail clips a message whose HTML is larger (102 KB)
WRAP = 72
SUMMARY_STEPS = (600, 400, 280, 200, 140, 100, 60)  # characters, tried in turn when too long
URL_ATTRIBUTE = re.compile(r"""(?P<lead>\s(?:href|src)\s*=\s*)(?P<q>["'])(?P<url>.*?)(?P=q)""")
INTRASITE = re.compile(r"^[{|](?P<kind>static|attach|filename)[}|](?P<path>.*)$")
IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# Control characters (terminal escapes among them) have no place in a message: text from
# the web could carry them into a reader's terminal or mail client.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
UNSIZED = re.compile(r"^(?![^>]*\bwidth=)|^(?![^>]*\bheight=)", re.IGNORECASE)


@dataclass(frozen=True)
class NewsletterSettings:
    """The ``[newsletter]`` table: who it is from, the list's headers, where editions go,
    and how they are sent (SMTP with STARTTLS, or a newsletter service's HTTP API)."""

    sender: str = ""  # "Sam Rivera <links@example.org>"
    reply_to: str = ""
    to: str = ""  # for SMTP: the list's address (a mailing list or a service's inbox)
    list_id: str = ""  # "Links & Notes <links.example.org>"
    unsubscribe_url: str = ""  # https: one-click (RFC 8058)
    unsubscribe_mailto: str = ""
    folder: str = "newsletters"  # relative to the settings file; never inside output/
    max_html_bytes: int = MAX_HTML_BYTES
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user_env: str = "LINKDIGEST_SMTP_USER"
    smtp_password_env: str = "LINKDIGEST_SMTP_PASSWORD"
    api_url: str = ""  # a service's endpoint that takes the edition as JSON
    api_token_env: str = "LINKDIGEST_NEWSLETTER_TOKEN"
    base: Path = field(default=Path("."), compare=False)


def parse_newsletter_settings(
    data: Mapping[str, Any], source: str = "<settings>"
) -> NewsletterSettings:
    """The ``[newsletter]`` table, checked once: addresses, URLs and the folder."""
    values = parse_table(
        data.get("newsletter", {}), NewsletterSettings, source, "newsletter", ("base",)
    )
    settings = NewsletterSettings(**values, base=Path(source).resolve().parent)
    for name in ("sender", "reply_to", "to"):
        value = getattr(settings, name)
        if value and "@" not in parseaddr(value)[1]:
            raise ConfigError(source, None, f"[newsletter] {name} = {value!r} is not an address")
    for name in ("unsubscribe_url", "api_url"):
        value = getattr(settings, name)
        if value and urlsplit(value).scheme != "https" and not _is_local(value):
            raise ConfigError(source, None, f"[newsletter] {name} must be an https URL")
    return settings


def _is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "").startswith(("127.", "localhost"))


@dataclass(frozen=True)
class Site:
    """What an edition needs from the Pelican settings."""

    name: str
    url: str  # absolute, no trailing slash
    author: str
    lang: str
    content: Path
    category: str
    markdown: Mapping[str, Any]
    article_url: Callable[[Mapping[str, str], str], str]  # (metadata, source) -> site path


@dataclass(frozen=True)
class Edition:
    """One email edition, ready to write or send."""

    month: str
    subject: str
    html: str
    text: str
    message_id: str
    web_url: str
    shortened: int = 0  # characters the summaries were cut to (0: not cut)

    def message(self, settings: NewsletterSettings, now: float | None = None) -> EmailMessage:
        return render_message(self, settings, now)


def find_digest_source(site: Site, month: str) -> tuple[Path, str]:
    """The published digest of ``month`` (``YYYY-MM``): its file and text."""
    found = []
    for path in sorted(site.content.rglob("*.md")):
        text = read_content_text(path)
        meta = parse_front_matter(text.splitlines()).metadata
        if is_digest(meta, site.category) and meta.get("date", "").startswith(month):
            found.append((path, text, meta.get("status", "published").strip().lower()))
    published = [(path, text) for path, text, status in found if status == "published"]
    if published:
        return published[-1]
    if found:
        raise ContentError(
            str(found[-1][0]), None, f"the digest of {month} is a {found[-1][2]}, not published: "
            "only a published digest goes out as an email"
        )  # fmt: skip
    raise ContentError(str(site.content), None, f"no digest dated {month} here; check MONTH")


def render_edition(
    site: Site, path: Path, text: str, month: str, settings: NewsletterSettings
) -> Edition:
    """The edition of the digest in ``path``: HTML within the size budget, and text."""
    digest = parse_digest(text)
    meta = digest.metadata
    web_url = _absolute(site, site.article_url(meta, str(path)))
    rendered = _render_digest(site, path, digest)
    subject = meta.get("title", f"{site.name}: {month}")
    message_id = render_message_id(site, month, meta.get("slug", month))
    text_part = CONTROL.sub("", render_text(site, subject, web_url, rendered))
    base = Edition(month, subject, "", text_part, message_id, web_url)
    for limit in (0, *SUMMARY_STEPS):
        html = CONTROL.sub(
            "", render_html(site, subject, web_url, _shorten(rendered, limit), meta, settings)
        )
        if len(html.encode("utf-8")) <= settings.max_html_bytes:
            return replace(base, html=html, shortened=limit)
    raise ContentError(
        str(path), None, f"the email would be {len(html.encode()):,} bytes even with summaries "
        f"of {SUMMARY_STEPS[-1]} characters (Gmail clips above {settings.max_html_bytes:,}): "
        "split the digest or raise [newsletter] max_html_bytes"
    )  # fmt: skip


def _render_digest(site: Site, path: Path, digest: Digest) -> DigestHtml:
    md = Markdown(**site.markdown)

    def convert(text: str) -> str:
        md.reset()
        return str(md.convert(text))

    rendered = render_safe_digest(render_digest_html(digest, convert), "")
    return map_digest_html(rendered, lambda f: render_mail_fragment(f, site, path))


def render_mail_fragment(fragment: str, site: Site, path: Path) -> str:
    """A fragment as mail needs it: every URL absolute (intrasite references resolved), and
    images with a width and height (read from the file; an image without both is dropped
    for its alt text, since a mail client would lay it out at any size)."""

    def absolute(match: re.Match[str]) -> str:
        return f"{match['lead']}{match['q']}{_resolve(match['url'], site, path)}{match['q']}"

    sized = IMG.sub(lambda m: _sized_image(m.group(0), site, path), fragment)
    return URL_ATTRIBUTE.sub(absolute, sized)


def _sized_image(tag: str, site: Site, path: Path) -> str:
    src = re.search(r'\bsrc="([^"]*)"', tag)
    size = None
    if src:
        file = resolve_content_image(src.group(1), str(site.content), str(path))
        size = read_image_size(file) if file else None
    if size is None and UNSIZED.search(tag):
        alt = re.search(r'\balt="([^"]*)"', tag)
        return alt.group(1) if alt else ""
    if size is None:
        return tag
    width, height = size
    if width > 560:  # the column's width, less its padding
        width, height = 560, round(height * 560 / width)
    tag = re.sub(r'\s(?:width|height|loading|decoding)="[^"]*"', "", tag)
    return tag[:-1].rstrip("/ ") + f' width="{width}" height="{height}">'


def _resolve(url: str, site: Site, path: Path) -> str:
    match = INTRASITE.match(url)
    if match and match["kind"] in ("static", "attach"):
        relative = Path(match["path"].split("?")[0].split("#")[0])
        target = (
            relative.relative_to("/")
            if match["path"].startswith("/")
            else path.parent.relative_to(site.content) / relative
        )
        return f"{site.url}/{target.as_posix()}"
    if match:  # {filename}: the page of another post
        target_path, _, fragment = match["path"].partition("#")
        return _absolute(site, _linked_article(site, path, target_path)) + (
            f"#{fragment}" if fragment else ""
        )
    return urljoin(site.url + "/", url)


def _linked_article(site: Site, path: Path, target: str) -> str:
    file = (site.content / target.lstrip("/")) if target.startswith("/") else path.parent / target
    if not file.is_file():
        return ""
    meta = parse_front_matter(read_content_text(file).splitlines()).metadata
    return site.article_url(meta, str(file))


def _absolute(site: Site, site_path: str) -> str:
    return urljoin(site.url + "/", site_path.lstrip("/"))


def _shorten(digest: DigestHtml, limit: int) -> DigestHtml:
    if not limit:
        return digest
    sections = tuple(
        replace(
            section,
            entries=tuple(
                replace(entry, summary_html=Markup(_cut(entry.summary_html, limit)))
                for entry in section.entries
            ),
        )
        for section in digest.sections
    )
    return replace(digest, sections=sections)


def _cut(fragment: str, limit: int) -> str:
    text = render_plain_text(fragment)
    if len(text) <= limit:
        return fragment
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return str(Markup("<p>{}</p>").format(cut))


def render_html(
    site: Site,
    subject: str,
    web_url: str,
    digest: DigestHtml,
    meta: Mapping[str, str],
    settings: NewsletterSettings,
) -> str:
    """The HTML part: the theme's mail template, its CSS inlined (media queries kept)."""
    environment = Environment(
        loader=FileSystemLoader(str(_theme_templates())),
        autoescape=True,
        keep_trailing_newline=True,
    )
    page = environment.get_template("email/digest.html").render(
        lang=site.lang,
        subject=subject,
        summary=render_plain_text(meta.get("summary", "")),
        site_name=site.name,
        site_url=site.url,
        site_host=urlsplit(site.url).hostname or site.url,
        author=site.author,
        web_url=web_url,
        link_count=digest.link_count,
        intro_html=digest.intro_html,
        sections=[_mail_section(section) for section in digest.sections],
        unsubscribe_url=settings.unsubscribe_url,
        reply_to=settings.reply_to,
    )
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return str(inliner.inline(page))


def _mail_section(section: Any) -> dict[str, Any]:
    return {
        "title": section.title,
        "prose_html": section.prose_html,
        "entries": [_mail_entry(entry) for entry in section.entries],
    }


def _mail_entry(entry: EntryHtml) -> dict[str, Any]:
    video = parse_youtube_id(entry.url) if entry.url else None
    return {
        "title": entry.title,
        "title_html": entry.title_html,
        "url": entry.url,
        "domain": entry.domain,
        "summary_html": entry.summary_html,
        # YouTube's 16:9 still (320 x 180); a Vimeo video has none without its API: a link.
        "thumbnail": f"https://i.ytimg.com/vi/{video}/mqdefault.jpg" if video else "",
    }


def _theme_templates() -> Path:
    import linkdigest

    return Path(linkdigest.theme_path()) / "templates"


def render_text(site: Site, subject: str, web_url: str, digest: DigestHtml) -> str:
    """The plain-text part: readable as it is, every line at most 72 columns (URLs aside)."""
    lines = [subject, "=" * min(len(subject), WRAP), ""]
    for paragraph in render_paragraphs(digest.intro_html):
        lines += [*textwrap.wrap(paragraph, WRAP), ""]
    lines += [f"Read on the web: {web_url}", ""]
    number = 0
    for section in digest.sections:
        urls: list[str] = []
        if section.title:
            lines += [section.title.upper(), "-" * min(len(section.title), WRAP), ""]
        for paragraph in render_paragraphs(section.prose_html):
            lines += [*textwrap.wrap(paragraph, WRAP), ""]
        for entry in section.entries:
            number += 1
            lines += _text_entry(number, entry)
            urls.append(f"[{number}] {entry.url or '(no link)'}")
        if urls:
            lines += [*urls, ""]
    lines += ["--", f"{site.name}: {site.url}/"]
    return "\n".join(lines).rstrip() + "\n"


BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|pre|figure|div)>|<br\s*/?>", re.IGNORECASE)


def render_paragraphs(fragment: str) -> list[str]:
    """The text of each block of an HTML fragment (paragraphs, list items, headings)."""
    return [text for block in BLOCK_END.split(fragment) if (text := render_plain_text(block))]


def _text_entry(number: int, entry: EntryHtml) -> list[str]:
    head = f"[{number}] {entry.title}" + (f" ({entry.domain})" if entry.domain else "")
    lines = textwrap.wrap(head, WRAP, subsequent_indent="    ")
    summary = render_plain_text(entry.summary_html)
    if summary:
        lines += textwrap.wrap(summary, WRAP, initial_indent="    ", subsequent_indent="    ")
    return [*lines, ""]


def render_message_id(site: Site, month: str, slug: str) -> str:
    """The same for every rendering of an edition: a re-run is the same message."""
    host = urlsplit(site.url).hostname or "localhost"
    digest = hashlib.sha256(f"{site.url}|{month}|{slug}".encode()).hexdigest()[:12]
    return f"<edition-{month}-{digest}@{host}>"


def render_message(
    edition: Edition, settings: NewsletterSettings, now: float | None = None
) -> EmailMessage:
    """The message: multipart/alternative (text, then HTML), with the list's headers."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = edition.subject
    message["From"] = settings.sender or formataddr(("", "nobody@localhost"))
    if settings.to:
        message["To"] = settings.to
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    if settings.list_id:
        message["List-Id"] = settings.list_id
    unsubscribe = [f"<{u}>" for u in (settings.unsubscribe_url, settings.unsubscribe_mailto) if u]
    if unsubscribe:
        message["List-Unsubscribe"] = ", ".join(unsubscribe)
    if settings.unsubscribe_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Message-ID"] = edition.message_id
    message["Date"] = format_datetime(_aware(now))
    message.set_content(edition.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(edition.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _aware(now: float | None) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(time.time() if now is None else now, UTC)


@dataclass(frozen=True)
class EditionFiles:
    eml: Path
    html: Path
    text: Path
    record: Path


def edition_files(settings: NewsletterSettings, month: str) -> EditionFiles:
    folder = settings.base / settings.folder / month
    return EditionFiles(
        folder / "edition.eml",
        folder / "edition.html",
        folder / "edition.txt",
        folder / "sent.json",
    )


def write_edition(
    edition: Edition, settings: NewsletterSettings, message: EmailMessage
) -> EditionFiles:
    """The .eml and its two parts, each written atomically."""
    files = edition_files(settings, edition.month)
    write_text_atomic(files.eml, message.as_string())
    write_text_atomic(files.html, edition.html)
    write_text_atomic(files.text, edition.text)
    return files


def read_sent_record(files: EditionFiles) -> dict[str, Any] | None:
    """What was recorded when this edition was sent, or None if it never was."""
    try:
        data = json.loads(files.record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ContentError(
            str(files.record),
            None,
            f"unreadable ({error}); delete it only if you are sure the edition was not sent",
        ) from error
    return data if isinstance(data, dict) else None


def write_sent_record(files: EditionFiles, edition: Edition, via: str, detail: str) -> None:
    record = {
        "message_id": edition.message_id,
        "subject": edition.subject,
        "via": via,
        "detail": detail,
        "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_text_atomic(files.record, json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def send_smtp(
    message: EmailMessage,
    settings: NewsletterSettings,
    user: str,
    password: str,
    context: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> str:
    """Send through ``smtp_host`` with STARTTLS (never in the clear); the server's answer."""
    if not settings.smtp_host or not settings.to:
        raise ConfigError("[newsletter]", None, "set smtp_host and to to send by SMTP")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            smtp.starttls(context=context or ssl.create_default_context())
            if user:
                smtp.login(user, password)
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise DeployError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {error}") from error
    if refused:
        raise DeployError(f"SMTP {settings.smtp_host}: refused {', '.join(refused)}")
    return f"SMTP {settings.smtp_host}:{settings.smtp_port} to {settings.to}"


def render_api_payload(edition: Edition, settings: NewsletterSettings) -> dict[str, Any]:
    """What the newsletter service is sent: the usual fields of such APIs."""
    return {
        "subject": edition.subject,
        "from": settings.sender,
        "reply_to": settings.reply_to,
        "html": edition.html,
        "text": edition.text,
        "message_id": edition.message_id,
        "web_url": edition.web_url,
    }


def is_sent_answer(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def iter_problems(edition: Edition) -> Iterable[str]:
    """What to say about an edition before it goes out."""
    if edition.shortened:
        yield (
            f"summaries cut to {edition.shortened} characters to keep the HTML under the "
            "size mail clients clip at"
        )


def read_site(pelican_settings: Path) -> Site:
    """The site, as the production settings (publishconf.py) describe it."""
    from pelican.settings import read_settings  # Pelican is slow to import; only here

    try:
        settings = read_settings(str(pelican_settings))
    except (OSError, SyntaxError, ImportError, NameError) as error:
        raise ConfigError(str(pelican_settings), None, f"cannot read settings: {error}") from error
    url = str(settings.get("SITEURL", "")).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            str(pelican_settings), None, "SITEURL must be absolute for an email edition "
            "(every link in a mail must be); use publishconf.py"
        )  # fmt: skip
    return Site(
        name=str(settings.get("SITENAME", "")),
        url=url,
        author=str(settings.get("AUTHOR", "")),
        lang=str(settings.get("DEFAULT_LANG", "en")),
        content=Path(settings["PATH"]),
        category=str(settings.get("DIGEST_CATEGORY", "summary")),
        markdown=dict(settings["MARKDOWN"]),
        article_url=lambda meta, source: _article_url(settings, meta, source),
    )


def _article_url(settings: Mapping[str, Any], meta: Mapping[str, str], source: str) -> str:
    """The site path Pelican gives the post with this front matter (its own classes say)."""
    from pelican.contents import Article
    from pelican.urlwrappers import Category
    from pelican.utils import get_date, slugify

    title = meta.get("title", "")
    slug = meta.get("slug") or slugify(
        title, regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", [])
    )
    metadata = {
        "title": title,
        "slug": slug,
        "date": get_date(meta["date"].replace("_", " ")) if meta.get("date") else None,
        "category": Category(meta.get("category") or settings["DEFAULT_CATEGORY"], settings),
    }
    article = Article("", metadata={k: v for k, v in metadata.items() if v}, settings=settings,
                      source_path=source)  # fmt: skip
    return str(article.url)
