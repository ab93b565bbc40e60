"""Lines added since a revision, and `links --since` in a real git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from linkdigest.checking.gitdiff import parse_added_lines
from scripts.links import main
from tests.servers import Reply, start_servers

DIFF = """\
diff --git a/content/posts/a.md b/content/posts/a.md
--- a/content/posts/a.md
+++ b/content/posts/a.md
@@ -3,0 +4,2 @@ Date: 2026-01-01
+new line 4
+new line 5
@@ -10 +12 @@
-old
+changed line 12
diff --git a/content/posts/gone.md b/content/posts/gone.md
--- a/content/posts/gone.md
+++ /dev/null
@@ -1,2 +0,0 @@
-x
-y
"""


def test_parse_added_lines() -> None:
    assert parse_added_lines(DIFF) == {"content/posts/a.md": {4, 5, 12}}


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
            "PATH": "/usr/bin:/bin",
            "HOME": str(folder),
        },
    )


def test_since_checks_only_links_added(tmp_path: Path, capsys) -> None:
    for (server,) in start_servers(["127.0.0.18"]):
        server.routes.update(
            {
                "/": Reply(body=b"h"),
                "/old": Reply(404),
                "/new": Reply(404),
                "/fresh": Reply(body=b"ok"),
            }
        )
        posts = tmp_path / "content" / "posts"
        posts.mkdir(parents=True)
        post = posts / "a.md"
        post.write_text(
            f"Title: A\nDate: 2026-01-01\n\n[old]({server.url('/old')})\n", encoding="utf-8"
        )
        git(tmp_path, "init", "-q")
        git(tmp_path, "add", ".")
        git(tmp_path, "commit", "-q", "-m", "first")
        post.write_text(
            post.read_text(encoding="utf-8") + f"\n[new]({server.url('/new')})\n", encoding="utf-8"
        )
        (posts / "b.md").write_text(
            f"Title: B\nDate: 2026-01-02\n\n[f]({server.url('/fresh')})\n", encoding="utf-8"
        )
        settings = tmp_path / "s.toml"
        settings.write_text(
            "[http]\nretries = 0\n[links]\ncool_down = 0.1\narchive_api = "
            f'"{server.url("/wayback")}"\n',
            encoding="utf-8",
        )
        server.routes[
            "/wayback?url="
            + server.url("/new").replace(":", "%3A").replace("/", "%2F")
            + "&timestamp=20260101"
        ] = Reply(body=b"{}")
        code = main(
            [
                "--content",
                str(tmp_path / "content"),
                "--since",
                "HEAD",
                "--settings",
                str(settings),
                "--no-cache",
                "--format",
                "json",
            ]
        )
        report = json.loads(capsys.readouterr().out)
        assert code == 2
        assert [p["url"] for p in report["problems"]] == [server.url("/new")]
        assert "/old" not in {s.path for s in server.seen}
        assert "/fresh" in {s.path for s in server.seen}
        assert not server.unexpected
