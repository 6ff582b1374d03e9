"""Lesson 2 in a real Chromium: it renders cleanly, its terms and skip link work by keyboard."""

import re

import pytest
from playwright.sync_api import expect

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
        widgets.nth(index).scroll_into_view_if_needed()
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
    page.locator("#extending-to-multiple-layers").scroll_into_view_if_needed()
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
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        name = page.evaluate(
            "document.activeElement.classList.contains('term-button')"
            " ? document.activeElement.textContent : null"
        )
        if name:
            reached.append(name)
    assert reached[:3] == ["local gradient", "transpose", "error signal"]


def test_a_tap_toggles_the_definition_and_stays_in_the_window(page, live_server):
    open_lesson(page, live_server, width=360, height=780)
    button = page.get_by_role("button", name="transpose", exact=True)
    definition = page.locator(f"#{button.get_attribute('aria-describedby')}")
    button.scroll_into_view_if_needed()
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
        sections.nth(index).scroll_into_view_if_needed()
        page.wait_for_load_state("networkidle")
    plots = page.locator('[data-widget="plot"]')
    for index in range(plots.count()):
        plots.nth(index).scroll_into_view_if_needed()
        expect(plots.nth(index)).to_have_attribute("data-plot-state", "ready", timeout=15000)
    page.add_style_tag(content=".lesson-section { content-visibility: visible !important; }")
    page.screenshot(path=artifacts_dir / f"lesson-{width}-{scheme}.png", full_page=True)
    page.goto(live_server + "/")
    page.screenshot(path=artifacts_dir / f"course-{width}-{scheme}.png", full_page=True)
    page.goto(live_server + "/lessons/nope")
    page.screenshot(path=artifacts_dir / f"404-{width}-{scheme}.png", full_page=True)
    assert (artifacts_dir / f"lesson-{width}-{scheme}.png").stat().st_size > 10_000
