"""The lesson's interactive graph in Chromium: panel numbers, keyboard, stepping, inputs, axe."""

import json
import re

import pytest
from playwright.sync_api import expect

LESSON_URL = "/lessons/chain-rule-in-networks"
WIDGET = '[data-widget="graph"][data-preset="neuron"]'


def engine(live_app, path, body):
    """The engine's own answer to a request, asked through the test client (the reference)."""
    response = live_app.test_client().post(f"/api/{path}", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def node(page, node_id):
    return page.locator(f'{WIDGET} [data-node="{node_id}"]')


def panel(page):
    return page.locator(f"{WIDGET} .graph-panel")


def open_lesson(page, live_server, width=1280, height=900):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + LESSON_URL)
    # The widget mounts when it comes near the viewport.
    page.locator(WIDGET).scroll_into_view_if_needed()
    node(page, "L").wait_for()
    # The lesson opens the neuron in Your turn (gradients hidden); these tests watch the worked one.
    turn = page.locator(f'{WIDGET} [data-action="your-turn"]')
    if turn.is_checked():
        turn.uncheck()


def open_node(page, node_id):
    node(page, node_id).click()
    panel(page).locator(f'[data-node-title="{node_id}"]').wait_for()
    expect(panel(page)).to_have_attribute("aria-busy", "false")


def drawn(page, line):
    """Every node's exact value or gradient as drawn (None while not computed), in one call."""
    return page.locator(f"{WIDGET} [data-node]").evaluate_all(
        """(els, line) => Object.fromEntries(els.map((el) => {
             const raw = el.querySelector(`.graph-node-${line}`).dataset.raw;
             return [el.dataset.node, raw === undefined ? null : JSON.parse(raw)];
           }))""",
        line,
    )


def reading(locator):
    """The text as a screen reader gets it: each typeset formula by its name (aria-label)."""
    return locator.evaluate(
        """(el) => { const copy = el.cloneNode(true);
             for (const tex of copy.querySelectorAll('.tex[aria-label]'))
               tex.replaceWith(tex.getAttribute('aria-label'));
             return copy.textContent.replace(/\\s+/g, ' ').trim(); }"""
    )


def raw(locator):
    """The exact number behind a rounded label (data-value on the panel, data-raw on the graph)."""
    value = locator.get_attribute("data-value")
    if value is None:
        value = locator.get_attribute("data-raw")
    return json.loads(value)


def test_every_node_of_the_neuron_matches_the_engine(page, live_server, live_app, console_errors):
    open_lesson(page, live_server)
    graph = engine(live_app, "graph", {"preset": "neuron"})
    ids = [n["id"] for n in graph["nodes"]]
    assert set(ids) == {"w", "x", "b", "y", "z", "a", "L", "_mul1"}
    for node_id in ids:
        expected = engine(live_app, "graph/node", {"preset": "neuron", "node": node_id})
        open_node(page, node_id)
        details = panel(page)
        assert raw(details.locator('[data-field="value"]')) == expected["value"], node_id
        assert raw(details.locator('[data-field="grad"]')) == expected["grad"], node_id
        for local, signal in zip(expected["local_grads"], expected["signals"], strict=True):
            row = details.locator(f'li[data-parent="{local["parent"]}"]')
            assert raw(row.locator('[data-field="local"]')) == local["value"], (node_id, local)
            assert raw(row.locator('[data-field="signal"]')) == signal["value"], (node_id, signal)
            assert raw(row.locator('[data-field="upstream"]')) == expected["grad"]
        assert expected["role"] in details.inner_text()
        # The edges that carry the signals are highlighted, one per input.
        highlighted = page.locator(f'{WIDGET} .graph-edge.is-signal[data-to="{node_id}"]')
        expect(highlighted).to_have_count(len(expected["parents"]))
    # The lesson's worked example: dz/dw = x = 1.5 in the multiply node.
    open_node(page, "_mul1")
    row = panel(page).locator('li[data-parent="w"]')
    assert "∂(w·x)/∂w = x" in reading(row)  # KaTeX draws it; its name reads it
    expect(row.locator('[data-field="local"]')).to_have_text("1.5")
    assert not console_errors


def test_the_lesson_formula_is_checked_on_screen(page, live_server, live_app):
    open_lesson(page, live_server)
    graph = {n["id"]: n for n in engine(live_app, "graph", {"preset": "neuron"})["nodes"]}
    a, y, x, w = (graph[k]["value"] for k in "ayxw")
    assert (a - y) * x == pytest.approx(graph["w"]["grad"], rel=1e-12)
    check = page.locator(f"{WIDGET} .graph-lesson-check")
    expect(check).to_contain_text("they agree")
    assert "∂L/∂w = (a − y)·x" in reading(check)


def test_keyboard_only(page, live_server):
    open_lesson(page, live_server)
    page.locator(f"{WIDGET} .graph-preset").focus()
    for _ in range(4):  # preset picker -> playground link -> the graph's single Tab stop
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.node"):
            break
    focused = lambda: page.evaluate("document.activeElement.dataset.node")  # noqa: E731
    assert focused() == "w", "Tab reaches the graph on its first input"
    expect(page.locator(f'{WIDGET} [data-node][tabindex="0"]')).to_have_count(1)
    # The arrows follow the drawing: along the edges to a consumer or an input, across a layer.
    svg = page.locator(f"{WIDGET} svg.graph-svg")
    down = svg.evaluate("el => el.classList.contains('is-down')")
    vertical, horizontal = (
        ("ArrowDown", "ArrowUp", "ArrowRight"),
        ("ArrowRight", "ArrowLeft", "ArrowDown"),
    )
    child, parent, across = vertical if down else horizontal
    page.keyboard.press(child)
    assert focused() == "_mul1"
    page.keyboard.press(child)
    assert focused() == "z"
    page.keyboard.press("End")
    assert focused() == "L"
    page.keyboard.press(parent)
    assert focused() in {"a", "y"}
    page.keyboard.press("Home")
    assert focused() == "w"
    page.keyboard.press(across)
    assert focused() == "x"
    expect(page.locator(f'{WIDGET} [data-node="x"]')).to_have_attribute("tabindex", "0")
    expect(page.locator(f'{WIDGET} [data-node][tabindex="0"]')).to_have_count(1)
    # The focus ring is visible: the ring rectangle gets a stroke under :focus-visible.
    ring = node(page, "x").locator(".graph-node-ring")
    assert ring.evaluate("el => getComputedStyle(el).stroke") not in ("none", "")
    page.keyboard.press("Enter")
    details = panel(page)
    expect(details).to_have_attribute("aria-live", "polite")
    expect(details.locator('[data-node-title="x"]')).to_be_visible()
    expect(details).to_contain_text("Gradient from the loss")
    expect(node(page, "x")).to_have_attribute("aria-pressed", "true")
    label = node(page, "x").get_attribute("aria-label")
    assert label.startswith("x, input, value 1.5, gradient ")
    # Space opens too; the step keys narrate in the polite live region.
    page.keyboard.press(child)
    page.keyboard.press(" ")
    expect(details.locator('[data-node-title="_mul1"]')).to_be_visible()
    page.keyboard.press("r")
    narration = page.locator(f"{WIDGET} .graph-narration")
    expect(narration).to_have_attribute("aria-live", "polite")
    expect(narration).to_contain_text("Reset")
    page.keyboard.press("f")
    expect(narration).to_contain_text("Forward: w is an input, w = 0.8.")


def test_stepping_the_backward_pass(page, live_server, live_app):
    open_lesson(page, live_server)
    graph = engine(live_app, "graph", {"preset": "neuron"})
    nodes = graph["nodes"]
    buttons = page.locator(f"{WIDGET} .graph-step-buttons")
    narration = page.locator(f"{WIDGET} .graph-narration")
    buttons.locator('[data-action="reset"]').click()
    for n in nodes:  # nothing computed: no value, no gradient, and never a made-up 0
        expect(node(page, n["id"]).locator(".graph-node-value")).to_have_class(
            re.compile("is-pending")
        )
        expect(node(page, n["id"]).locator(".graph-node-grad")).to_contain_text("—")
        assert "gradient not computed yet" in node(page, n["id"]).get_attribute("aria-label")
    expect(buttons.locator('[data-action="backward"]')).to_be_disabled()
    for i in range(len(nodes)):
        buttons.locator('[data-action="forward"]').click()
        expect(narration).to_contain_text("Forward:")
        values = drawn(page, "value")
        assert values == {m["id"]: m["value"] if j <= i else None for j, m in enumerate(nodes)}
    expect(buttons.locator('[data-action="forward"]')).to_be_disabled()
    done = set()
    for n in reversed(nodes):
        buttons.locator('[data-action="backward"]').click()
        done.add(n["id"])
        expect(node(page, n["id"])).to_have_class(re.compile("is-current"))
        grads = drawn(page, "grad")
        assert grads == {m["id"]: m["grad"] if m["id"] in done else None for m in nodes}
        for m in nodes:
            if m["id"] not in done:
                assert "—" in node(page, m["id"]).locator(".graph-node-grad").text_content()
        # The edges carrying the signals into this node are highlighted.
        children = [c for c in nodes if n["id"] in c["parents"]]
        expect(
            page.locator(f'{WIDGET} .graph-edge.is-signal[data-from="{n["id"]}"]')
        ).to_have_count(len(children))
    expect(narration).to_contain_text("The backward pass is complete.")
    for n in nodes:
        assert raw(node(page, n["id"]).locator(".graph-node-grad")) == n["grad"]


def test_a_node_opened_before_the_backward_pass_shows_no_gradient(page, live_server):
    open_lesson(page, live_server)
    page.locator(f'{WIDGET} [data-action="reset"]').click()
    for _ in range(8):
        page.locator(f'{WIDGET} [data-action="forward"]').click()
    open_node(page, "z")
    details = panel(page)
    expect(details.locator('[data-field="value"]')).to_have_text("0.7")
    expect(details.locator('[data-field="grad"]')).to_have_text("not computed yet")
    expect(details.locator('li[data-parent="b"] [data-field="signal"]')).to_contain_text(
        "not computed yet"
    )


def test_play_runs_the_backward_pass(page, live_server, live_app):
    open_lesson(page, live_server)
    page.locator(f'{WIDGET} [data-action="play"]').click()
    narration = page.locator(f"{WIDGET} .graph-narration")
    expect(narration).to_contain_text("The backward pass is complete.", timeout=15000)
    for n in engine(live_app, "graph", {"preset": "neuron"})["nodes"]:
        assert raw(node(page, n["id"]).locator(".graph-node-grad")) == n["grad"]


def test_changing_an_input_recomputes_through_the_engine(page, live_server, live_app):
    open_lesson(page, live_server)
    events = page.evaluate_handle(
        """() => { const seen = [];
             document.querySelector('[data-widget="graph"]')
               .addEventListener('graph:values-changed', (e) => seen.push(e.detail));
             return seen; }"""
    )
    open_node(page, "_mul1")
    page.locator(f'{WIDGET} [data-input="w"]').fill("1.7")
    expected = engine(live_app, "graph", {"preset": "neuron", "values": {"w": 1.7}})
    expect(node(page, "w").locator(".graph-node-value")).to_have_attribute("data-raw", "1.7")
    for n in expected["nodes"]:  # one answer is drawn at once: every node has changed with w
        assert raw(node(page, n["id"]).locator(".graph-node-value")) == n["value"]
        assert raw(node(page, n["id"]).locator(".graph-node-grad")) == n["grad"]
    # The open panel follows: dz/dx = w is now 1.7.
    row = panel(page).locator('li[data-parent="x"] [data-field="local"]')
    expect(row).to_have_attribute("data-value", "1.7")
    assert events.evaluate("seen => seen.at(-1).values.w") == 1.7
    # The slider moves the same input.
    slider = page.locator(f'{WIDGET} [data-slider="x"]')
    slider.evaluate(
        "el => { el.value = '2'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    expect(node(page, "x").locator(".graph-node-value")).to_have_attribute("data-raw", "2")
    expect(page.locator(f'{WIDGET} [data-input="x"]')).to_have_value("2")


def test_values_set_from_the_page_are_drawn(page, live_server, live_app):
    open_lesson(page, live_server)
    page.locator(WIDGET).evaluate(
        "el => el.dispatchEvent(new CustomEvent('graph:set-values', {detail: {values: {b: 0.25}}}))"
    )
    expected = engine(live_app, "graph", {"preset": "neuron", "values": {"b": 0.25}})
    expect(node(page, "b").locator(".graph-node-value")).to_have_attribute("data-raw", "0.25")
    for n in expected["nodes"]:
        assert raw(node(page, n["id"]).locator(".graph-node-value")) == n["value"]
    expect(page.locator(f'{WIDGET} [data-input="b"]')).to_have_value("0.25")


def test_gradient_check_switch(page, live_server, live_app):
    open_lesson(page, live_server)
    check = engine(live_app, "graph", {"preset": "neuron"})["check"]
    switch = page.locator(f"{WIDGET} input.graph-switch")
    expect(switch).to_have_attribute("role", "switch")
    switch.check()
    for row in check:  # the numerical gradient under the analytic one, on every input
        line = node(page, row["input"]).locator(".graph-node-check")
        numeric = f"{row['numeric']:.4g}".replace("-", "−")
        expect(line).to_have_text(f"numeric: {numeric} ✓")
        assert raw(node(page, row["input"]).locator(".graph-node-grad")) == row["analytic"]
    switch.uncheck()
    expect(node(page, "w").locator(".graph-node-check")).to_have_text("")


def test_the_transpose_in_the_two_layer_network(page, live_server, live_app, axe_check):
    open_lesson(page, live_server)
    page.locator(f"{WIDGET} .graph-preset").select_option("two-layer")
    node(page, "_matmul2").wait_for()
    expected = engine(live_app, "graph/node", {"preset": "two-layer", "node": "_matmul2"})
    open_node(page, "_matmul2")
    row = panel(page).locator('li[data-parent="a1"]')
    # As the lesson writes it, with the numbers: W2ᵀ, the upstream vector, their product.
    assert "∂L/∂a1 = W2ᵀ·∂L/∂(W2·a1)" in reading(row)
    expect(row.locator('[data-field="shapes"]')).to_contain_text("(3×1) · (1×1) → (3×1)")
    tables = row.locator(".graph-matrices table")
    expect(tables).to_have_count(3)
    numbers = lambda table: table.locator("tr").evaluate_all(  # noqa: E731
        "rows => rows.map(r => [...r.cells].map(c => JSON.parse(c.dataset.value)))"
    )
    graph = {n["id"]: n for n in engine(live_app, "graph", {"preset": "two-layer"})["nodes"]}
    w2 = graph["W2"]["value"]
    transposed = [list(col) for col in zip(*w2, strict=True)]
    assert numbers(row.locator('[data-field="transposed"]')) == transposed
    assert numbers(row.locator('[data-field="upstream"]')) == [[g] for g in expected["grad"]]
    expect(row.locator(".graph-matrices .graph-matrix-caption").first).to_contain_text("W2ᵀ")
    assert numbers(tables.nth(2)) == [[s] for s in expected["signals"][1]["value"]]
    cells = row.locator('[data-field="signal"] td')
    assert [json.loads(c) for c in cells.evaluate_all("els => els.map(e => e.dataset.value)")] == (
        expected["signals"][1]["value"]
    )
    # The weights get the upstream vector times the transposed input, every number shown.
    weights = panel(page).locator('li[data-parent="W2"]')
    assert "∂L/∂W2 = ∂L/∂(W2·a1)·a1ᵀ" in reading(weights)
    expect(weights.locator('[data-field="shapes"]')).to_contain_text("(1×1) · (1×3) → (1×3)")
    assert "not listed" not in reading(weights)
    assert numbers(weights.locator('[data-field="signal"]')) == expected["signals"][0]["value"]
    assert numbers(weights.locator('[data-field="transposed"]')) == [graph["a1"]["value"]]
    axe_check(page, "on the lesson with the matrix product's panel open")
    # Vectors and matrices show their shape on the graph.
    expect(node(page, "W1").locator(".graph-node-value")).to_contain_text("[3×2]")
    # A screen reader hears a small array's numbers, not only its shape (z2 is one number).
    label = node(page, "z2").get_attribute("aria-label")
    z2 = graph["z2"]["value"]
    assert re.search(r"value a 1 array \(-?\d", label) and len(z2) == 1, label
    assert "by" in node(page, "W1").get_attribute("aria-label")  # 3 by 2: only its shape


def test_a_server_failure_keeps_the_last_graph(page, live_server):
    open_lesson(page, live_server)
    before = node(page, "z").locator(".graph-node-value").get_attribute("data-raw")
    page.route("**/api/graph", lambda route: route.abort())
    page.locator(f'{WIDGET} [data-input="w"]').fill("3")
    status = page.locator(f"{WIDGET} .graph-status")
    expect(status).to_contain_text("cannot be reached")
    expect(status).to_contain_text("last good graph stays on screen")
    assert node(page, "z").locator(".graph-node-value").get_attribute("data-raw") == before
    page.unroute("**/api/graph")
    page.route(
        "**/api/graph/node",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body='{"message": "Boom."}'
        ),
    )
    node(page, "a").click()
    expect(status).to_contain_text("Boom.")
    expect(node(page, "a")).to_be_visible()


def test_no_violations_with_a_node_selected(page, live_server, axe_check):
    open_lesson(page, live_server)
    open_node(page, "z")
    axe_check(page, "on the lesson with node z selected")
    page.locator(f"{WIDGET} input.graph-switch").check()
    page.locator(f'{WIDGET} [data-action="reset"]').click()
    page.locator(f'{WIDGET} [data-action="forward"]').click()
    axe_check(page, "on the lesson while stepping, gradient check on")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_with_a_node_selected(page, live_server, artifacts_dir, width, scheme):
    page.emulate_media(color_scheme=scheme)
    open_lesson(page, live_server, width=width, height=900)
    open_node(page, "_mul1")
    page.locator(f'{WIDGET} [data-action="descent-step"]').click()
    expect(page.locator(f"{WIDGET} .graph-descent-log li")).to_have_count(1)
    widget = page.locator(WIDGET)
    widget.screenshot(path=str(artifacts_dir / f"graph-lesson-{width}-{scheme}.png"))
    # At 360 px the widget fits the screen, and so does every node (see the fit test).
    box = widget.bounding_box()
    assert box["width"] <= width
    page.locator(f"{WIDGET} .graph-preset").select_option("two-layer")
    node(page, "_matmul2").wait_for()
    open_node(page, "_matmul2")
    widget.screenshot(path=str(artifacts_dir / f"graph-two-layer-{width}-{scheme}.png"))
    assert widget.bounding_box()["width"] <= width


def test_dark_mode_uses_the_dark_colours(page, live_server, artifacts_dir):
    page.emulate_media(color_scheme="dark")
    open_lesson(page, live_server)
    open_node(page, "a")
    fill = node(page, "a").locator(".graph-node-box").evaluate("el => getComputedStyle(el).fill")
    assert fill != "rgb(255, 255, 255)"
    page.locator(WIDGET).screenshot(path=str(artifacts_dir / "graph-lesson-dark.png"))


def test_the_loss_rule_for_the_label_reads_as_the_math(page, live_server):
    open_lesson(page, live_server)
    open_node(page, "L")
    row = panel(page).locator('li[data-parent="y"]')
    text = reading(row).replace("−", "-").replace(" ", "")
    assert "∂L/∂y=log((1-a)/a)" in text, text
    # The narration names the gradient of the node w·x, not (∂L/∂w)·x.
    page.locator(f'{WIDGET} [data-action="reset"]').click()
    for _ in range(8):  # the forward pass
        page.locator(f'{WIDGET} [data-action="forward"]').click()
    for _ in range(6):  # back from L through y, a, z and b to the product
        page.locator(f'{WIDGET} [data-action="backward"]').click()
    narration = page.locator(f"{WIDGET} .graph-narration")
    assert reading(narration).startswith("Backward: ∂L/∂(w·x) = ")


def test_a_label_outside_its_range_is_refused_in_words(page, live_server, live_app):
    open_lesson(page, live_server)
    before = node(page, "L").locator(".graph-node-value").get_attribute("data-raw")
    field = page.locator(f'{WIDGET} [data-input="y"]')
    field.fill("3")
    message = page.locator(f"{WIDGET} #{field.get_attribute('aria-describedby')}")
    expect(message).to_contain_text("y must be between 0 and 1")
    expect(field).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(400)  # longer than the recompute's pause: nothing was sent
    assert node(page, "L").locator(".graph-node-value").get_attribute("data-raw") == before
    field.fill("0.25")
    expect(message).to_have_text("")
    expected = engine(live_app, "graph", {"preset": "neuron", "values": {"y": 0.25}})
    loss = next(n for n in expected["nodes"] if n["id"] == "L")["value"]
    expect(node(page, "L").locator(".graph-node-value")).to_have_attribute(
        "data-raw", json.dumps(loss)
    )
