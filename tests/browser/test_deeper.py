"""The lesson's "Going deeper" parts in Chromium: closed at first, opened and closed by keyboard."""

import pytest
from playwright.sync_api import expect

from tests.browser.scrolling import bring_into_view

LESSON_URL = "/lessons/chain-rule-in-networks"
WORKED = "Going deeper: A backward pass by hand, with the graph’s numbers"


def test_a_going_deeper_part_opens_and_closes_with_the_keyboard(
    page, live_server, console_errors, axe_check, artifacts_dir
):
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + LESSON_URL)
    blocks = page.locator("details.callout-deeper")
    expect(blocks).to_have_count(8)
    for index in range(8):
        expect(blocks.nth(index)).not_to_have_attribute("open", "")
    summary = page.locator("summary.deeper-title", has_text=WORKED)
    worked = page.locator("details.callout-deeper", has=summary)
    first_step = worked.get_by_text("the sigmoid and the cross-entropy cancel")
    expect(first_step).to_be_hidden()

    summary.focus()
    expect(summary).to_be_focused()
    assert summary.evaluate("e => getComputedStyle(e).outlineStyle") != "none", "focus shows"
    page.keyboard.press("Enter")
    expect(worked).to_have_attribute("open", "")
    expect(first_step).to_be_visible()
    # Its formulas are typeset like the rest of the lesson, and it fits a phone's width.
    assert worked.locator(".katex").count() > 10
    assert worked.locator(".katex-error").count() == 0
    box = worked.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    worked.screenshot(path=str(artifacts_dir / "lesson-going-deeper-360.png"))
    axe_check(page, "with a Going deeper part open")

    page.keyboard.press("Space")
    expect(worked).not_to_have_attribute("open", "")
    expect(first_step).to_be_hidden()
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width, height", [(360, 780), (1280, 900)])
def test_the_two_layer_graph_is_core_content_of_the_multi_layer_section(
    page, live_server, console_errors, artifacts_dir, width, height, scheme
):
    """Not behind a Going deeper part: the section on several layers has the graph's numbers."""
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + LESSON_URL)
    section = page.locator('section[aria-labelledby="extending-to-multiple-layers"]')
    graph = section.locator('[data-widget="graph"][data-preset="two-layer"]')
    expect(graph).to_have_count(1)
    assert graph.evaluate("(el) => el.closest('details') === null"), "outside every part"
    bring_into_view(graph)
    expect(graph.locator(".widget-fallback")).to_be_hidden()
    expect(graph.locator("[data-node]").first).to_be_visible()
    # The worked backward pass, still in its part, is about the same graph.
    summary = page.locator("summary.deeper-title", has_text=WORKED)
    worked = page.locator("details.callout-deeper", has=summary)
    expect(worked).to_contain_text("The two-layer graph above")
    page.wait_for_load_state("networkidle")
    graph.screenshot(path=str(artifacts_dir / f"lesson-two-layer-core-{width}-{scheme}.png"))
    assert console_errors == []


def test_every_going_deeper_part_open_fits_a_phone(page, live_server):
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + LESSON_URL)
    summaries = page.locator("summary.deeper-title")
    for index in range(summaries.count()):
        # By keyboard, not by a click at coordinates that a widget mounting above may move.
        summaries.nth(index).focus()
        page.keyboard.press("Enter")
    expect(page.locator("details.callout-deeper[open]")).to_have_count(8)
    for index in range(summaries.count()):  # every section laid out, as a reader scrolls by
        summaries.nth(index).scroll_into_view_if_needed()
    # A section clips what overflows it, so look at each formula in the text: none may run past
    # the screen's edge (a display formula scrolls in its own box instead).
    cut = page.evaluate(
        """() => [...document.querySelectorAll('details[open] :is(p, li, dd) .katex')]
             .filter((e) => !e.closest('.katex-display'))
             .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)
             .map((e) => e.querySelector('annotation').textContent)"""
    )
    assert cut == [], f"formulas cut off at 360 px: {cut}"
