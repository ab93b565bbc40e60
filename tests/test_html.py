"""Digest HTML rendering and the cross-digest links index."""

from __future__ import annotations

import json
import pickle

import markdown
import pytest
from markupsafe import Markup

from linkdigest.format.digest import parse_digest
from linkdigest.site.html import (
    DigestHtml,
    DigestRef,
    count_reading_minutes,
    render_article_html,
    render_digest_html,
    render_fragments,
)
from linkdigest.site.linkspage import (
    DigestSource,
    collect_link_rows,
    count_digest_rows,
    count_month_groups,
    find_featured_before,
    group_rows_by_month,
    iter_month_groups,
    list_digest_rows,
    list_row_inputs,
    order_published,
    render_links_json,
)
from linkdigest.site.pagememo import DerivedView, Fingerprinter


def convert(text: str) -> str:
    return markdown.markdown(text, extensions=["extra"])


def rendered(body: str) -> DigestHtml:
    return render_digest_html(parse_digest("Title: T\n\n" + body), convert)


def test_all_fragments_go_through_markdown_in_one_pass() -> None:
    calls: list[str] = []

    def counting(text: str) -> str:
        calls.append(text)
        return convert(text)

    digest = parse_digest(
        "Title: T\n\nIntro.\n\n## A\n\n### [One](https://a.example/)\n\n> S1\n"
        "\n### [Two](https://b.example/)\n\n> S2\n\nExtra.\n"
    )
    html = render_digest_html(digest, counting)
    assert len(calls) == 1
    assert html.intro_html == "<p>Intro.</p>"
    assert [e.summary_html for e in html.entries] == ["<p>S1</p>", "<p>S2</p>"]
    assert html.entries[1].extra_html == "<p>Extra.</p>"
    assert html.link_count == 2


def test_fragments_fall_back_to_one_pass_each_when_a_marker_is_swallowed() -> None:
    fragments = [
        "Intro [ref][d].",
        '<div markdown="1">\nunclosed',
        "Last.\n\n[d]: https://d.example/",
    ]
    swallowing = {}

    def convert_swallowing(text: str) -> str:
        swallowing[text] = True
        html = convert(text)
        return html.replace("<!--linkdigest:fragment-->", "", 1)  # as if a block ate it

    result = render_fragments(fragments, convert_swallowing)
    assert len(swallowing) == 4  # the failed single pass, then one per fragment
    assert result[fragments[0]] == '<p>Intro <a href="https://d.example/">ref</a>.</p>'
    assert result[fragments[2]] == "<p>Last.</p>"


def test_article_html_has_headings_links_and_quotes() -> None:
    html = render_article_html(
        rendered("## Articles\n\n### [A & B](https://a.example/?x=1&y=2)\n\n> Sum.\n")
    )
    assert '<h2 id="articles">Articles</h2>' in html
    assert '<h3 id="link-a-b"><a href="https://a.example/?x=1&amp;y=2">A &amp; B</a></h3>' in html
    assert "<blockquote>\n<p>Sum.</p>\n</blockquote>" in html


@pytest.mark.parametrize(
    ("heading", "title_html"),
    [
        ("[Plain](https://a.example/)", "Plain"),
        ("[Why *this* matters](https://a.example/)", "Why <em>this</em> matters"),
        (r"[Why is \[\] faster](https://a.example/)", "Why is [] faster"),
        ("[1. Not a list](https://a.example/)", "1. Not a list"),
        ("[# Not a heading](https://a.example/)", "# Not a heading"),
        ("[&lt;script&gt;](https://a.example/)", "&lt;script&gt;"),
    ],
)
def test_title_html(heading: str, title_html: str) -> None:
    assert rendered(f"## S\n\n### {heading}\n").entries[0].title_html == title_html


def test_reference_links_defined_elsewhere_resolve() -> None:
    html = rendered(
        "See [the docs][d].\n\n## S\n\n### [T](https://a.example/)\n\n"
        "> Also [here][d].\n\n[d]: https://docs.example/\n"
    )
    assert 'href="https://docs.example/"' in html.intro_html
    assert 'href="https://docs.example/"' in html.entries[0].summary_html


def test_duplicate_section_names_get_unique_anchors() -> None:
    html = rendered(
        "## Articles\n\n### [A](https://a.example/)\n\n## Articles\n\n### [A](https://b.example/)\n"
    )
    assert [s.anchor for s in html.sections] == ["articles", "articles-2"]
    assert [e.anchor for e in html.entries] == ["link-a", "link-a-2"]


def test_video_entries_get_privacy_enhanced_embed_urls() -> None:
    html = rendered(
        "## V\n\n### [Talk](https://youtu.be/abcdefghijk)\n\n"
        "### [Other](https://vimeo.com/36579366)\n"
    )
    assert [e.embed_url for e in html.entries] == [
        "https://www.youtube-nocookie.com/embed/abcdefghijk",
        "https://player.vimeo.com/video/36579366?dnt=1",
    ]


def source(title: str, date: str, urls: list[str], published: bool = True) -> DigestSource:
    body = "## S\n\n" + "".join(f"### [{u}]({u})\n\n> About {u}.\n\n" for u in urls)
    return DigestSource(DigestRef(title, f"posts/{date}/", date), rendered(body), published)


def test_featured_before_only_counts_earlier_published_digests() -> None:
    may = source("May", "2026-05-31", ["https://a.example/", "https://b.example/"])
    june_draft = source("June", "2026-06-30", ["https://c.example/"], published=False)
    july = source(
        "July", "2026-07-31", ["https://www.a.example/?utm_source=x", "https://c.example/"]
    )
    featured = find_featured_before([july, june_draft, may])
    assert set(featured) == {"posts/2026-07-31/"}
    first, second = featured["posts/2026-07-31/"].entries
    assert [r.title for r in first.featured_before] == ["May"]
    assert second.featured_before == ()


def test_featured_before_knows_a_link_as_the_drafter_does() -> None:
    may = source("May", "2026-05-31", ["http://a.example/p?x=1&y=2", "https://vimeo.com/36579366"])
    june = source(
        "June",
        "2026-06-30",
        ["https://a.example/p?y=2&x=1#:~:text=q", "https://player.vimeo.com/video/36579366"],
    )
    entries = find_featured_before([may, june])["posts/2026-06-30/"].entries
    assert [[r.title for r in e.featured_before] for e in entries] == [["May"], ["May"]]


def test_entries_without_a_usable_url_are_never_the_same_link() -> None:
    may = source("May", "2026-05-31", ["javascript:alert(1)", "https://a.example/"])
    june = source("June", "2026-06-30", ["data:text/html,x", "https://a.example/"])
    entries = find_featured_before([may, june])["posts/2026-06-30/"].entries
    assert [[r.title for r in e.featured_before] for e in entries] == [[], ["May"]]
    assert [e.same_link for e in entries] == ["", "https://a.example"]


def test_links_rows_newest_first_grouped_by_month_and_json() -> None:
    may = source("May", "2026-05-31", ["https://a.example/", "https://b.example/"])
    june = source("June", "2026-06-30", ["https://c.example/"])
    draft = source("July", "2026-07-31", ["https://d.example/"], published=False)
    rows = collect_link_rows([may, draft, june])
    assert [r.url for r in rows] == [
        "https://c.example/",
        "https://a.example/",
        "https://b.example/",
    ]
    groups = group_rows_by_month(rows)
    assert [(g.key, g.label, len(g.rows)) for g in groups] == [
        ("2026-06", "June 2026", 1),
        ("2026-05", "May 2026", 2),
    ]
    data = json.loads(render_links_json(rows, "https://site.example"))
    assert data["count"] == 3
    assert data["links"][0] == {
        "title": "https://c.example/",
        "url": "https://c.example/",
        "domain": "c.example",
        "section": "S",
        "summary": "About https://c.example/.",
        "digest": {
            "title": "June",
            "url": "https://site.example/posts/2026-06-30/",
            "date": "2026-06-30",
        },
    }
    assert render_links_json(rows) == render_links_json(rows)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("", 1),
        ("<p>" + "word " * 230 * 3 + "</p>", 3),
        ("<p>" + "語" * 2500 + "</p>", 5),
        ('<a href="https://example.org/' + "x" * 5000 + '">two words</a>', 1),
    ],
)
def test_reading_minutes(text: str, minutes: int) -> None:
    assert count_reading_minutes(text) == minutes


def test_video_entries_get_one_lazy_titled_privacy_enhanced_embed() -> None:
    text = (
        "Title: T\nDate: 2026-01-31\nCategory: summary\n\n## Videos\n\n"
        '### [A "talk" <about> caching](https://www.youtube.com/watch?v=abcdefghijk)\n\n'
        "> Summary.\n\n"
        '<div class="video-embed"><iframe src="https://www.youtube-nocookie.com/embed/abcdefghijk"'
        ' title="A talk" allowfullscreen></iframe></div>\n\nA note of my own.\n'
    )
    digest = render_digest_html(parse_digest(text), convert)
    entry = digest.entries[0]
    assert "<iframe" not in entry.extra_html and "A note of my own." in entry.extra_html
    assert entry.embed_html.count("<iframe") == 1
    assert 'src="https://www.youtube-nocookie.com/embed/abcdefghijk"' in entry.embed_html
    assert 'title="Video: A &quot;talk&quot; &lt;about&gt; caching"' in entry.embed_html
    assert 'loading="lazy"' in entry.embed_html
    assert render_article_html(digest).count("<iframe") == 1


def test_digest_html_survives_the_content_cache_with_its_markup() -> None:
    digest = rendered(
        "Intro with *emphasis*.\n\n## Reading\n\nSome prose.\n\n"
        "### [A *title*](https://a.example/)\n\n> A summary & more.\n\nExtra words.\n"
    )
    featured = find_featured_before(
        [
            source("May", "2026-05-31", ["https://a.example/"]),
            DigestSource(DigestRef("June", "posts/2026-06-30/", "2026-06-30"), digest, True),
        ]
    )["posts/2026-06-30/"]
    for value in (digest, featured):
        copy = pickle.loads(pickle.dumps(value, protocol=5))
        assert copy == value and copy is not value
        entry = copy.entries[0]
        assert isinstance(entry.summary_html, Markup) and isinstance(entry.title_html, Markup)
        assert isinstance(copy.intro_html, Markup) and isinstance(
            copy.sections[0].prose_html, Markup
        )
        assert (
            type(entry.title) is str and entry.featured_before == value.entries[0].featured_before
        )
    assert [r.title for r in featured.entries[0].featured_before] == ["May"]


def test_months_made_one_at_a_time_are_the_grouped_rows() -> None:
    sources = [
        source("June", "2026-06-30", ["https://c.example/"]),
        source("Empty", "2026-06-15", []),
        source("Early June", "2026-06-01", ["https://d.example/", "https://e.example/"]),
        source("Links-less May", "2026-05-31", ["javascript:void(0)"]),
        source("April", "2026-04-30", ["https://a.example/"]),
        source("Draft", "2026-03-31", ["https://b.example/"], published=False),
    ]
    published = order_published(sources)
    made: list[str] = []

    def rows_of(each: DigestSource) -> tuple:
        made.append(each.ref.title)
        return list_digest_rows(each)

    months = iter_month_groups(published, rows_of)
    first = next(months)
    assert made == ["June", "Early June"]  # the next month's rows are not made yet
    grouped = [first, *months]
    assert grouped == group_rows_by_month(collect_link_rows(sources))
    assert [g.key for g in grouped] == ["2026-06", "2026-04"]
    assert count_month_groups(published) == len(grouped)
    assert [count_digest_rows(s) for s in published] == [
        len(list_digest_rows(s)) for s in published
    ]


def test_a_derived_view_is_a_sequence_made_anew_and_fingerprinted_by_its_source() -> None:
    calls: list[int] = []

    def make() -> list[int]:
        calls.append(1)
        return [10, 20, 30]

    view = DerivedView(make, 3, source=("inputs", 1))
    assert (len(view), list(view), list(view), bool(view)) == (3, [10, 20, 30], [10, 20, 30], True)
    assert len(calls) == 2  # nothing kept between walks
    assert (view[0], view[2], view[-1], view[1:], view[::-2]) == (10, 30, 30, [20, 30], [30, 10])
    for wrong in (3, -4):
        with pytest.raises(IndexError):
            view[wrong]
    assert not DerivedView(list, 0, source=())
    fingerprints = Fingerprinter()
    assert fingerprints.of(view) == fingerprints.of(DerivedView(list, 0, source=("inputs", 1)))
    assert fingerprints.of(view) != fingerprints.of(DerivedView(make, 3, source=("inputs", 2)))


def test_the_devserver_keeps_each_digests_row_inputs_while_its_digest_is_the_same() -> None:
    """KeptInputs: the same RowInputs object for a digest object seen by the last build (so
    the memo's fingerprint of it carries over), new ones for anything else; equal either way
    to what list_row_inputs makes."""
    from dataclasses import replace as copy_with

    from pelican.plugins.linkdigest.digest import KeptInputs

    may = source("May", "2026-05-31", ["https://a.example/"])
    june = source("June", "2026-06-30", ["https://b.example/"])
    first = KeptInputs.of([may, june], keep=True)
    assert first == list_row_inputs([may, june])
    # The next build: new DigestSource objects, May's digest the same object, June's re-read.
    june_again = source("June", "2026-06-30", ["https://b.example/"])
    second = KeptInputs.of([copy_with(may), june_again], keep=True)
    assert second[0] is first[0] and second[1] is not first[1] and second[1] == first[1]
    moved = copy_with(may, ref=copy_with(may.ref, url="posts/may/"))
    hidden = copy_with(may, published=False)
    for changed in (moved, hidden):
        (again,) = KeptInputs.of([changed], keep=True)
        assert again is not first[0] and again == list_row_inputs([changed])[0]
    assert KeptInputs.of([may], keep=False)[0] is not first[0]
    assert KeptInputs.kept == {}  # outside the devserver nothing is kept past its build
