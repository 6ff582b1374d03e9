"""Lesson 2 in a real Chromium: it renders cleanly, its terms and skip link work by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.scrolling import bring_into_view, tab

LESSON_URL = "/lessons/chain-rule-in-networks"


def open_lesson(page, live_server, width=1280, height=900):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + LESSON_URL)
    page.wait_for_load_state("networkidle")


def test_lesson_renders_without_console_or_katex_errors(page, live_server, console_errors):
    open_lesson(page, live_server)
    expect(page.locator("h1")).to_have_text("The chain rule in networks")
    assert page.locator(".katex").count() > 60
    assert page.locator(".katex-error").count() == 0
    # KaTeX's fonts arrived: the browser is using them, not a fallback.
    assert page.evaluate("document.fonts.check('1em KaTeX_Main')")
    assert page.evaluate("document.fonts.check('italic 1em KaTeX_Math')")
    # Scrolled past every interactive part, each mounts (they load on approach), error-free.
    widgets = page.locator(".widget[data-widget]")
    for index in range(widgets.count()):
        bring_into_view(widgets.nth(index))
        expect(widgets.nth(index).locator(".widget-fallback")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    assert page.locator(".widget-error").count() == 0
    assert console_errors == []


def test_page_does_not_scroll_sideways_at_360px(page, live_server, console_errors):
    open_lesson(page, live_server, width=360, height=780)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is wider than the screen: {widths}"
    # The widest formula scrolls inside its own box instead, and can be reached by keyboard.
    wide = page.locator(".katex-display[tabindex='0']")
    assert wide.count() >= 1
    assert wide.first.evaluate("el => el.scrollWidth > el.clientWidth")
    # Sections further down are laid out as they come into view; their wide formulas then get
    # their tab stop too, and no box that scrolls is ever without one.
    bring_into_view(page.locator("#extending-to-multiple-layers"))
    section = page.locator('section[aria-labelledby="extending-to-multiple-layers"]')
    expect(section.locator(".katex-display[tabindex='0']").first).to_be_attached()
    unreachable = page.evaluate(
        """[...document.querySelectorAll('.katex-display')].filter((el) =>
             getComputedStyle(el).overflowX === 'auto' && el.scrollWidth > el.clientWidth + 1
             && el.getAttribute('tabindex') !== '0').length"""
    )
    assert unreachable == 0
    assert console_errors == []


@pytest.mark.parametrize(
    "term, words",
    [
        ("local gradient", "derivative of a node"),
        ("transpose", "swapping the rows and columns"),
        ("error signal", "pre-activation"),
    ],
)
def test_glossary_term_shows_its_definition_on_focus(page, live_server, term, words):
    open_lesson(page, live_server)
    button = page.get_by_role("button", name=term, exact=True)
    definition = page.locator(f"#{button.get_attribute('aria-describedby')}")
    expect(definition).to_be_hidden()
    button.focus()
    expect(definition).to_be_visible()
    expect(definition).to_contain_text(words)
    expect(button).to_have_accessible_description(re.compile(re.escape(words)))
    # Escape dismisses it while focus stays (WCAG 1.4.13); leaving and coming back shows it again.
    page.keyboard.press("Escape")
    expect(definition).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Shift+Tab")
    button.focus()
    expect(definition).to_be_visible()


def test_glossary_terms_are_reached_with_the_tab_key(page, live_server):
    open_lesson(page, live_server)
    terms = page.locator(".term-button").evaluate_all("els => els.map((e) => e.textContent)")
    assert terms[:1] and {"local gradient", "transpose", "error signal"} <= set(terms)
    reached = []
    for _ in range(200):
        tab(page)
        name = page.evaluate(
            "document.activeElement.classList.contains('term-button')"
            " ? document.activeElement.textContent : document.activeElement.tagName"
        )
        if name == "BODY":
            break
        if name not in ("A", "BUTTON", "INPUT", "SELECT", "SUMMARY", "DIV", "g"):
            reached.append(name)
    assert reached == terms, "every term, once each, in the page's order"


FOCUSED = """() => {
  const e = document.activeElement;
  const r = e.getBoundingClientRect();
  const kind = e.closest("[data-node]") ? "graph node"
    : e.closest('[data-widget="plot"]') && e.matches("input") ? "plot control"
    : e.closest('[data-widget="quiz"]') && e.matches("input[type=radio]") ? "quiz choice"
    : e.matches(".term-button") ? "term" : e === document.body ? "body" : "other";
  return { kind, top: r.top, bottom: r.bottom, height: innerHeight,
           label: (e.getAttribute("aria-label") || e.textContent || e.name || "").slice(0, 40) };
}"""


def tab_through(page, presses, settle_ms=250):
    """Press Tab `presses` times from the top; after each, what has focus once the page settled."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        page.wait_for_timeout(settle_ms)  # widgets mount, plots draw, sections lay out
        seen.append(page.evaluate(FOCUSED))
        if seen[-1]["kind"] == "body":
            break
    return seen


@pytest.mark.parametrize("width, height", [(1280, 900), (360, 780)])
def test_tab_from_the_top_reaches_every_widget_with_focus_in_view(
    page, live_server, console_errors, width, height
):
    open_lesson(page, live_server, width=width, height=height)
    seen = tab_through(page, 120)
    kinds = [item["kind"] for item in seen]
    for kind in ("plot control", "graph node", "quiz choice"):
        assert kind in kinds, f"Tab never reached a {kind}: {[i['label'] for i in seen]}"
    assert kinds.index("plot control") < kinds.index("graph node") < kinds.index("quiz choice")
    # Every element Tab reached was on screen once the page had settled around it.
    hidden = [
        i for i in seen if i["kind"] != "body" and (i["bottom"] <= 0 or i["top"] >= i["height"])
    ]
    assert hidden == [], f"focused but out of view: {hidden}"
    assert console_errors == []


def test_a_tab_on_a_plot_still_loading_lands_on_its_controls_in_order(page, live_server):
    """The first Tab onto the plot's stop, pressed before its figure and plotly.js arrive, must
    not jump past its controls: it waits on the stop, then the controls follow in order."""
    held = []
    page.route(re.compile(r"/api/plots/|/vendor/plotly/"), lambda route: held.append(route))
    open_lesson(page, live_server, width=360, height=780)
    stop = page.locator('[data-widget="plot"][data-figure="loss-tangent"]')
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", stop.element_handle()):
            break
    expect(stop).to_be_focused()
    page.keyboard.press("Tab")  # before anything has arrived
    page.wait_for_timeout(200)
    expect(stop).to_be_focused()
    for route in held:
        route.continue_()
    page.unroute(re.compile(r"/api/plots/|/vendor/plotly/"))
    names = []
    for _ in range(4):
        page.wait_for_function("() => document.activeElement.matches('input[name]')")
        names.append(page.evaluate("document.activeElement.name"))
        box = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
        assert box["top"] >= 0 and box["bottom"] <= 780, f"{names[-1]} out of view: {box}"
        page.keyboard.press("Tab")
    assert names == ["w", "x", "b", "y"]


def test_widgets_are_tab_stops_before_they_load_and_still_load_lazily(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    open_lesson(page, live_server)
    # Nothing heavy has loaded: the graph, the quiz and plotly wait for the student.
    assert not [u for u in requests if "/graph/widget.js" in u or "/quiz/quiz.js" in u]
    assert not [u for u in requests if "plotly" in u]
    stops = page.locator(".is-tab-stop")
    names = stops.evaluate_all(
        "els => els.map((e) => [e.dataset.widget, e.tabIndex, e.getAttribute('role')])"
    )
    assert ["quiz", 0, "group"] in names and ["graph", 0, "group"] in names
    assert ["plot", 0, "group"] in names
    # Focusing a stop mounts its widget and moves focus to its first control.
    quiz = page.locator('[data-widget="quiz"]')
    quiz.focus()
    expect(page.locator('[data-widget="quiz"] input[type=radio]:focus')).to_have_count(1)
    expect(quiz).not_to_have_attribute("tabindex", "0")
    expect(quiz).not_to_have_class(re.compile("is-tab-stop"))


def test_a_focused_term_stays_in_view_while_the_page_fills_in(page, live_server):
    open_lesson(page, live_server, width=360, height=780)
    for name in ("local gradient", "transpose", "error signal"):
        button = page.get_by_role("button", name=name, exact=True)
        button.focus()
        page.wait_for_timeout(600)  # the plots and widgets around it mount
        box = button.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 780, f"{name} pushed out: {box}"


def test_the_contents_list_shows_the_section_being_read(page, live_server):
    open_lesson(page, live_server)
    toc = page.locator("nav.toc")
    expect(toc).to_be_visible()
    ids = toc.locator("a").evaluate_all("els => els.map((a) => a.hash.slice(1))")
    for target in (ids[3], ids[1], ids[-2]):  # down, back up, and far down
        page.locator(f"#{target}").evaluate("(el) => el.scrollIntoView()")
        current = toc.locator('a[aria-current="location"]')
        expect(current).to_have_count(1)
        expect(current).to_have_attribute("href", f"#{target}")
    color = toc.locator('a[aria-current="location"]').evaluate("(a) => getComputedStyle(a).color")
    muted = toc.locator("a:not([aria-current])").first.evaluate("(a) => getComputedStyle(a).color")
    assert color != muted, "the current section looks different"


# The contents list is beside the column from 1200 px (75rem) on; narrower, the page has none.
@pytest.mark.parametrize("width, height", [(1280, 900), (1200, 640)])
@pytest.mark.parametrize(
    "target", ["extending-to-multiple-layers", "quiz", "the-chain-rule-refreshed"]
)
def test_a_contents_link_takes_focus_to_its_heading_in_view(
    page, live_server, console_errors, target, width, height
):
    open_lesson(page, live_server, width=width, height=height)
    link = page.locator(f'nav.toc a[href="#{target}"]')
    link.focus()
    page.keyboard.press("Enter")
    heading = page.locator(f"h2#{target}")
    expect(heading).to_be_focused()
    expect(heading).to_have_attribute("tabindex", "-1")  # focusable from script, no tab stop
    page.wait_for_timeout(800)  # the widgets and sections above it mount and lay out
    expect(heading).to_be_focused()
    box = heading.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"heading out of view: {box}"
    # The next Tab goes on from the section, not from the top of the page.
    page.keyboard.press("Tab")
    after = page.evaluate(
        "(id) => document.getElementById(id).compareDocumentPosition(document.activeElement)",
        target,
    )
    assert after & 4, "focus moved forward from the heading"  # DOCUMENT_POSITION_FOLLOWING
    assert console_errors == []


@pytest.mark.parametrize("width, height", [(1280, 900), (360, 780)])
def test_the_quizs_reread_link_takes_focus_to_the_section(
    page, live_server, live_app, console_errors, width, height
):
    """From the score, "Reread" a missed question's section: focus lands on its heading, in view."""
    from lessonengine.assessment.quiz import load_quiz
    from tests.browser import test_quiz

    source = load_quiz(live_app.extensions["quizzes"]["chain-rule-in-networks"].path)
    page.set_viewport_size({"width": width, "height": height})
    test_quiz.open_lesson(page, live_server)
    test_quiz.finish_with_one_missed(page, source)
    reread = page.locator(f"{test_quiz.QUIZ} .quiz-missed a.quiz-link")
    reread.focus()
    page.keyboard.press("Enter")
    heading = page.locator("h2#tracing-gradients-through-one-neuron")
    expect(heading).to_be_focused()
    page.wait_for_timeout(800)  # what lies above it lays out
    expect(heading).to_be_focused()
    box = heading.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"heading out of view: {box}"
    assert console_errors == []


def test_tap_targets_of_the_plots_and_the_quiz_are_24px_at_360px(page, live_server):
    open_lesson(page, live_server, width=360, height=780)
    for figure in ("sigmoid", "loss-tangent", "cost"):
        plot = page.locator(f'[data-widget="plot"][data-figure="{figure}"]')
        bring_into_view(plot)
        expect(plot).to_have_attribute("data-plot-state", "ready", timeout=15000)
    quiz = page.locator('[data-widget="quiz"]')
    bring_into_view(quiz)
    quiz.locator("input[type=radio]").first.wait_for()
    page.add_style_tag(content=".lesson-section { content-visibility: visible !important; }")
    small = page.evaluate(
        """() => [...document.querySelectorAll(
               '[data-widget="plot"] :is(input, button, a, select), '
               + '[data-widget="quiz"] :is(input, button, a, select), summary')]
             .filter((e) => e.checkVisibility())
             .map((e) => [e.name || e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
             .filter(([, r]) => r.width < 24 || r.height < 24)
             .map(([name, r]) => `${name}: ${Math.round(r.width)} x ${Math.round(r.height)}`)"""
    )
    assert small == [], f"targets under 24 px: {small}"


def test_formulas_fit_the_column_at_1280px(page, live_server):
    open_lesson(page, live_server, width=1280, height=900)
    page.add_style_tag(content=".lesson-section { content-visibility: visible !important; }")
    clipped = page.evaluate(
        """[...document.querySelectorAll('.lesson-body .katex-display')]
             .filter((el) => !el.closest('details') && el.scrollWidth > el.clientWidth + 1)
             .map((el) => el.textContent.slice(0, 40))"""
    )
    assert clipped == [], "formulas that scroll although the margins have room"


def test_the_first_screen_at_360px_shows_a_small_plain_video_card(page, live_server):
    open_lesson(page, live_server, width=360, height=780)
    card = page.locator(".video-card")
    box = card.bounding_box()
    assert box["height"] < 300, box
    assert box["y"] + box["height"] < 780, "the whole card is on the first screen"
    # Nothing in it looks pressable: no button, link or pointer cursor, no play icon.
    assert card.locator("button, a, video, .video-play").count() == 0
    cursors = card.locator("*").evaluate_all("els => els.map((e) => getComputedStyle(e).cursor)")
    assert "pointer" not in cursors


def test_a_tap_toggles_the_definition_and_stays_in_the_window(page, live_server):
    open_lesson(page, live_server, width=360, height=780)
    button = page.get_by_role("button", name="transpose", exact=True)
    definition = page.locator(f"#{button.get_attribute('aria-describedby')}")
    bring_into_view(button)
    button.click()
    expect(definition).to_be_visible()
    box = definition.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.mouse.click(5, 5)  # a tap elsewhere closes it
    expect(page.locator(".term.is-open")).to_have_count(0)


def test_skip_link_moves_focus_to_the_main_content(page, live_server):
    open_lesson(page, live_server)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab goes into the content, not back to the header.
    page.keyboard.press("Tab")
    inside = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width, height", [(360, 780), (1280, 900)])
def test_screenshots(page, live_server, artifacts_dir, width, height, scheme):
    page.emulate_media(color_scheme=scheme)
    open_lesson(page, live_server, width=width, height=height)
    # Scroll down the page as a student would, so every widget and plot mounts; then lay out
    # every section (off-screen ones are skipped by content-visibility) for one full picture.
    sections = page.locator(".lesson-section")
    for index in range(sections.count()):
        bring_into_view(sections.nth(index))
        page.wait_for_load_state("networkidle")
    plots = page.locator('[data-widget="plot"]')
    for index in range(plots.count()):
        bring_into_view(plots.nth(index))
        expect(plots.nth(index)).to_have_attribute("data-plot-state", "ready", timeout=15000)
    page.add_style_tag(content=".lesson-section { content-visibility: visible !important; }")
    page.screenshot(path=artifacts_dir / f"lesson-{width}-{scheme}.png", full_page=True)
    page.goto(live_server + "/")
    page.screenshot(path=artifacts_dir / f"course-{width}-{scheme}.png", full_page=True)
    page.goto(live_server + "/lessons/nope")
    page.screenshot(path=artifacts_dir / f"404-{width}-{scheme}.png", full_page=True)
    assert (artifacts_dir / f"lesson-{width}-{scheme}.png").stat().st_size > 10_000
