"""A class's dashboard in a real Chromium: a student's answers show up, the quiz table sorts by
keyboard, a node of the graph is selected by keyboard and lists its notes; axe finds nothing;
screenshots at 360 and 1280 px, light and dark."""

import contextlib
import re

import pytest

from tests.teach.conftest import PASSWORD
from webapp.teach.auth import hash_password
from webapp.teach.store import DuplicateTeacher

EMAIL = "dashboard-teacher@example.org"
LESSON = "chain-rule-in-networks"


@pytest.fixture(scope="module")
def teacher(live_app):
    with live_app.app_context(), contextlib.suppress(DuplicateTeacher):
        live_app.extensions["store"].create_teacher(EMAIL, hash_password(PASSWORD))
    return EMAIL


@pytest.fixture(scope="module")
def teacher_cookies(browser, live_server, teacher):
    """One login for the module (every login attempt counts toward the per-account limit)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(live_server + "/teach/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
        return context.cookies()
    finally:
        context.close()


@pytest.fixture
def dashboard(page, browser, live_server, teacher_cookies):
    """The teacher's session, a new class; two students join it and answer. Yields its URL."""
    page.context.add_cookies(teacher_cookies)
    page.goto(live_server + "/teach")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    created = page.request.post(
        live_server + "/api/teach/classes",
        data={"name": "Thursday group"},
        headers={"X-CSRFToken": token},
    )
    assert created.status == 201
    klass = created.json()
    for nickname, choice, answer in (("Kim", "b", "0.5"), ("Lee", "c", "-0.498")):
        context = browser.new_context()
        try:
            student = context.request
            body = {"code": klass["code"], "nickname": nickname}
            joined = student.post(live_server + "/api/classes/join", data=body)
            assert joined.status == 200
            url = f"{live_server}/api/lessons/{LESSON}/quiz/neuron-dw/answer"
            assert student.post(url, data={"choice": choice}).status == 200
            step = {"preset": "neuron", "node": "w", "quantity": "grad", "answer": answer}
            assert student.post(live_server + "/api/graph/answer", data=step).status == 200
        finally:
            context.close()
    return f"{live_server}/teach/classes/{klass['id']}"


def tab_to(page, selector, presses=120):
    """Press Tab until `selector` has the focus, checking that the focus is visible."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            # An outline, or for a graph node its ring (graph.css draws it inside the SVG).
            visible = page.evaluate(
                """() => {
                  const el = document.activeElement;
                  const ring = el.querySelector(":scope > .graph-node-ring");
                  if (ring) return getComputedStyle(ring).strokeWidth === "3px";
                  return getComputedStyle(el).outlineStyle !== "none";
                }"""
            )
            assert visible, f"{selector} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {selector}")


def open_dashboard(page, url):
    page.goto(url)
    page.wait_for_selector("[data-dashboard][data-state='ready']")


def test_the_dashboard_by_keyboard(page, dashboard, console_errors):
    open_dashboard(page, dashboard)
    assert page.get_by_role("heading", name="Thursday group", level=1).is_visible()
    assert page.locator("[data-fact='learners']").inner_text() == "2"
    # The quiz: Kim's wrong answer (b) and Lee's right one (c) are counted.
    row = page.locator("tr[data-row='neuron-dw']")
    assert row.locator("[data-column='answered']").inner_text() == "2"
    assert row.locator("[data-column='facility']").inner_text() == "50 %"
    assert row.locator("li[data-choice='b'] b").inner_text() == "1"
    assert row.locator("li[data-choice='c'] b").inner_text() == "1"
    # The top wrong choice is named, not only counted: Kim's b.
    top = row.locator("[data-column='wrongShare']")
    choice_b = row.locator("li[data-choice='b'] .choice-text").inner_text()
    assert top.inner_text().startswith("50 %")
    assert top.locator(".top-wrong-choice").inner_text() == choice_b

    # Sort by facility with the keyboard: ascending, then descending.
    header = page.locator("th:has(button[data-sort='facility'])")
    assert header.get_attribute("aria-sort") == "none"
    tab_to(page, "button[data-sort='facility']")
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    facilities = page.locator("[data-part='quiz'] tbody [data-column='facility']").all_inner_texts()
    values = [int(t.rstrip(" %")) for t in facilities if t != "—"]
    assert values == sorted(values, reverse=True)
    assert page.evaluate("() => document.activeElement.dataset.sort") == "facility"

    # The neuron's graph: w is coloured (both first tries were... one wrong of two), and
    # selecting it by keyboard lists the note of Kim's wrong answer.
    neuron = page.locator("[data-graph='neuron']")
    w = neuron.locator("[data-node='w']")
    assert w.get_attribute("data-wrong") == "3"  # 50 % wrong: the 50-75 % band
    assert "50 % wrong of 2 first tries" in w.get_attribute("aria-label")
    tab_to(page, "[data-graph='neuron'] .graph-node")
    for _ in range(8):
        if page.evaluate("() => document.activeElement.dataset.node") == "w":
            break
        page.keyboard.press("Home")
    assert page.evaluate("() => document.activeElement.dataset.node") == "w"
    page.keyboard.press("Enter")
    details = neuron.locator(".dashboard-node")
    assert "50 % wrong of 2 first tries" in details.locator("h4").inner_text()
    notes = details.locator("li[data-note]")
    assert notes.count() == 1 and notes.first.inner_text().endswith(": 1")
    # The note in words (Kim's 0.5 for -0.498 is the sign); its id stays as data.
    assert notes.first.get_attribute("data-note") == "sign"
    assert notes.first.inner_text() == "Wrong sign: 1"
    assert w.get_attribute("aria-pressed") == "true"
    assert console_errors == []


CAPTIONS_OUTSIDE = """() => {
  // Every caption under a node: its box inside its SVG's, and clear of every other node's box.
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5
    && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const meets = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const bad = [];
  for (const svg of document.querySelectorAll("[data-graph] svg")) {
    const frame = svg.getBoundingClientRect();
    const rect = (b) => b.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll(".graph-node-box")].map(rect);
    for (const text of svg.querySelectorAll(".graph-node-check")) {
      if (!text.textContent) continue;
      const box = text.getBoundingClientRect();
      const own = rect(text.closest(".graph-node").querySelector(".graph-node-box"));
      if (!inside(box, frame)) bad.push(`${text.textContent} leaves the SVG`);
      for (const other of boxes)
        if (other !== own && !(other.x === own.x && other.y === own.y) && meets(box, other))
          bad.push(`${text.textContent} covers a node`);
    }
  }
  return bad;
}"""


@pytest.mark.parametrize("width", [360, 1280])
def test_node_captions_fit_inside_the_graph(page, dashboard, width):
    """The caption under a node is short and whole: no letter cut by the SVG's edge."""
    page.set_viewport_size({"width": width, "height": 900})
    open_dashboard(page, dashboard)
    w = page.locator("[data-graph='neuron'] [data-node='w']")
    assert w.locator(".graph-node-check").text_content() == "50 % wrong \u00b7 2"
    assert "50 % wrong of 2 first tries" in w.get_attribute("aria-label")
    assert page.evaluate(CAPTIONS_OUTSIDE) == []


TABLE_CAPTIONS = """() => [...document.querySelectorAll(".dashboard-table caption")].map((c) => {
  const box = c.getBoundingClientRect();
  const region = c.closest(".table-scroll");
  return {
    text: c.textContent, left: box.left, right: box.right, lines: box.height,
    scrolls: region.scrollWidth > region.clientWidth, view: document.documentElement.clientWidth,
  };
})"""


def test_table_captions_wrap_within_a_phone_screen(page, dashboard):
    """At 360 px a wide table scrolls sideways in its region; its caption wraps on the screen
    and stays there while the table scrolls."""
    page.set_viewport_size({"width": 360, "height": 900})
    open_dashboard(page, dashboard)
    captions = page.evaluate(TABLE_CAPTIONS)
    assert len(captions) >= 2 and any(c["scrolls"] for c in captions)
    for c in captions:
        assert c["left"] >= 0 and c["right"] <= c["view"], c
    page.evaluate(
        "() => document.querySelectorAll('.table-scroll').forEach((r) => { r.scrollLeft = 1e4; })"
    )
    for c in page.evaluate(TABLE_CAPTIONS):
        assert c["left"] >= 0 and c["right"] <= c["view"], f"{c['text']} scrolled away: {c}"


def test_no_axe_violations_and_screenshots(
    page, dashboard, axe_check, artifacts_dir, console_errors
):
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            open_dashboard(page, dashboard)
            # Scroll through so the charts load (plotly comes on approach), then check.
            page.locator("[data-part='practice']").scroll_into_view_if_needed()
            page.locator("[data-part='activity']").scroll_into_view_if_needed()
            page.wait_for_selector(".dashboard-chart[data-plot-state='drawn']")
            # Tick labels: days on the activity's x axis (no 00:00:00), whole learners.
            page.wait_for_function(
                "document.querySelectorAll(\".dashboard-chart[data-plot-state='drawn']\")"
                ".length === 2"
            )
            activity = page.locator("[data-part='activity'] .xtick text").all_text_contents()
            assert activity and all(re.fullmatch(r"[A-Z][a-z]{2} \d\d", t) for t in activity)
            learners = page.locator("[data-part='practice'] .xtick text").all_text_contents()
            assert learners == [str(n) for n in range(len(learners))], learners
            axe_check(page, f"on the dashboard ({scheme}, {width} px)")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"the dashboard is {overflow} px too wide at {width}"
            name = f"teach-dashboard-{width}-{scheme}"
            page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
            # Each part on its own too, readable without zooming into a very tall page.
            for part in ("activity", "quiz", "graphs", "practice"):
                section = page.locator(f"section:has([data-part='{part}'])")
                section.screenshot(path=str(artifacts_dir / f"{name}-{part}.png"))
    assert console_errors == []  # the charts drew within the page's Content-Security-Policy


def test_an_empty_class(page, dashboard, live_server, axe_check, console_errors):
    """A class nobody joined yet: every part says so, nothing fails."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    created = page.request.post(
        live_server + "/api/teach/classes", data={"name": "Empty"}, headers={"X-CSRFToken": token}
    )
    open_dashboard(page, f"{live_server}/teach/classes/{created.json()['id']}")
    assert page.locator("[data-fact='learners']").inner_text() == "0"
    assert page.locator("[data-part='activity']").inner_text() == "No answers yet."
    assert page.locator("tr[data-row='neuron-dw'] [data-column='facility']").inner_text() == "—"
    assert page.locator("[data-graph='neuron'] [data-node='w']").get_attribute("data-wrong") == "0"
    axe_check(page, "on an empty class's dashboard")
    assert console_errors == []
