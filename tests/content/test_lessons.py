"""Lessons as data: front matter, blocks, glossary terms, course order, and errors naming files."""

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from lessonengine.content import (
    ContentError,
    load_course,
    render_block,
    render_inline,
    split_front_matter,
)
from lessonengine.content.texmath import TexError
from tests.conftest import ROOT, make_test_app

CONTENT = ROOT / "content"
LESSON_ID = "chain-rule-in-networks"

FRONT = """\
course: demo
lesson: {number}
title: {title}
minutes: 5
video:
  title: A video
  description: One line about it.
  minutes: 3
"""


def lesson_text(number=1, title="A lesson", body="## First\n\nSome text with $x^2$.\n", front=""):
    return "---\n" + FRONT.format(number=number, title=title) + front + "---\n" + body


def make_content(tmp_path: Path, lessons: dict[str, str], order=None) -> Path:
    """A content folder with a course.yaml listing `order` (default: the lessons' keys)."""
    folder = tmp_path / "content"
    folder.mkdir()
    ids = "".join(f"  - {lesson_id}\n" for lesson_id in (order or lessons))
    (folder / "course.yaml").write_text(f"id: demo\ntitle: Demo course\nlessons:\n{ids}")
    for lesson_id, text in lessons.items():
        (folder / f"{lesson_id}.md").write_text(text)
    return folder


def load_one(tmp_path, text):
    folder = make_content(tmp_path, {"only": text})
    return load_course(folder).lessons[0]


def error_of(tmp_path, text) -> ContentError:
    folder = make_content(tmp_path, {"bad-lesson": text})
    with pytest.raises(ContentError) as caught:
        load_course(folder)
    return caught.value


# --- Front matter -------------------------------------------------------------------------------


def test_front_matter_is_split_from_the_body():
    meta, body, offset = split_front_matter("---\ntitle: T\nminutes: 3\n---\n# Body\n", "x.md")
    assert meta == {"title": "T", "minutes": 3}
    assert body == "# Body\n"
    assert offset == 4


@pytest.mark.parametrize(
    "text, problem",
    [
        ("title: T\n", "must start with a YAML front matter"),
        ("---\ntitle: T\n", "no closing '---'"),
        ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
        ("---\n- a list\n---\n", "must be a YAML mapping"),
    ],
)
def test_front_matter_errors_name_the_file(text, problem):
    with pytest.raises(ContentError) as caught:
        split_front_matter(text, "content/some-lesson.md")
    assert str(caught.value).startswith("content/some-lesson.md")
    assert problem in str(caught.value)


def test_a_lesson_file_becomes_a_lesson(tmp_path):
    text = lesson_text(number=3, title="Gradients", front="summary: A short summary.\n")
    lesson = load_one(tmp_path, text)
    assert (lesson.id, lesson.number, lesson.title, lesson.minutes) == ("only", 3, "Gradients", 5)
    assert lesson.course == "demo"
    assert lesson.summary == "A short summary."
    assert lesson.video.title == "A video" and lesson.video.minutes == 3
    assert lesson.video.src is None
    assert '<h2 id="first">First</h2>' in lesson.html
    assert '<span class="katex">' in lesson.html
    assert [(h.level, h.id, h.text) for h in lesson.headings] == [(2, "first", "First")]


@pytest.mark.parametrize(
    "change, problem",
    [
        (("title: A lesson\n", ""), "missing required key 'title'"),
        (("minutes: 5\n", "minutes: fourteen\n"), "'minutes' must be a whole number"),
        (("lesson: 1\n", "lesson: true\n"), "'lesson' must be a whole number"),
        (("minutes: 5\n", "minutes: 5\nauthor: me\n"), "unknown key 'author'"),
        (("  minutes: 3\n", ""), "missing required key 'video.minutes'"),
        (("  minutes: 3\n", "  minutes: 3\n  src: 7\n"), "'video.src' must be non-empty text"),
        (("video:\n  title: A video\n", "video: soon\nx:\n  title: A video\n"), "unknown key"),
        (("course: demo\n", "course: other\n"), "'course' is 'other'"),
    ],
)
def test_front_matter_problems_name_the_file(tmp_path, change, problem):
    text = lesson_text().replace(*change)
    error = error_of(tmp_path, text)
    assert str(error).startswith(str(tmp_path / "content" / "bad-lesson.md"))
    assert problem in error.problem


def test_video_with_a_source_and_a_glossary(tmp_path):
    front = (
        "glossary:\n  delta:\n    term: error signal\n    definition: The gradient $\\delta$.\n"
        "  relu: Zero below, identity above.\n"
    )
    body = "## S\n\nThe [error signal](term:delta) and the [ReLU](term:relu).\n"
    text = lesson_text(body=body, front=front).replace(
        "  minutes: 3\n", "  minutes: 3\n  src: v.mp4\n"
    )
    lesson = load_one(tmp_path, text)
    assert lesson.video.src == "v.mp4"
    assert lesson.glossary["delta"].term == "error signal"
    assert lesson.glossary["relu"].term == "relu"
    assert '<span class="katex">' in lesson.glossary["delta"].definition_html


# --- Body: blocks, glossary terms, math ---------------------------------------------------------


def test_glossary_term_markup(tmp_path):
    front = "glossary:\n  local-gradient:\n    definition: A node's own derivative.\n"
    body = "A [local gradient](term:local-gradient), and [again](term:local-gradient).\n"
    lesson = load_one(tmp_path, lesson_text(body=body, front=front))
    assert (
        '<span class="term" data-widget="glossary">'
        '<button type="button" class="term-button" aria-describedby="term-local-gradient-1">'
        "local gradient</button>"
        '<span class="term-definition" role="tooltip" id="term-local-gradient-1">'
        "A node’s own derivative.</span></span>"
    ) in lesson.html
    assert 'id="term-local-gradient-2"' in lesson.html, "each use gets its own id"


def test_blocks_render_to_their_html():
    source = textwrap.dedent(
        """\
        ::: refresher Quick refresher
        Inside.
        :::

        ::: legend
        $f$
        : outer function
        :::

        ::: note A note
        Noted.
        :::

        ::: key
        Key.
        :::

        ::: widget graph preset=neuron label="two words"
        Fallback.
        :::
        """
    )
    out = render_block(source)
    assert (
        '<section class="card refresher" aria-labelledby="refresher-1">\n'
        '<p class="card-title" id="refresher-1">Quick refresher</p>\n<p>Inside.</p>\n</section>'
    ) in out
    assert '<div class="legend" role="group" aria-label="Symbols">\n<dl class="legend-list">' in out
    assert (
        '<dt><span class="math-nowrap"><span class="katex">' in out
        and "<dd>outer function</dd>" in out
    )
    assert (
        '<div class="callout callout-note" role="note">\n<p class="callout-title">A note</p>'
    ) in out
    assert (
        '<div class="callout callout-key" role="note">\n<p class="callout-title">Key idea</p>'
        in out
    )
    assert (
        '<div class="widget widget-graph" data-widget="graph" data-preset="neuron" '
        'data-label="two words">\n<div class="widget-fallback">\n<p>Fallback.</p>\n</div>\n</div>'
    ) in out


def test_widget_in_a_lesson_carries_the_lesson_id(tmp_path):
    body = "::: widget quiz\nSoon.\n:::\n"
    lesson = load_one(tmp_path, lesson_text(body=body))
    assert '<div class="widget widget-quiz" data-widget="quiz" data-lesson="only">' in lesson.html


@pytest.mark.parametrize(
    "body, problem, line",
    [
        ("## A\n\n::: sidebar\nx\n:::\n", "unknown block '::: sidebar'", 13),
        ("## A\n\n:::\nx\n:::\n", "needs a name", 13),
        ("## A\n\n::: legend\nno list here\n:::\n", "must hold a definition list", 13),
        ("## A\n\n::: widget\nx\n:::\n", "'::: widget' needs a name", 13),
        ("## A\n\n::: widget plot figure\nx\n:::\n", "not a key=value", 13),
        ("## A\n\nSee [it](term:nowhere).\n", "unknown glossary term 'nowhere'", 13),
        ("# A second title\n", "use '##' for sections", 11),
        ("## A\n\nText.\n\n$$\\frac{a}{$$\n", "cannot typeset $\\frac{a}{$", 15),
        ("## A\n\nInline $\\badmacro$ here.\n", "cannot typeset $\\badmacro$", 13),
    ],
)
def test_body_problems_name_the_file_the_line_and_the_problem(tmp_path, body, problem, line):
    error = error_of(tmp_path, lesson_text(body=body))
    assert error.path == tmp_path / "content" / "bad-lesson.md"
    assert problem in error.problem
    assert error.line == line
    assert f"bad-lesson.md, line {line}: " in str(error)


def test_a_glossary_term_never_used_is_an_error(tmp_path):
    front = "glossary:\n  unused:\n    definition: Nobody links here.\n"
    error = error_of(tmp_path, lesson_text(front=front))
    assert "never used: unused" in error.problem


def test_a_bad_formula_in_a_glossary_definition_names_the_term(tmp_path):
    front = "glossary:\n  t:\n    definition: Broken $\\frac{$.\n"
    error = error_of(tmp_path, lesson_text(front=front, body="A [t](term:t).\n"))
    assert "glossary.t.definition" in error.problem and "\\frac{" in error.problem


def test_raw_html_in_markdown_is_escaped():
    assert render_block("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_render_inline_has_no_paragraph_and_typesets_math():
    out = render_inline("The *weight* $w$")
    assert out.startswith('The <em>weight</em> <span class="math-nowrap"><span class="katex">')
    assert "<p>" not in out


def test_short_formulas_and_their_punctuation_stay_on_one_line():
    out = render_inline("at $x$, then")
    assert out.startswith('at <span class="math-nowrap"><span class="katex">')
    assert out.endswith("</span>,</span> then")
    long_tex = r"a_1 + a_2 + a_3 + a_4 + a_5 + a_6 + a_7 + a_8 + a_9"
    assert render_inline(f"sum ${long_tex}$ here").startswith('sum <span class="katex">')
    assert "math-nowrap" in render_inline(f"sum ${long_tex}$. Done")


def test_render_inline_and_block_raise_tex_error_for_bad_math():
    with pytest.raises(TexError):
        render_inline("bad $\\frac{$")
    with pytest.raises(TexError):
        render_block("$$\\frac{$$")
    with pytest.raises(ContentError):
        render_block("::: nonsense\nx\n:::\n")


# --- The course ---------------------------------------------------------------------------------


def test_lesson_order_is_the_order_in_course_yaml(tmp_path):
    lessons = {
        "alpha": lesson_text(number=1, title="Alpha"),
        "beta": lesson_text(number=2, title="Beta"),
        "gamma": lesson_text(number=3, title="Gamma"),
    }
    course = load_course(make_content(tmp_path, lessons, order=["alpha", "beta", "gamma"]))
    assert [lesson.id for lesson in course.lessons] == ["alpha", "beta", "gamma"]
    assert course.title == "Demo course"
    assert course.lesson("beta").title == "Beta"
    assert course.lesson("delta") is None
    assert course.neighbours("alpha") == (None, course.lesson("beta"))
    assert course.previous("gamma").id == "beta"
    assert course.next("gamma") is None


@pytest.mark.parametrize(
    "order, extra, culprit, problem",
    [
        (["alpha", "beta"], {}, "course.yaml", "listed but"),
        (["alpha", "alpha"], {}, "course.yaml", "listed twice"),
        (["alpha"], {"stray": 5}, "stray.md", "not listed under 'lessons'"),
        (["Alpha"], {}, "course.yaml", "lower-case-with-dashes"),
    ],
)
def test_course_problems_name_the_file(tmp_path, order, extra, culprit, problem):
    folder = make_content(tmp_path, {"alpha": lesson_text()}, order=order)
    for name, number in extra.items():
        (folder / f"{name}.md").write_text(lesson_text(number=number))
    with pytest.raises(ContentError) as caught:
        load_course(folder)
    assert Path(caught.value.path).name == culprit
    assert problem in caught.value.problem


def test_lesson_numbers_must_increase_in_course_order(tmp_path):
    lessons = {"first": lesson_text(number=2), "second": lesson_text(number=1)}
    with pytest.raises(ContentError) as caught:
        load_course(make_content(tmp_path, lessons))
    assert Path(caught.value.path).name == "second.md"
    assert "must be greater than 2" in caught.value.problem


def test_a_missing_course_file_is_named(tmp_path):
    with pytest.raises(ContentError) as caught:
        load_course(tmp_path)
    assert "course.yaml" in str(caught.value)


# --- The real lesson ---------------------------------------------------------------------------


def test_a_deeper_block_is_a_closed_details_with_its_title_as_summary():
    source = (
        "::::: deeper Why $W^\\top$\nInside $x$.\n\n::: legend\n$x$\n: a symbol\n:::\n:::::\n\n"
        "::: deeper\nMore.\n:::\n"
    )
    out = render_block(source)
    opening = '<details class="callout callout-deeper">\n<summary class="deeper-title">'
    assert out.count(opening) == 2
    first, second = out.split("</details>")[:2]
    assert "Going deeper: Why <span" in first and "W^\\top</annotation>" in first
    assert "<p>Inside " in first and '<dl class="legend-list">' in first, "a legend nests inside"
    assert "<summary" in second and ">Going deeper</summary>" in second and "<p>More.</p>" in second
    assert " open" not in out, "closed at first: the core reading stays short"


def test_the_course_loads_with_lesson_two():
    course = load_course(CONTENT)
    lesson = course.lesson(LESSON_ID)
    assert lesson is not None
    assert (lesson.number, lesson.title) == (2, "The chain rule in networks")
    assert lesson.minutes >= 14, "the seed's reading time, or longer with what the lesson added"
    assert lesson.video.minutes == 8 and lesson.video.src is None
    assert set(lesson.glossary) == {
        "local-gradient",
        "upstream-gradient",
        "jacobian",
        "transpose",
        "error-signal",
    }


@pytest.mark.parametrize(
    "mount",
    [
        'data-widget="graph" data-lesson="chain-rule-in-networks" data-preset="neuron"',
        'data-widget="graph" data-lesson="chain-rule-in-networks" data-preset="two-layer"',
        'data-widget="plot" data-lesson="chain-rule-in-networks" data-figure="sigmoid"',
        'data-widget="plot" data-lesson="chain-rule-in-networks" data-figure="loss-tangent"',
        'data-widget="plot" data-lesson="chain-rule-in-networks" data-figure="cost"',
        'data-widget="quiz" data-lesson="chain-rule-in-networks"',
    ],
)
def test_the_lesson_has_the_mount_points_the_widgets_need(mount):
    assert mount in load_course(CONTENT).lesson(LESSON_ID).html


# --- Adding a lesson is adding files ------------------------------------------------------------


def copy_content(tmp_path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    return folder


def test_a_lesson_added_to_a_content_folder_is_listed_and_rendered(tmp_path):
    folder = copy_content(tmp_path)
    body = "## Why momentum helps\n\nA velocity term: $v_{t+1} = \\beta v_t + g_t$.\n"
    (folder / "momentum.md").write_text(
        lesson_text(number=3, title="Momentum", body=body).replace(
            "course: demo", "course: backpropagation"
        )
    )
    course_file = folder / "course.yaml"
    course_file.write_text(course_file.read_text() + "  - momentum\n")

    client = make_test_app(tmp_path, CONTENT_DIR=str(folder)).test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/lessons/momentum"' in home and "Momentum" in home
    page = client.get("/lessons/momentum")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<h2 id="why-momentum-helps">Why momentum helps</h2>' in text
    assert "v_{t+1} = \\beta v_t + g_t" in text
    # The new lesson is linked from the one before it.
    before = client.get(f"/lessons/{LESSON_ID}").get_data(as_text=True)
    assert 'href="/lessons/momentum" rel="next"' in before


def test_a_malformed_lesson_stops_create_app_naming_the_file(tmp_path):
    folder = copy_content(tmp_path)
    lesson = folder / f"{LESSON_ID}.md"
    lesson.write_text(re.sub(r"^minutes: \d+\n", "", lesson.read_text(), count=1, flags=re.M))
    with pytest.raises(ContentError) as caught:
        make_test_app(tmp_path, CONTENT_DIR=str(folder))
    assert str(caught.value).startswith(str(lesson))
    assert "missing required key 'minutes'" in str(caught.value)


def test_a_bad_formula_stops_create_app_naming_the_lesson_and_the_formula(tmp_path):
    folder = copy_content(tmp_path)
    lesson = folder / f"{LESSON_ID}.md"
    lesson.write_text(lesson.read_text().replace(r"\frac{dy}{dx} =", r"\frac{dy}{dx =", 1))
    with pytest.raises(ContentError) as caught:
        make_test_app(tmp_path, CONTENT_DIR=str(folder))
    message = str(caught.value)
    assert message.startswith(f"{lesson}, line ")
    assert r"cannot typeset $\frac{dy}{dx =" in message
