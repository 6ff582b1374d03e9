"""The graph widget on a student's screen: a descent step, every preset fitted, tap targets."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_graph_widget import WIDGET, engine, node, open_lesson, open_node, raw


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
