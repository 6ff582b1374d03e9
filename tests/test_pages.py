"""The pages through Flask's test client: the lesson complete and in order, 404s, prev/next."""

import html
import re

import pytest
import yaml

from tests.conftest import ROOT, make_test_app

LESSON_ID = "chain-rule-in-networks"
LESSON_FILE = ROOT / "content" / f"{LESSON_ID}.md"
LESSON_URL = f"/lessons/{LESSON_ID}"

SECTIONS = [
    "The chain rule, refreshed",
    "Tracing gradients through one neuron",
    "The local gradient concept",
    "Interactive example",
    "Extending to multiple layers",
    "Why it is efficient",
    "Quiz",
]

# The depth the lesson adds, each a closed "Going deeper" block in its section (issue 17).
DEEPER = [
    ("Tracing gradients through one neuron", "Why the fading slope does not slow this neuron"),
    ("The local gradient concept", "The chain rule for several variables"),
    ("Interactive example", "What the gradient check computes"),
    ("Extending to multiple layers", "A linear layer, one index at a time"),
    ("Extending to multiple layers", "Jacobians, and why an activation is an elementwise product"),
    ("Extending to multiple layers", "A backward pass by hand, with the graph’s numbers"),
    ("Why it is efficient", "What the backward pass costs, in time and memory"),
    ("Why it is efficient", "Why gradients fade in deep sigmoid networks"),
]


def squash(text: str) -> str:
    return " ".join(text.split())


def source_parts():
    """The lesson file's front matter and body, read without the app's own loader."""
    _, front, body = LESSON_FILE.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def formulas_in(markdown: str) -> list[str]:
    """Every `$$...$$` and `$...$` formula of some Markdown, as written."""
    display = re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.S)
    rest = re.sub(r"\$\$(.+?)\$\$", " ", markdown, flags=re.S)
    inline = re.findall(r"(?<!\\)\$(.+?)(?<!\\)\$", rest, flags=re.S)
    return [squash(tex) for tex in display + inline]


def annotations(page: str) -> set[str]:
    """The TeX sources KaTeX keeps in its MathML annotations."""
    found = re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>', page, re.S)
    return {squash(html.unescape(tex)) for tex in found}


@pytest.fixture(scope="module")
def lesson_page():
    from app import create_app

    client = create_app({"TESTING": True}).test_client()
    response = client.get(LESSON_URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_section_heading_is_on_the_page(lesson_page):
    _, body = source_parts()
    written = re.findall(r"^## (.+)$", body, flags=re.M)
    assert written == SECTIONS, "the lesson's sections, in the seed's order"
    for heading in written:
        assert re.search(
            rf'<h2 id="[a-z0-9-]+">{re.escape(html.escape(heading))}</h2>', lesson_page
        )


def test_every_formula_of_the_lesson_is_typeset_on_the_page(lesson_page):
    meta, body = source_parts()
    formulas = formulas_in(body)
    for entry in meta["glossary"].values():
        formulas += formulas_in(entry["definition"])
    assert len(formulas) > 60
    typeset = annotations(lesson_page)
    missing = [tex for tex in formulas if tex not in typeset]
    assert not missing, f"formulas not on the page: {missing}"
    assert "katex-error" not in lesson_page


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{dy}{dx} = \frac{df}{dg} \cdot \frac{dg}{dx}",
        r"\frac{dy}{dx} = \frac{df}{dg} \cdot \frac{dg}{dh} \cdot \frac{dh}{dx}",
        r"\frac{d}{dx}(2x+1)^3 = 3(2x+1)^2 \cdot 2 = 6(2x+1)^2",
        r"z = wx + b, \quad a = \sigma(z), \quad L = -y\log(a) - (1-y)\log(1-a)",
        r"\frac{\partial a}{\partial z} = \sigma'(z) = \sigma(z)(1 - \sigma(z)) = a(1-a)",
        r"-\frac{y}{a} \cdot a(1-a) + \frac{1-y}{1-a} \cdot a(1-a) = -y(1-a) + (1-y)a = a - y",
        r"\frac{\partial L}{\partial w} = (\hat{y} - y) \cdot x",
        r"W^{(2)\top}",
        r"O(n^2)",
        r"O(\text{total parameters})",
    ],
)
def test_the_seed_formulas_are_there(lesson_page, tex):
    assert tex in annotations(lesson_page)


def test_the_page_follows_the_seed_in_order(lesson_page):
    text = squash(
        re.sub(r"<[^>]+>", " ", re.sub(r'<span class="katex">.*?</annotation>', "", lesson_page))
    )
    expected = [
        "Skip to content",
        "Backpropagation",
        "Lesson 2",
        f"Reading time: {source_parts()[0]['minutes']} min",
        "The chain rule in networks",
        "Video coming soon",
        "Chain Rule in Neural Networks: Tracing Gradients Backward",
        "~8 min",
        "Quick refresher",
        *SECTIONS,
    ]
    position = 0
    for item in expected:  # each one after the one before
        found = text.find(item, position)
        assert found >= 0, f"{item!r} is missing, or not after the items before it"
        position = found + len(item)


def test_legends_follow_their_formulas(lesson_page):
    assert lesson_page.count('<div class="legend" role="group" aria-label="Symbols">') == 19
    assert re.search(r'</div>\n<div class="legend"', lesson_page), "a legend right after a formula"


def test_glossary_terms_point_at_their_definitions(lesson_page):
    terms = re.findall(
        r'<button type="button" class="term-button" aria-describedby="([^"]+)">', lesson_page
    )
    assert terms == [
        "term-upstream-gradient-1",
        "term-local-gradient-1",
        "term-jacobian-1",
        "term-transpose-1",
        "term-error-signal-1",
    ]
    for tip in terms:
        assert f'<span class="term-definition" role="tooltip" id="{tip}">' in lesson_page


def test_the_widget_mount_points_have_fallback_text(lesson_page):
    for name in ("graph", "plot", "quiz"):
        assert f'data-widget="{name}"' in lesson_page
    assert lesson_page.count('<div class="widget-fallback">') == 6
    assert (
        'data-widget="graph" data-lesson="chain-rule-in-networks" data-preset="two-layer"'
        in (
            lesson_page.split('id="extending-to-multiple-layers"')[1].split(
                'id="why-it-is-efficient"'
            )[0]
        )
    ), "the two-layer graph sits in the multi-layer section"
    assert "Coming soon" not in lesson_page


def test_the_going_deeper_blocks_are_in_their_sections_and_closed(lesson_page):
    sections = re.findall(
        r'<section class="lesson-section" aria-labelledby="[^"]+">\n<h2 id="[^"]+">(.*?)</h2>'
        r"(.*?)</section>",
        lesson_page,
        flags=re.S,
    )
    found = [
        (html.unescape(heading), html.unescape(title))
        for heading, body in sections
        for title in re.findall(
            r'<details class="callout callout-deeper">\n<summary class="deeper-title">'
            r"Going deeper: ([^<]*)</summary>",
            body,
        )
    ]
    assert found == DEEPER
    assert "<details open" not in lesson_page


def test_templates_add_no_inline_styles_or_scripts(lesson_page, tmp_path):
    from lessonengine.content import load_course

    body = load_course(ROOT / "content").lesson(LESSON_ID).html
    prompt = make_test_app(tmp_path).extensions["quizzes"][LESSON_ID].questions[0].prompt
    katex = body.count('style="') + prompt.count('style="')  # the quiz's first prompt is shown
    assert lesson_page.count('style="') == katex, "only KaTeX's own positioning"
    scripts = re.findall(r"<script[^>]*>", lesson_page)
    assert scripts == ['<script type="application/json" id="app-config">', scripts[1]]
    assert 'type="module"' in scripts[1] and "src=" in scripts[1]


def test_the_lesson_page_links_its_stylesheets_and_favicon(lesson_page):
    for sheet in ("css/site.css", "vendor/katex/katex.min.css", "css/graph.css", "css/quiz.css"):
        assert f"/static/{sheet}" in lesson_page
    assert 'rel="icon"' in lesson_page


def test_course_page_lists_the_lessons_with_links(client):
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Backpropagation</h1>" in page
    assert f'<a href="{LESSON_URL}">The chain rule in networks</a>' in page
    assert "Lesson 2" in page


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"


def test_unknown_lesson_is_a_friendly_404_page(client):
    response = client.get("/lessons/no-such-lesson")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "We could not find that page" in page
    assert "There is no lesson called “no-such-lesson”" in page
    assert f'href="{LESSON_URL}"' in page and 'href="/"' in page


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "Not Found"
    assert body["message"]


def lesson_file(number, title):
    return (
        f"---\ncourse: backpropagation\nlesson: {number}\ntitle: {title}\nminutes: 5\n"
        "video:\n  title: V\n  description: D.\n  minutes: 2\n---\n## Section\n\nText.\n"
    )


def test_previous_and_next_links_where_those_lessons_exist(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "course.yaml").write_text(
        "id: backpropagation\ntitle: Backpropagation\nlessons: [one, two, three]\n"
    )
    for number, name in enumerate(["one", "two", "three"], start=1):
        (folder / f"{name}.md").write_text(lesson_file(number, name.title()))
    client = make_test_app(tmp_path, CONTENT_DIR=str(folder)).test_client()

    first = client.get("/lessons/one").get_data(as_text=True)
    middle = client.get("/lessons/two").get_data(as_text=True)
    last = client.get("/lessons/three").get_data(as_text=True)
    assert 'rel="prev"' not in first and 'href="/lessons/two" rel="next"' in first
    assert (
        'href="/lessons/one" rel="prev"' in middle and 'href="/lessons/three" rel="next"' in middle
    )
    assert 'href="/lessons/two" rel="prev"' in last and 'rel="next"' not in last


def test_a_single_lesson_course_has_no_pager(lesson_page):
    assert 'class="pager"' not in lesson_page


def quiz_widget(page: str) -> str:
    """The quiz widget's HTML as the server sends it, up to the widget's end."""
    start = page.index('data-widget="quiz"')
    return page[start : page.index('<div class="widget-fallback">', start)]


def test_the_quiz_shows_its_count_and_first_prompt_before_any_script(tmp_path):
    app = make_test_app(tmp_path)
    quiz = app.extensions["quizzes"][LESSON_ID]
    first, second = app.test_client(), app.test_client()
    page = first.get(LESSON_URL)
    widget = quiz_widget(page.get_data(as_text=True))
    assert f'<span class="quiz-count">Question 1 / {len(quiz.questions)}</span>' in widget
    assert quiz.questions[0].prompt in widget, "the first prompt, typeset like the quiz's"
    assert quiz.questions[1].prompt not in widget
    assert widget.count('class="quiz-preview-choice"') == len(quiz.questions[0].choices)
    # The same page for every learner: one that has answered gets the same bytes and ETag.
    question = quiz.questions[0]
    answered = second.post(
        f"/api/lessons/{LESSON_ID}/quiz/{question.id}/answer", json={"choice": question.correct}
    )
    assert answered.status_code == 200
    again = second.get(LESSON_URL)
    assert again.get_data() == page.get_data()
    assert again.headers["ETag"] == page.headers["ETag"]


def test_a_lesson_without_a_video_gets_a_small_card_and_no_play_button(lesson_page, tmp_path):
    assert "video-card is-coming-soon" in lesson_page
    assert '<p class="video-kicker">Video coming soon</p>' in lesson_page
    assert "video-play" not in lesson_page and "<video" not in lesson_page
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "course.yaml").write_text(
        "id: backpropagation\ntitle: Backpropagation\nlessons: [one]\n"
    )
    source = lesson_file(1, "One").replace("minutes: 2\n", "minutes: 2\n  src: /static/v.mp4\n")
    (folder / "one.md").write_text(source)
    page = make_test_app(tmp_path, CONTENT_DIR=str(folder)).test_client().get("/lessons/one")
    html = page.get_data(as_text=True)
    assert '<video controls preload="metadata" src="/static/v.mp4"' in html
    assert "is-coming-soon" not in html and '<p class="video-kicker">Video</p>' in html
