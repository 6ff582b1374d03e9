"""axe-core finds no violations on the course, lesson, practice and 404 pages."""

import pytest

PAGES = {
    "course": "/",
    "lesson": "/lessons/chain-rule-in-networks",
    "not found": "/lessons/no-such-lesson",
    "practice": "/practice",
    "practice skill": "/practice/neuron-dw",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations(page, live_server, axe_check, name, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server + PAGES[name])
    page.wait_for_load_state("networkidle")
    axe_check(page, f"on the {name} page ({scheme})")


def test_no_axe_violations_on_a_narrow_screen(page, live_server, axe_check):
    # At 360 px some formulas scroll sideways: each such box must be reachable by keyboard.
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + PAGES["lesson"])
    page.wait_for_load_state("networkidle")
    axe_check(page, "on the lesson page at 360 px")


def test_no_axe_violations_with_a_definition_open(page, live_server, axe_check):
    page.goto(live_server + PAGES["lesson"])
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="local gradient", exact=True).focus()
    axe_check(page, "with a glossary definition shown")


TARGETS = """() => [...document.querySelectorAll(
    '[data-widget] :is(button, input, select, summary, a[href], [tabindex="0"]), .toc a'
  )].filter((e) => e.checkVisibility() && !e.closest('.katex-display, p, li, dd, .term'))
   .map((e) => {
     // A control's target includes its label: a click there works the control too.
     const boxes = [e, ...(e.labels || [])].map((n) => n.getBoundingClientRect());
     const width = Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left));
     const height = Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top));
     const name = e.getAttribute('aria-label') || e.textContent.trim() || e.name || e.id;
     return { name: `${e.tagName} ${name}`.slice(0, 60), width, height };
   })"""


def test_tap_targets_are_at_least_24_px_on_a_phone(page, live_server):
    """WCAG 2.5.8: every control of every widget is a target of 24 x 24 px or more at 360 px."""
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + PAGES["lesson"])
    page.wait_for_load_state("networkidle")
    for widget in (
        '[data-figure="loss-tangent"]',
        '[data-preset="neuron"]',
        '[data-widget="quiz"]',
    ):
        page.locator(widget).first.evaluate("(el) => el.scrollIntoView()")
        page.locator(f"{widget} :is(input, button)").first.wait_for()
    targets = page.evaluate(TARGETS)
    assert len(targets) > 20
    small = [t for t in targets if t["width"] < 23.5 or t["height"] < 23.5]
    assert small == [], small
