"""Practice in a real Chromium, by keyboard only: one skill to proficient, the clock moved a day
on, the review due and done in the mixed review; axe finds nothing (light, dark, 360 px)."""

import time

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Page, expect

from lessonengine.assessment.practice import generate
from lessonengine.content import render_block, render_inline
from tests.api.test_practice_api import Clock
from tests.conftest import LiveServer, make_test_app
from webapp.practice import markdown_html

SKILL = "mul-local"  # a number answer, with a graph
CHOICE = "add-local"  # radio choices
ANSWER = '[data-input="answer"]'


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def practice_app(tmp_path_factory, clock):
    return make_test_app(tmp_path_factory.mktemp("practice"), CLOCK=clock)


@pytest.fixture(scope="module")
def server(practice_app):
    live = LiveServer(practice_app).start()
    yield live.url
    live.stop()


def seed_of(page: Page) -> int:
    """The exercise's seed, from the address the page keeps shareable (?seed=N)."""
    page.wait_for_function("() => /[?&]seed=\\d+/.test(location.search)")
    return int(page.evaluate("() => new URLSearchParams(location.search).get('seed')"))


def right_answer(app, skill: str, page: Page) -> str:
    return generate(app.extensions["practice_skills"][skill], seed_of(page)).expected


def tab_to(page: Page, selector: str, limit: int = 30):
    """Press Tab until `selector` has the focus (only the keyboard moves it)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def wait_for_exercise(page: Page, number: int):
    expect(page.locator('[data-field="number"]')).to_have_text(str(number))
    page.locator('[data-field="prompt"] .katex').first.wait_for()


def answer_by_keyboard(page: Page, text: str):
    tab_to(page, ANSWER)
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.locator(".practice-verdict").wait_for()


def level(page: Page) -> str:
    return page.locator('.practice-status [data-field="level-label"]').inner_text()


def test_practise_to_proficient_then_the_review_falls_due(
    page: Page, server, practice_app, clock, axe_check, artifacts_dir, console_errors
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/practice/{SKILL}")
    wait_for_exercise(page, 1)
    # The exercise's graph is drawn by the graph widget's view: values shown, gradients hidden.
    nodes = page.locator(".practice-graph .graph-node")
    expect(nodes).to_have_count(3)
    expect(page.locator(".practice-graph .graph-node-grad.is-hidden")).to_have_count(2)
    assert level(page) == "New"

    # A wrong answer first: the feedback, the worked solution, the level moved by the rules.
    answer_by_keyboard(page, "12345")
    feedback = page.locator('[data-field="feedback"]')
    expect(feedback.locator(".practice-verdict.is-wrong")).to_be_visible()
    expect(page.locator('[data-field="solution"]')).to_be_visible()
    expect(page.locator('[data-field="solution"] .katex').first).to_be_visible()
    assert level(page) == "Attempted"
    axe_check(page, "after a wrong answer")
    # The focus went to Next: Enter asks for a new exercise, and the focus lands on it.
    assert page.evaluate("document.activeElement.dataset.action") == "next"
    page.keyboard.press("Enter")
    wait_for_exercise(page, 2)
    expect(feedback).to_be_empty()

    expected = ["Familiar", "Familiar", "Proficient"]
    for number, shown in enumerate(expected, start=2):
        if number > 2:
            page.keyboard.press("Enter")  # Next, which has the focus
            wait_for_exercise(page, number)
        answer_by_keyboard(page, right_answer(practice_app, SKILL, page))
        expect(feedback.locator(".practice-verdict.is-right")).to_be_visible()
        expect(page.locator('.practice-status [data-field="level-label"]')).to_have_text(shown)
    expect(feedback).to_contain_text("Level up: Proficient.")
    expect(page.locator('.practice-status [data-field="due"]')).to_have_text(
        "Next review 2026-12-01"
    )
    page.screenshot(path=artifacts_dir / "practice-proficient-1280.png", full_page=True)

    # A day and an hour later the review is due: first on the practice page.
    clock.forward(days=1, hours=1)
    page.goto(f"{server}/practice")
    first = page.locator("[data-skill]").first
    expect(first).to_have_attribute("data-skill", SKILL)
    expect(first.locator('[data-field="due"]')).to_have_text("Review due now")
    axe_check(page, "on the practice page with a review due")
    tab_to(page, ".practice-review-card a")
    with page.expect_response(lambda r: r.url.endswith("/exercise")) as handed_out:
        page.keyboard.press("Enter")
    page.wait_for_url("**/practice/mixed-review")
    wait_for_exercise(page, 1)
    exercise = handed_out.value.json()  # the review keeps no seed in its address
    assert exercise["skill"] == SKILL
    expect(page.locator('.practice-status [data-field="skill-name"]')).to_have_text(
        practice_app.extensions["practice_skills"][SKILL].title
    )
    skill = practice_app.extensions["practice_skills"][SKILL]
    answer_by_keyboard(page, generate(skill, exercise["seed"]).expected)
    expect(feedback).to_contain_text("Level up: Mastered.")
    page.keyboard.press("Enter")
    expect(page.locator(".practice-done")).to_contain_text("All caught up")
    page.goto(f"{server}/practice")
    card = page.locator(f'[data-skill="{SKILL}"]')
    expect(card.locator('[data-field="level-label"]')).to_have_text("Mastered")
    expect(card.locator('[data-field="due"]')).to_have_text("Next review 2026-12-08")
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_choice_exercise_by_keyboard_at_360_px(
    page: Page, server, practice_app, axe_check, artifacts_dir, console_errors, scheme
):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{server}/practice/{CHOICE}?seed=11")
    wait_for_exercise(page, 1)
    assert seed_of(page) == 11  # the shared seed opens that very exercise
    right = right_answer(practice_app, CHOICE, page)
    radios = page.locator('input[name="practice-choice"]')
    values = radios.evaluate_all("(els) => els.map((e) => e.value)")
    assert right in values and len(values) >= 3
    tab_to(page, 'input[name="practice-choice"]')
    # Arrow keys move through a radio group and select as they go.
    for _ in range(values.index(right)):
        page.keyboard.press("ArrowDown")
    expect(radios.nth(values.index(right))).to_be_checked()
    page.keyboard.press("Enter")  # submits the form from a radio
    expect(page.locator(".practice-verdict.is-right")).to_be_visible()
    expect(page.locator(".practice-choice.is-right")).to_contain_text("right answer")
    # Nothing scrolls sideways at 360 px but formulas inside their own boxes.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    axe_check(page, f"after a choice at 360 px ({scheme})")
    page.screenshot(path=artifacts_dir / f"practice-choice-360-{scheme}.png", full_page=True)
    page.goto(f"{server}/practice")
    page.screenshot(path=artifacts_dir / f"practice-overview-360-{scheme}.png", full_page=True)
    axe_check(page, f"on the practice page at 360 px ({scheme})")
    assert console_errors == []


def test_every_skill_fits_360_px_with_its_solution_open(
    page: Page, server, practice_app, axe_check, artifacts_dir, console_errors
):
    """A wide formula scrolls in its own box (with a tab stop), never the page; axe stays at 0."""
    page.set_viewport_size({"width": 360, "height": 780})
    for skill in practice_app.extensions["practice_skills"]:
        page.goto(f"{server}/practice/{skill}?seed=1")
        wait_for_exercise(page, 1)
        field = page.locator(ANSWER)
        if field.is_visible():
            field.fill("1")
        else:
            page.locator('input[name="practice-choice"]').first.check()
        page.locator('[data-action="check"]').click()
        page.locator('[data-field="solution"] .katex').first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{skill}: the page is {width} px wide"
        # Each formula typeset in the browser that is wider than the column scrolls in its
        # own box, which the keyboard reaches (formulas.js, after the typesetting).
        wide = page.locator(".practice-exercise .katex-display.is-wide")
        for box in wide.all():
            expect(box).to_have_attribute("tabindex", "0")
        if wide.count():
            wide.first.focus()
            page.screenshot(path=artifacts_dir / f"practice-wide-360-{skill}.png", full_page=True)
        axe_check(page, f"on {skill} at 360 px, answered")
    assert console_errors == []


def test_an_unknown_skill_is_a_page_that_helps(page: Page, server, axe_check):
    response = page.goto(f"{server}/practice/no-such-skill")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("We could not find that page")
    expect(page.locator("main")).to_contain_text("no skill called")
    axe_check(page, "on the unknown skill's page")


def test_the_course_page_shows_this_learners_practice(page: Page, server, practice_app):
    page.goto(f"{server}/practice/{SKILL}?seed=3")
    wait_for_exercise(page, 1)
    answer_by_keyboard(page, right_answer(practice_app, SKILL, page))
    page.goto(server + "/")
    line = page.locator("[data-practice-progress] [data-field='progress']")
    total = len(practice_app.extensions["practice_skills"])
    expect(line).to_have_text(f"0 of {total} skills proficient or mastered.")


# --- Formulas: typeset in the browser, as the lesson is on the server -------------------------

# Counts the frames (each before it is painted) that hold a formula still as TeX source.
COUNT_RAW_FRAMES = """
window.rawTexFrames = 0;
const tick = () => {
  if (document.querySelector(".tex-source")) window.rawTexFrames += 1;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"""


def katex_of(html: str) -> list[str]:
    """Each formula (.katex, with its MathML) of some HTML, serialised one way."""
    return [str(k) for k in BeautifulSoup(html, "html.parser").select(".katex")]


def shown_katex(page: Page, selector: str) -> list[str]:
    outer = page.locator(f"{selector} .katex").evaluate_all("(els) => els.map((e) => e.outerHTML)")
    return [k for html in outer for k in katex_of(html)[:1]]


@pytest.mark.parametrize("skill", ["sigmoid-local", CHOICE, "layer-delta"])
def test_formulas_are_typeset_in_the_browser_exactly_as_the_lesson_typesets_them(
    page: Page, server, practice_app, skill, console_errors
):
    """KaTeX's HTML and MathML, the same markup as the server's KaTeX gives the lesson, and no
    frame is ever painted with a formula as TeX, even when KaTeX is slow to arrive."""

    def slow(route):
        time.sleep(0.8)
        route.continue_()

    page.route("**/vendor/katex/katex.min.js", slow)
    page.add_init_script(COUNT_RAW_FRAMES)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/practice/{skill}?seed=21")
    wait_for_exercise(page, 1)
    exercise = generate(practice_app.extensions["practice_skills"][skill], 21)
    prompt = shown_katex(page, '[data-field="prompt"]')
    assert prompt and prompt == katex_of(render_block(exercise.prompt))
    if exercise.choices:
        expected = [k for c in exercise.choices for k in katex_of(render_inline(c))]
        assert shown_katex(page, '[data-field="choice-list"]') == expected
        page.locator('input[name="practice-choice"]').first.check()
    else:
        page.locator(ANSWER).fill("1")
    page.locator('[data-action="check"]').click()
    page.locator('[data-field="solution"] .katex').first.wait_for()
    shown = shown_katex(page, '[data-field="explanation"]')
    assert shown and shown == katex_of(render_block(exercise.explanation))
    assert page.locator('[data-field="explanation"] .math > .katex-display').count() == 1
    # Screen readers get MathML: one <math> for each formula.
    assert (
        page.locator(".practice-exercise .katex .katex-mathml math").count()
        == page.locator(".practice-exercise .katex").count()
    )
    assert page.locator(".tex-source").count() == 0
    assert page.evaluate("window.rawTexFrames") == 0
    assert console_errors == []


def test_without_katex_an_exercise_still_reads_as_its_tex_source(page: Page, server):
    page.route("**/vendor/katex/katex.min.js", lambda route: route.abort())
    page.add_init_script(COUNT_RAW_FRAMES)
    page.goto(f"{server}/practice/{SKILL}?seed=4")
    expect(page.locator('[data-field="number"]')).to_have_text("1")
    sources = page.locator('[data-field="prompt"] .tex-source')
    expect(sources.first).to_be_visible()
    assert page.locator('[data-field="prompt"] .katex').count() == 0
    assert sources.first.inner_text() == sources.first.get_attribute("data-tex")
    expect(page.locator(ANSWER)).to_be_editable()  # the exercise can still be answered
    page.wait_for_function("window.rawTexFrames > 0")  # what the typeset test counts, seen here


WIDE = "$$" + " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(1, 25)) + " = z$$"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_wide_formula_typeset_in_the_browser_scrolls_in_its_own_box_with_a_tab_stop(
    page: Page, server, axe_check, artifacts_dir, console_errors, scheme
):
    """No skill's solution is that wide at 360 px today: the server's reply gets one more
    formula, rendered by the server's own Markdown renderer, to show what the page does."""

    def widen(route):
        reply = route.fetch()
        body = reply.json()
        body["explanation_html"] += markdown_html(f"In full:\n\n{WIDE}")
        route.fulfill(response=reply, json=body)

    page.route("**/answer", widen)
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{server}/practice/{SKILL}?seed=8")
    wait_for_exercise(page, 1)
    answer_by_keyboard(page, "1")
    wide = page.locator('[data-field="explanation"] .katex-display.is-wide')
    expect(wide).to_have_count(1)
    expect(wide).to_have_attribute("tabindex", "0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the page stays whole
    tab_to(page, '[data-field="explanation"] .katex-display.is-wide')
    page.keyboard.press("ArrowRight")  # the box scrolls by keyboard
    expect(wide).not_to_have_js_property("scrollLeft", 0)
    page.locator('[data-field="solution"]').screenshot(
        path=artifacts_dir / f"practice-wide-formula-360-{scheme}.png"
    )
    axe_check(page, f"with a wide formula in the solution at 360 px ({scheme})")
    assert console_errors == []
