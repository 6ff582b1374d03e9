"""The graph widget on a student's screen: a descent step, every preset fitted, tap targets, and
the keyboard's focus ring kept whole and in view."""

import pytest
from playwright.sync_api import expect

from tests.browser.scrolling import bring_into_view
from tests.browser.test_graph_widget import (
    LESSON_URL,
    WIDGET,
    engine,
    node,
    open_lesson,
    open_node,
    raw,
)


def test_a_descent_step_lowers_the_loss_as_the_gradient_predicts(
    page, live_server, live_app, axe_check
):
    open_lesson(page, live_server)
    presets = live_app.test_client().get("/api/presets").get_json()["presets"]
    parameters = next(p for p in presets if p["id"] == "neuron")["parameters"]
    assert set(parameters) == {"w", "b"}
    start = {n["id"]: n for n in engine(live_app, "graph", {"preset": "neuron"})["nodes"]}
    events = page.evaluate_handle(
        """(sel) => { const seen = [];
             document.querySelector(sel)
               .addEventListener('graph:descent-step', (e) => seen.push(e.detail));
             return seen; }""",
        WIDGET,
    )
    eta = 0.05
    page.locator(f'{WIDGET} [data-input="learning-rate"]').fill(str(eta))
    page.locator(f'{WIDGET} [data-action="descent-step"]').click()
    log = page.locator(f"{WIDGET} .graph-descent-log li")
    expect(log).to_have_count(1)
    moved = {p: start[p]["value"] - eta * start[p]["grad"] for p in parameters}
    for p, value in moved.items():
        assert raw(node(page, p).locator(".graph-node-value")) == pytest.approx(value, rel=1e-12)
    for data in ("x", "y"):  # data inputs never move
        assert raw(node(page, data).locator(".graph-node-value")) == start[data]["value"]
    values = {k: start[k]["value"] for k in "wxby"} | moved
    after = {
        n["id"]: n
        for n in engine(live_app, "graph", {"preset": "neuron", "values": values})["nodes"]
    }
    assert raw(node(page, "L").locator(".graph-node-value")) == pytest.approx(
        after["L"]["value"], rel=1e-12
    )
    decrease = start["L"]["value"] - after["L"]["value"]
    predicted = eta * sum(start[p]["grad"] ** 2 for p in parameters)  # to first order
    assert decrease > 0
    assert decrease == pytest.approx(predicted, rel=0.1)
    detail = events.evaluate("seen => seen[0]")
    assert detail["parameters"] == pytest.approx(moved, rel=1e-12)
    assert detail["loss"] == pytest.approx(after["L"]["value"], rel=1e-12)
    # Several steps: the loss is printed after each, and keeps going down.
    page.locator(f'{WIDGET} [data-input="descent-steps"]').fill("3")
    page.locator(f'{WIDGET} [data-action="descent-step"]').click()
    expect(log).to_have_count(4)
    losses = events.evaluate("seen => seen.map((e) => e.loss)")
    assert len(losses) == 4
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    expect(log.nth(3)).to_contain_text("Step 4: loss")
    axe_check(page, "on the lesson after four descent steps")


@pytest.mark.parametrize("width", [360, 1280])
def test_every_node_of_every_preset_is_seen_whole(page, live_server, live_app, width):
    open_lesson(page, live_server, width=width)
    presets = live_app.test_client().get("/api/presets").get_json()["presets"]
    canvas = page.locator(f"{WIDGET} .graph-canvas")
    for preset in presets:
        page.locator(f"{WIDGET} .graph-preset").select_option(preset["id"])
        ids = [n["id"] for n in engine(live_app, "graph", {"preset": preset["id"]})["nodes"]]
        node(page, ids[-1]).wait_for()
        expect(page.locator(f"{WIDGET} [data-node]")).to_have_count(len(ids))
        expect(page.locator(f"{WIDGET} .graph-description")).to_have_text(preset["description"])
        open_node(page, ids[-1])  # its edges carry numbers
        box = canvas.bounding_box()
        assert box["width"] <= width, preset["id"]
        for node_id in ids:
            inner = node(page, node_id).locator(".graph-node-box").bounding_box()
            assert inner["x"] >= box["x"] - 0.5, (preset["id"], node_id)
            assert inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5, (preset, node_id)
            assert inner["y"] >= box["y"] - 0.5 and inner["y"] + inner["height"] <= (
                box["y"] + box["height"] + 0.5
            ), (preset["id"], node_id)
        # Node text at least 12 px on screen: its font size times the drawing's scale.
        smallest = page.locator(f"{WIDGET} svg.graph-svg").evaluate(
            """(svg) => Math.min(...[...svg.querySelectorAll('.graph-node text, .graph-node tspan')]
                 .map((t) => parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a))"""
        )
        assert smallest >= 12 - 1e-6, (preset["id"], smallest)
        # Edge labels sit beside their edge: the edge's middle point is outside the label.
        on_edge = page.locator(f"{WIDGET} svg.graph-svg").evaluate(
            """(svg) => [...svg.querySelectorAll('.graph-edge')].filter((path, i) => {
                 const label = svg.querySelectorAll('.graph-edge-label')[i].getBBox();
                 const p = path.getPointAtLength(path.getTotalLength() / 2);
                 return p.x > label.x && p.x < label.x + label.width
                   && p.y > label.y && p.y < label.y + label.height; }).length"""
        )
        assert on_edge == 0, preset["id"]


def test_tap_targets_are_large_enough_on_a_phone(page, live_server):
    open_lesson(page, live_server, width=360)
    page.locator(f"{WIDGET} .graph-keys").scroll_into_view_if_needed()
    small = page.locator(WIDGET).evaluate(
        """(el) => [...el.querySelectorAll('button, input, select, summary, a, [data-node]')]
             .filter((t) => t.getClientRects().length)
             .map((t) => [t.dataset.node || t.dataset.action || t.dataset.input || t.className,
                          // A control inside its label is tapped through the label.
                          (t.closest('label') || t).getBoundingClientRect()])
             .filter(([, r]) => r.width < 24 || r.height < 24)
             .map(([name, r]) => `${name} ${r.width.toFixed(0)}x${r.height.toFixed(0)}`)"""
    )
    assert small == []


# Where a focused node's indicator paints, in page pixels: the ring rectangle with half its stroke,
# and the node's CSS outline if it has one; and the SVG's box, which clips what is outside it.
FOCUS_EXTENT_JS = """(el) => {
  const svg = el.ownerSVGElement, ring = el.querySelector('.graph-node-ring');
  const style = getComputedStyle(ring), own = getComputedStyle(el);
  const half = (parseFloat(style.strokeWidth) * svg.getScreenCTM().a) / 2;
  const grow = (r, by) => [r.left - by, r.top - by, r.right + by, r.bottom + by];
  const boxes = [grow(ring.getBoundingClientRect(), half)];
  if (own.outlineStyle !== 'none' && parseFloat(own.outlineWidth) > 0)
    boxes.push(grow(el.getBoundingClientRect(),
      parseFloat(own.outlineOffset) + parseFloat(own.outlineWidth)));
  const c = svg.getBoundingClientRect();
  return { visible: el.matches(':focus-visible'), stroke: style.stroke, boxes,
           clip: [c.left, c.top, c.right, c.bottom] };
}"""


def test_every_node_focus_ring_is_whole_at_360_px(page, live_server, live_app):
    open_lesson(page, live_server, width=360)
    presets = live_app.test_client().get("/api/presets").get_json()["presets"]
    for preset in presets:
        page.locator(f"{WIDGET} .graph-preset").select_option(preset["id"])
        ids = [n["id"] for n in engine(live_app, "graph", {"preset": preset["id"]})["nodes"]]
        node(page, ids[-1]).wait_for()
        for node_id in ids:
            node(page, node_id).focus()
            page.keyboard.press("ArrowLeft")  # a keyboard move: the ring shows (:focus-visible)
            focused = page.locator(f"{WIDGET} [data-node]:focus")
            seen = focused.evaluate(FOCUS_EXTENT_JS)
            where = (preset["id"], focused.get_attribute("data-node"))
            assert seen["visible"] and seen["stroke"] not in ("none", ""), where
            left, top, right, bottom = seen["clip"]
            for box in seen["boxes"]:
                assert box[0] >= left - 0.5 and box[2] <= right + 0.5, (where, box, seen["clip"])
                assert box[1] >= top - 0.5 and box[3] <= bottom + 0.5, (where, box, seen["clip"])


def focus_ring(page):
    """The focused element's data-action, whether it shows the focus ring, and the ring's width."""
    return page.evaluate(
        """() => { const el = document.activeElement, style = getComputedStyle(el);
             return [el.dataset.action ?? null, el.matches(':focus-visible'),
                     style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth)]; }"""
    )


def test_buttons_pressed_with_enter_keep_the_focus_ring(page, live_server):
    open_lesson(page, live_server, width=360)
    log = page.locator(f"{WIDGET} .graph-descent-log li")
    page.locator(f'{WIDGET} [data-input="descent-steps"]').fill("3")
    page.keyboard.press("Tab")  # to the descent step button
    assert focus_ring(page) == ["descent-step", True, 3]
    page.keyboard.press("Enter")
    expect(log).to_have_count(3)
    expect(page.locator(f'{WIDGET} [data-action="descent-step"]')).to_be_enabled()
    # The button ran its steps with the focus on it, and it still has it: Enter goes again.
    assert focus_ring(page) == ["descent-step", True, 3]
    page.keyboard.press("Enter")
    expect(log).to_have_count(6)
    assert focus_ring(page) == ["descent-step", True, 3]
    # The kind: Forward step at the end of the forward pass, no longer available, keeps it too.
    forward = page.locator(f'{WIDGET} [data-action="forward"]')
    page.locator(f'{WIDGET} [data-action="reset"]').focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focus_ring(page) == ["forward", True, 3]
    for _ in range(len(page.locator(f"{WIDGET} [data-node]").all())):
        page.keyboard.press("Enter")
    expect(forward).to_be_disabled()  # aria-disabled: it keeps the focus
    assert focus_ring(page) == ["forward", True, 3]
    counter = page.locator(f"{WIDGET} .graph-steps .graph-note")
    before = counter.text_content()
    page.keyboard.press("Enter")  # unavailable: nothing happens
    expect(counter).to_have_text(before)


def test_the_answer_field_scrolls_clear_of_the_window_edge(page, live_server):
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(live_server + LESSON_URL)
    bring_into_view(page.locator(WIDGET))
    page.locator(f'{WIDGET} form[data-step-node="w"]').wait_for()  # the lesson opens Your turn
    node(page, "L").focus()
    page.keyboard.press("Enter")
    field = page.locator(
        f'{WIDGET} form[data-step-node="L"][data-quantity="grad"] [data-input="answer"]'
    )
    field.wait_for()
    # The field half below the window's bottom edge, as a student scrolling down leaves it.
    field.evaluate("(f) => window.scrollBy(0, f.getBoundingClientRect().top - innerHeight + 20)")
    node(page, "L").evaluate("(n) => n.focus({ preventScroll: true })")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.input") == "answer":
            break
    expect(field).to_be_focused()
    gap = field.evaluate("(f) => innerHeight - f.getBoundingClientRect().bottom")
    # Its reading and feedback, below it, come into view with it (about 9 rem).
    assert gap >= 6 * 16, gap
