"""axe-core finds no violations on the course page, the lesson page and the 404 page."""

import pytest

PAGES = {
    "course": "/",
    "lesson": "/lessons/chain-rule-in-networks",
    "not found": "/lessons/no-such-lesson",
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
