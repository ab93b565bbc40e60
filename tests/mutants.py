"""Mutants of the escaping: each removes one escape the site relies on, and the escaping
tests must fail for every one. Run by hand after changing templates or the library's
rendering (about a minute):  .venv/bin/python -m tests.mutants
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
mutations = [
    ("theme/templates/links.html", "{{ row.title }}", "{{ row.title|safe }}"),
    ("theme/templates/links.html", 'href="{{ row.url }}"', 'href="{{ row.url|safe }}"'),
    (
        "theme/templates/macros.html",
        '<a href="{{ entry.url }}">',
        '<a href="{{ entry.url|safe }}">',
    ),
    (
        "theme/templates/macros.html",
        '<span class="domain">{{ entry.domain }}</span>',
        '<span class="domain">{{ entry.domain|safe }}</span>',
    ),
    (
        "theme/templates/article.html",
        "<h1>{{ article.title }}</h1>",
        "<h1>{{ article.title|safe }}</h1>",
    ),
    (
        "linkdigest/site/html.py",
        'f\'<a href="{html.escape(entry.url)}">',
        'f\'<a href="{entry.url}">',
    ),
    (
        "linkdigest/site/html.py",
        "{html.escape(section.title)}</h2>",
        "{section.title}</h2>",
    ),
    (
        "linkdigest/site/linkspage.py",
        "return render_embeddable_json(json.dumps(",
        "return (json.dumps(",
    ),
    ("linkdigest/site/search.py", "body = render_index_text(main)", "body = main"),
    (
        "linkdigest/format/render.py",
        'text = text.replace("<", "&lt;").replace(">", "&gt;")',
        "pass",
    ),
    (
        "linkdigest/site/sanitize.py",
        'return EMPTY_IFRAME.sub("", _cleaner().clean(fragment))',
        "return fragment",
    ),
    ("plugins/linkdigest/feeds.py", "item[key] = render_feed_text(item[key])", "pass"),
    ("theme/theme.toml", "autoescape = true", "autoescape = false"),
]
missed = 0
for path, old, new in mutations:
    p = root / path
    text = p.read_text()
    assert text.count(old) >= 1, (path, old)
    p.write_text(text.replace(old, new, 1))
    try:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-x",
                "-p",
                "no:cacheprovider",
                "tests/test_escaping.py",
                "-k",
                "not scanner",
            ],
            cwd=root,
            capture_output=True,
            text=True,
        )
        print(("caught " if r.returncode else "MISSED ") + path + ": " + new[:60])
        missed += not r.returncode
    finally:
        p.write_text(text)
sys.exit(1 if missed else 0)
