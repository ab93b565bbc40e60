"""The email edition: a message mail clients keep, written apart, sent once.

The edition is rendered from the example blog with the production settings and read back
as mail software reads it: the .eml through Python's ``email`` parser, the HTML part through
the Nu Html Checker and a scan for what mail clients strip or block. Sending goes to a real
SMTP server started here (aiosmtpd, STARTTLS with a certificate made for the test) and to a
local stand-in of a newsletter service's HTTP API, one that fails halfway included.
"""

from __future__ import annotations

import contextlib
import email
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from linkdigest.format.render import entry_from_text, render_entry
from linkdigest.shipping.audit import check_html_files
from linkdigest.shipping.newsletter import (
    NewsletterSettings,
    find_digest_source,
    iter_problems,
    read_site,
    render_edition,
)
from scripts.newsletter import main as newsletter_main
from tests.conftest import CONTENT, free_port, write_settings
from tests.scan import TEMPLATE_PAYLOAD, scan_html
from tests.servers import LocalServer, Reply

SETTINGS_TOML = """\
[http]
retries = 0
[newsletter]
sender = "Sam Rivera <links@links.example.org>"
reply_to = "Sam Rivera <sam@links.example.org>"
to = "digest@lists.example.org"
list_id = "Links & Notes <digest.links.example.org>"
unsubscribe_url = "https://links.example.org/unsubscribe"
unsubscribe_mailto = "mailto:unsubscribe@links.example.org"
folder = "editions"
"""


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    """A production settings file over a copy of the example blog, and linkdigest.toml."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    write_settings(tmp_path, content, tmp_path / "output", production=True)
    (tmp_path / "linkdigest.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    return tmp_path


def run(blog: Path, *argv: str, capsys=None) -> tuple[int, str, str]:
    code = newsletter_main(
        [
            *argv,
            "--pelican-settings",
            str(blog / "settings_publishconf.py"),
            "--settings",
            str(blog / "linkdigest.toml"),
        ]
    )
    if capsys is None:
        return code, "", ""
    out, err = capsys.readouterr()
    return code, out, err


def edition_of(blog: Path, month: str = "2026-10", **settings: object):
    site = read_site(blog / "settings_publishconf.py")
    path, text = find_digest_source(site, month)
    options = NewsletterSettings(base=blog, **settings)  # type: ignore[arg-type]
    return render_edition(site, path, text, month, options)


def test_the_eml_has_both_parts_and_the_lists_headers(blog: Path, capsys) -> None:
    code, _, err = run(blog, "2026-10", capsys=capsys)
    assert code == 0, err
    folder = blog / "editions" / "2026-10"
    message = email.message_from_bytes((folder / "edition.eml").read_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part.get_content().replace("\r\n", "\n") for part in message.iter_parts())
    assert text == (folder / "edition.txt").read_text() and html.rstrip("\n") == (
        folder / "edition.html"
    ).read_text().rstrip("\n")
    assert message["Subject"] == "Month summary - October 2026"
    assert message["From"] == "Sam Rivera <links@links.example.org>"
    assert message["Reply-To"] == "Sam Rivera <sam@links.example.org>"
    assert message["List-Id"] == "Links & Notes <digest.links.example.org>"
    assert message["List-Unsubscribe"] == (
        "<https://links.example.org/unsubscribe>, <mailto:unsubscribe@links.example.org>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == edition_of(blog).message_id  # stable per edition
    assert "Read this digest on the web" in html
    assert "https://links.example.org/posts/2026/10/2026-october-links/" in html


class Everything(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def test_the_html_part_is_what_mail_clients_keep(blog: Path, tmp_path: Path) -> None:
    edition = edition_of(blog)
    parser = Everything()
    parser.feed(edition.html)
    tags = parser.tags
    assert not [t for t, _ in tags if t in ("script", "iframe", "form", "object", "embed", "link")]
    for tag, attrs in tags:
        for name in ("href", "src"):
            if name in attrs:
                assert attrs[name].startswith(("https://", "http://", "mailto:")), (tag, attrs)
        if tag == "img":
            assert attrs.get("alt") is not None and attrs.get("width") and attrs.get("height")
    assert "@font-face" not in edition.html and "@import" not in edition.html
    assert 'style="' in edition.html  # the CSS is inlined
    assert "prefers-color-scheme: dark" in edition.html  # and dark mode kept for who honours it
    assert 'name="color-scheme" content="light dark"' in edition.html
    video = [a for t, a in tags if t == "img" and "ytimg.com" in a["src"]]
    assert len(video) == 3  # each video a linked thumbnail, never a frame
    page = tmp_path / "edition.html"
    page.write_text(edition.html, encoding="utf-8")
    assert [str(e) for e in check_html_files([page])] == []


def test_the_text_part_is_readable_as_it_is(blog: Path) -> None:
    text = edition_of(blog).text
    lines = text.splitlines()
    assert all(len(line) <= 72 for line in lines if "://" not in line)
    assert "[1] How to use temporary directories and files in tests" in text
    assert "[1] https://docs.pytest.org/en/stable/how-to/tmp_path.html" in text
    assert "TESTING" in text and "Read on the web: https://links.example.org/" in text
    numbers = [
        int(line[1:].split("]")[0]) for line in lines if line.startswith("[") and "://" not in line
    ]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) == 24


def test_a_digest_too_long_for_gmail_gets_shorter_summaries(blog: Path) -> None:
    summary = "A long summary of a page that goes on and on about queues. " * 20
    entries = "".join(
        render_entry(entry_from_text(f"Link {n}", f"https://a.example/{n}", summary))
        for n in range(150)
    )
    digest = blog / "content" / "posts" / "2026-12-links.md"
    digest.write_text(
        "Title: Month summary - December 2026\nDate: 2026-12-31\nCategory: summary\n"
        "Slug: 2026-december-links\n\n## Articles\n\n" + entries,
        encoding="utf-8",
    )
    edition = edition_of(blog, "2026-12")
    assert len(edition.html.encode()) <= 102_000
    assert edition.shortened and any("summaries cut to" in p for p in iter_problems(edition))
    full = edition_of(blog, "2026-12", max_html_bytes=10_000_000)
    assert full.shortened == 0 and len(full.html.encode()) > 102_000


HOSTILE = f"<script>alert(1)</script><img src=x onerror=alert(2)> {TEMPLATE_PAYLOAD} \x1b[31mred"


def test_hostile_fetched_text_is_text_in_both_parts(blog: Path) -> None:
    entries = render_entry(entry_from_text(HOSTILE, "https://evil.example/x", HOSTILE))
    (blog / "content" / "posts" / "2026-12-links.md").write_text(
        "Title: Month summary - December 2026\nDate: 2026-12-31\nCategory: summary\n"
        "Slug: 2026-december-links\n\n## Articles\n\n" + entries,
        encoding="utf-8",
    )
    edition = edition_of(blog, "2026-12")
    assert scan_html(edition.html, "edition.html") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in edition.html
    assert "<script>alert(1)</script>" in edition.text  # plain text: shown as it is
    assert "\x1b" not in edition.text and "\x1b" not in edition.html  # no terminal escapes


def test_only_a_published_digest_goes_out(blog: Path, capsys) -> None:
    code, _, err = run(blog, "2026-11", capsys=capsys)  # the example's November is a draft
    assert code == 1 and "is a draft, not published" in err
    code, _, err = run(blog, "2026-02", capsys=capsys)
    assert code == 1 and "no digest dated 2026-02" in err
    code, _, err = run(blog, "October", capsys=capsys)
    assert code == 1 and "is not a month" in err


def test_a_dry_run_shows_the_message_and_writes_nothing(blog: Path, capsys) -> None:
    code, out, _ = run(blog, "2026-10", "--dry-run", capsys=capsys)
    assert code == 0 and out.startswith("Subject: Month summary - October 2026\n")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    assert not (blog / "editions").exists()


# --- sending --------------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a certificate for the test SMTP server")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, list]]:
    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            received.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
            return "250 OK"

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate[1], certificate[0])
    port = free_port()
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def smtp_settings(blog: Path, port: int) -> None:
    with (blog / "linkdigest.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\n')


def test_sending_by_smtp_with_starttls_happens_once(
    blog: Path, smtp_server, certificate, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    port, received = smtp_server
    smtp_settings(blog, port)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))  # trust the test's certificate
    code, _, err = run(blog, "2026-10", "--send", capsys=capsys)
    assert code == 0, err
    assert "sent: SMTP 127.0.0.1" in err
    ((sender, recipients, data),) = received
    assert recipients == ["digest@lists.example.org"] and sender == "links@links.example.org"
    message = email.message_from_bytes(data, policy=policy.default)
    assert message["Subject"] == "Month summary - October 2026"
    record = json.loads((blog / "editions" / "2026-10" / "sent.json").read_text())
    assert record["via"] == "smtp" and record["message_id"] == message["Message-ID"]
    code, _, err = run(blog, "2026-10", "--send", capsys=capsys)
    assert code == 1 and "add --resend to send it again" in err and len(received) == 1
    code, _, err = run(blog, "2026-10", "--send", "--resend", capsys=capsys)
    assert code == 0 and len(received) == 2


def test_smtp_is_never_used_without_starttls(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # A server that offers no STARTTLS: nothing is sent in the clear, nothing recorded.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        smtp_settings(blog, port)

        def plain_server() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"220 plain ESMTP\r\n")
                connection.recv(1024)
                connection.sendall(b"250-plain\r\n250 SIZE 1000000\r\n")
                with contextlib.suppress(OSError):
                    connection.recv(1024)

        import threading

        threading.Thread(target=plain_server, daemon=True).start()
        code, _, err = run(blog, "2026-10", "--send", capsys=capsys)
    assert code == 1 and "STARTTLS" in err
    assert not (blog / "editions" / "2026-10" / "sent.json").exists()


def test_sending_to_a_service_that_fails_halfway_records_nothing(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    server = LocalServer("127.0.0.80")
    try:
        server.routes["/send"] = [Reply(hang_up=True), Reply(202, body=b'{"id": "e1"}')]
        with (blog / "linkdigest.toml").open("a", encoding="utf-8") as settings:
            settings.write(f'api_url = "{server.url("/send")}"\n')
        monkeypatch.setenv("LINKDIGEST_NEWSLETTER_TOKEN", "secret-token")
        code, _, err = run(blog, "2026-10", "--send", capsys=capsys)
        assert code == 1 and "nothing recorded, run again" in err
        assert not (blog / "editions" / "2026-10" / "sent.json").exists()
        code, _, err = run(blog, "2026-10", "--send", capsys=capsys)
        assert code == 0, err
        code, _, err = run(blog, "2026-10", "--send", capsys=capsys)
        assert code == 1 and "--resend" in err
    finally:
        server.close()
    posts = [seen for seen in server.seen if seen.method == "POST"]
    assert len(posts) == 2  # the failed one and the one that was sent: never a third
    assert posts[-1].headers["Authorization"] == "Bearer secret-token"
    sent = json.loads(posts[-1].body)
    assert sent["subject"] == "Month summary - October 2026" and sent["html"] and sent["text"]
    assert not server.unexpected


def test_settings_are_checked_once(tmp_path: Path) -> None:
    from linkdigest.errors import ConfigError
    from linkdigest.shipping.newsletter import parse_newsletter_settings

    for table, message in [
        ({"sender": "not an address"}, "is not an address"),
        ({"unsubscribe_url": "http://x.example/u"}, "must be an https URL"),
        ({"smtp_port": "587"}, "smtp_port must be a number"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_newsletter_settings({"newsletter": table}, str(tmp_path / "s.toml"))
