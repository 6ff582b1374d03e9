"""The lesson's plots in Chromium: lazy plotly.js, rendering, controls, sync, axe, dark mode."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from lessonengine.engine.presets import get_preset
from lessonengine.graph import compute
from tests.browser.scrolling import bring_into_view

LESSON_URL = "/lessons/chain-rule-in-networks"
PLOTLY = "/static/vendor/plotly/"
FIGURES = ["sigmoid", "loss-tangent", "cost"]


def plot(page, figure):
    return page.locator(f'[data-widget="plot"][data-figure="{figure}"]')


def open_lesson(page, live_server, requests=None, width=1280, height=900):
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + LESSON_URL)
    page.wait_for_load_state("networkidle")


def render(page, *figures):
    """Scroll each plot into view and wait for plotly's SVG in it."""
    for figure in figures or FIGURES:
        element = plot(page, figure)
        bring_into_view(element)
        element.locator(".plot-canvas .main-svg").first.wait_for(timeout=15000)
        expect(element).to_have_attribute("data-plot-state", "ready")


def tangent(page):
    """The tangent trace as plotly holds it: its points and its colour."""
    canvas = plot(page, "loss-tangent").locator(".plot-canvas")
    return canvas.evaluate(
        """el => {
          const t = el.data.find((trace) => trace.uid === "tangent");
          return { x: [...t.x], y: [...t.y], color: t.line.color };
        }"""
    )


def engine_dl_dw(values):
    preset = get_preset("neuron")
    return float(compute(preset.program, {**preset.values, **values}).grad("w"))


def control(page, name):
    return plot(page, "loss-tangent").locator(f"input[name='{name}']")


def test_plotly_waits_for_the_scroll_then_three_plots_render(page, live_server, console_errors):
    requests = []
    open_lesson(page, live_server, requests)
    assert not [url for url in requests if PLOTLY in url], "plotly.js loaded before scrolling"
    assert not [url for url in requests if "/api/plots/" in url]
    render(page)
    assert len([url for url in requests if PLOTLY in url]) == 1, "plotly.js loaded once"
    for figure in FIGURES:
        element = plot(page, figure)
        expect(element.locator("figcaption")).not_to_be_empty()
        canvas = element.locator(".plot-canvas")
        expect(canvas).to_have_attribute("role", "img")
        alt = element.locator(".plot-alt")
        expect(alt).to_have_attribute("aria-live", "polite")
        assert canvas.get_attribute("aria-labelledby") == alt.get_attribute("id")
        assert element.locator(".modebar").count() == 0, "no toolbar inside role=img"
    expect(plot(page, "sigmoid").locator(".plot-alt")).to_contain_text("a = 0.668")
    # Only this server was asked for anything.
    host = urlparse(live_server).netloc
    foreign = [u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")]
    assert all(urlparse(u).netloc == host for u in foreign), [
        u for u in foreign if urlparse(u).netloc != host
    ]
    assert all(urlparse(u).scheme in ("http", "data", "blob") for u in requests)
    assert console_errors == []


def test_changing_w_moves_the_tangent_and_the_sigmoid_marker(page, live_server, console_errors):
    open_lesson(page, live_server)
    render(page, "sigmoid", "loss-tangent")
    before = tangent(page)
    w = control(page, "w")
    w.fill("2")
    page.wait_for_function(
        "([el, y]) => el.data.find(t => t.uid === 'tangent').y[0] !== y",
        arg=[plot(page, "loss-tangent").locator(".plot-canvas").element_handle(), before["y"][0]],
    )
    after = tangent(page)
    (x0, x1), (y0, y1) = after["x"], after["y"]
    values = {"w": 2.0, "x": 1.5, "b": -0.5, "y": 1.0}
    assert (y1 - y0) / (x1 - x0) == pytest.approx(engine_dl_dw(values), abs=1e-9)
    assert (x0 + x1) / 2 == pytest.approx(2.0)
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("At w = 2.00")
    # The sigmoid plot follows the same neuron: z = 2 * 1.5 - 0.5.
    expect(plot(page, "sigmoid").locator(".plot-alt")).to_contain_text("z = w·x + b = 2.50")
    assert console_errors == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a number for w."),
        ("2000000", "the numbers of w are limited to ±1,000,000"),  # the engine's limit
    ],
)
def test_a_bad_value_gets_a_message_and_the_plot_stays(page, live_server, text, message):
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    before = tangent(page)
    w = control(page, "w")
    w.fill(text)
    w.dispatch_event("change")
    note = page.locator(f"#{w.get_attribute('aria-describedby')}")
    expect(note).to_contain_text(message)
    expect(w).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(300)  # longer than the debounce: nothing is redrawn
    assert tangent(page) == before
    w.fill("1")
    expect(note).to_be_empty()
    expect(w).not_to_have_attribute("aria-invalid", "true")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("At w = 1.00")


def test_a_late_answer_does_not_overwrite_what_the_student_types(page, live_server):
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    held = []

    def hold_w_2(route):
        if "w=2&" in route.request.url:
            held.append(route)  # answered below, once the student has typed more
        else:
            route.continue_()

    page.route("**/api/plots/**", hold_w_2)
    w = control(page, "w")
    w.click()
    w.fill("")
    page.keyboard.type("2")
    page.wait_for_timeout(250)  # past the debounce: w = 2 is asked for (by both neuron plots)
    assert held
    # The student has typed on (the input event is held back here to fix the order).
    w.evaluate("el => { el.value = '2.5'; }")
    for route in held:
        route.continue_()
    alt = plot(page, "loss-tangent").locator(".plot-alt")
    expect(alt).to_contain_text("At w = 2.00")  # the late answer is drawn...
    expect(w).to_have_value("2.5")  # ...and what the student typed stays
    w.dispatch_event("input")
    expect(alt).to_contain_text("At w = 2.50")


def test_controls_work_from_the_keyboard(page, live_server):
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    labels = plot(page, "loss-tangent").locator(".plot-controls label")
    assert labels.all_inner_texts() == ["w (weight)", "x (input)", "b (bias)", "y (label)"]
    w = control(page, "w")
    w.focus()
    page.keyboard.press("Tab")
    expect(control(page, "x")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(w).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(w).to_have_value("0.9")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("At w = 0.90")


def test_plots_speak_the_graph_widgets_events(page, live_server):
    """Our side of the contract: graph:values-changed in, graph:set-values out."""
    open_lesson(page, live_server)
    render(page, "sigmoid", "loss-tangent")
    graph = page.locator('[data-widget="graph"][data-preset="neuron"]')
    graph.evaluate(
        """el => {
          window.__setValues = [];
          el.addEventListener("graph:set-values", (e) => window.__setValues.push(e.detail.values));
        }"""
    )
    # A student's edit in the widget reaches both plots.
    graph.evaluate(
        """el => el.dispatchEvent(new CustomEvent("graph:values-changed", { detail: {
          preset: "neuron", values: { w: -1.5, x: 1.5, b: -0.5, y: 1 } } }))"""
    )
    expect(control(page, "w")).to_have_value("-1.5")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("At w = −1.50")
    expect(plot(page, "sigmoid").locator(".plot-alt")).to_contain_text("z = w·x + b = −2.75")
    assert page.evaluate("window.__setValues") == [], "no echo back to the widget"
    # Another example in the widget's picker is not the neuron: ignored.
    graph.evaluate(
        """el => el.dispatchEvent(new CustomEvent("graph:values-changed", { detail: {
          preset: "chain", values: { x: 0.5 } } }))"""
    )
    # An edit in the plots' controls is sent to the widget (it shows another example now: no).
    control(page, "x").fill("2")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("x = 2.00")
    assert page.evaluate("window.__setValues") == []
    graph.evaluate(
        """el => el.dispatchEvent(new CustomEvent("graph:values-changed", { detail: {
          preset: "neuron", values: { w: -1.5, x: 2, b: -0.5, y: 1 } } }))"""
    )
    control(page, "w").fill("1")
    page.wait_for_function("() => window.__setValues.length > 0")
    assert page.evaluate("window.__setValues.at(-1)") == {"w": 1, "x": 2, "b": -0.5, "y": 1}


@pytest.mark.parametrize(
    ("name", "text", "shown"), [("w", "7", "w = 7.00"), ("x", "-40", "x = −40.00")]
)
def test_any_value_the_engine_takes_is_drawn_with_the_point_in_view(
    page, live_server, name, text, shown
):
    """Past the old ±5: the plots take what the graph takes, and the axis widens to the point."""
    open_lesson(page, live_server)
    render(page, "sigmoid", "loss-tangent")
    box = control(page, name)
    box.fill(text)
    box.dispatch_event("change")
    note = page.locator(f"#{box.get_attribute('aria-describedby')}")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text(shown)
    expect(note).to_have_text("")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    # The marked point lies inside the axis plotly drew.
    canvas = plot(page, "loss-tangent").locator(".plot-canvas")
    inside = canvas.evaluate(
        """el => {
          const r = el._fullLayout.xaxis.range, w = el.data.find((t) => t.mode === "markers").x[0];
          return r[0] < w && w < r[1];
        }"""
    )
    assert inside


def test_values_from_the_widget_the_engine_refuses_before_the_plots_draw(page, live_server):
    open_lesson(page, live_server)
    graph = page.locator('[data-widget="graph"][data-preset="neuron"]')
    graph.evaluate(
        """el => el.dispatchEvent(new CustomEvent("graph:values-changed", { detail: {
          preset: "neuron", values: { w: 0.8, x: 1.5, b: 1000, y: 1 } } }))"""
    )
    render(page, "loss-tangent")
    b = control(page, "b")
    expect(b).to_have_value("1000")
    # The engine cannot score a sigmoid that rounds to 1: the plot says so in its words ...
    status = plot(page, "loss-tangent").locator(".plot-status")
    expect(status).to_contain_text("bce needs every prediction strictly between 0 and 1")
    # ... and is drawn from the preset's values.
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("b = −0.50")


def test_plots_and_graph_widget_share_the_neuron(page, live_server, console_errors):
    open_lesson(page, live_server)
    render(page, "sigmoid", "loss-tangent")
    graph = page.locator('[data-widget="graph"][data-preset="neuron"]')
    bring_into_view(graph)
    graph_w = graph.locator("input[data-input='w']")
    expect(graph_w).to_have_value("0.8")
    # Plot -> graph widget.
    control(page, "w").fill("2")
    expect(graph_w).to_have_value("2")
    # Graph widget -> plots.
    graph_w.fill("-1.5")
    expect(control(page, "w")).to_have_value("-1.5")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("At w = −1.50")
    expect(plot(page, "sigmoid").locator(".plot-alt")).to_contain_text("z = w·x + b = −2.75")
    assert console_errors == []


def test_no_axe_violations_in_the_plots(page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    open_lesson(page, live_server)
    render(page)
    control(page, "w").fill("")  # a message and aria-invalid on show as well
    expect(plot(page, "loss-tangent").locator(".plot-message").first).not_to_be_empty()
    results = Axe().run(page, context={"include": [[".widget-plot"]]})
    violations = [
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
    ]
    assert violations == []


def test_no_axe_violations_on_the_page_with_the_plots_rendered(page, live_server, axe_check):
    open_lesson(page, live_server)
    render(page)
    axe_check(page, "with the three plots rendered")


def test_plots_follow_dark_mode(page, live_server):
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    light = tangent(page)["color"]
    page.emulate_media(color_scheme="dark")
    canvas = plot(page, "loss-tangent").locator(".plot-canvas")
    page.wait_for_function(
        "([el, c]) => el.data.find(t => t.uid === 'tangent').line.color !== c",
        arg=[canvas.element_handle(), light],
    )
    dark = tangent(page)["color"]
    expected = canvas.evaluate("el => getComputedStyle(el).getPropertyValue('--plot-vermillion')")
    assert dark == expected.strip()
    # The axis labels are light on the dark page.
    fill = canvas.locator(".xtick text").first.evaluate("el => getComputedStyle(el).fill")
    assert fill != "rgb(31, 35, 40)"


def test_a_change_made_in_the_plots_reaches_a_graph_widget_that_mounts_later(page, live_server):
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    control(page, "w").fill("2")
    expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text("At w = 2.00")
    graph = page.locator('[data-widget="graph"][data-preset="neuron"]')
    assert graph.locator("[data-node]").count() == 0  # not mounted yet: it mounts on approach
    bring_into_view(graph)
    expect(graph.locator("input[data-input='w']")).to_have_value("2")


def descent_path(page):
    """The path trace on the loss plot as plotly holds it, or None."""
    canvas = plot(page, "loss-tangent").locator(".plot-canvas")
    return canvas.evaluate(
        """el => {
          const t = el.data.find((trace) => trace.uid === "descent-path");
          return t ? { x: [...t.x], y: [...t.y] } : null;
        }"""
    )


def test_the_loss_plot_draws_the_path_of_the_graphs_descent_steps(page, live_server, live_app):
    preset = get_preset("neuron")
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    assert descent_path(page) is None
    graph = page.locator('[data-widget="graph"][data-preset="neuron"]')
    bring_into_view(graph)
    graph.locator("[data-node]").first.wait_for()
    turn = graph.locator('[data-action="your-turn"]')
    if turn.count() and turn.is_checked():
        turn.uncheck()  # the lesson opens the neuron in Your turn, which hides the descent
    step = graph.locator('[data-action="descent-step"]')
    step.wait_for()
    eta = float(graph.locator('[data-input="learning-rate"]').input_value())
    start = compute(preset.program, preset.values)
    moved = {p: preset.values[p] - eta * float(start.grad(p)) for p in preset.parameters}
    after = compute(preset.program, {**preset.values, **moved})
    step.click()
    page.wait_for_function(
        "el => el.data.some((t) => t.uid === 'descent-path')",
        arg=plot(page, "loss-tangent").locator(".plot-canvas").element_handle(),
    )
    path = descent_path(page)
    # From the point the plot marked to the engine's (w, L) after the step.
    assert path["x"] == pytest.approx([preset.values["w"], moved["w"]], rel=1e-12)
    assert path["y"] == pytest.approx([float(start.value("L")), float(after.value("L"))], rel=1e-12)
    assert path["y"][1] < path["y"][0], "the step lowered the loss"
    alt = plot(page, "loss-tangent").locator(".plot-alt")
    expect(alt).to_contain_text("Gradient descent (orange diamonds): 1 step moved w from")
    # Two more steps extend the same path; the marked point follows the last one.
    graph.locator('[data-input="descent-steps"]').fill("2")
    step.click()
    page.wait_for_function(
        "el => el.data.find((t) => t.uid === 'descent-path').x.length === 4",
        arg=plot(page, "loss-tangent").locator(".plot-canvas").element_handle(),
    )
    losses = descent_path(page)["y"]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    expect(alt).to_contain_text("3 steps moved w")
    # A change made by hand ends the path: it no longer belongs to the curve drawn.
    control(page, "w").fill("1")
    expect(alt).to_contain_text("At w = 1.00")
    assert descent_path(page) is None
    expect(alt).not_to_contain_text("Gradient descent")


def test_the_plots_refuse_exactly_the_labels_the_graph_refuses(page, live_server, live_app):
    """One rule for y, the engine's (a cross-entropy label lies in [0, 1]), in both widgets,
    refused in the same words; any other number is taken by both."""
    body = {"preset": "neuron"}
    nodes = live_app.test_client().post("/api/graph", json=body).get_json()["nodes"]
    label = next(n for n in nodes if n["id"] == "y")["range"]
    assert (label["min"], label["max"]) == (0, 1)
    open_lesson(page, live_server)
    render(page, "loss-tangent")
    plot_y = control(page, "y")
    plot_note = page.locator(f"#{plot_y.get_attribute('aria-describedby')}")
    graph = page.locator('[data-widget="graph"][data-preset="neuron"]')
    bring_into_view(graph)
    graph_y = graph.locator("input[data-input='y']")
    graph_note = graph.locator(f"#{graph_y.get_attribute('aria-describedby')}")
    for text in ["3", "-0.5", "1.01", "0", "0.25", "1"]:
        value = float(text)
        refused = not label["min"] <= value <= label["max"]
        graph_y.fill(text)
        plot_y.fill(text)
        plot_y.dispatch_event("change")
        if refused:
            expect(graph_note).to_contain_text("y must be between 0 and 1")
            expect(plot_note).to_have_text(graph_note.text_content())
            expect(plot_y).to_have_attribute("aria-invalid", "true")
        else:
            expect(graph_note).to_have_text("")
            expect(plot_note).to_have_text("")
            expect(plot(page, "loss-tangent").locator(".plot-alt")).to_contain_text(
                f"y = {value:.2f}"
            )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width, height", [(360, 780), (1280, 900)])
def test_screenshots_of_values_past_the_old_ranges_and_a_refused_label(
    page, live_server, artifacts_dir, width, height, scheme
):
    """w = 7, x = -4: the axis widens to the point; y = 3 refused beside the plot."""
    page.emulate_media(color_scheme=scheme)
    open_lesson(page, live_server, width=width, height=height)
    render(page, "sigmoid", "loss-tangent")
    for name, text in (("w", "7"), ("x", "-4")):
        control(page, name).fill(text)
        control(page, name).dispatch_event("change")
    alt = plot(page, "loss-tangent").locator(".plot-alt")
    expect(alt).to_contain_text("At w = 7.00 (with x = −4.00")
    control(page, "y").fill("3")
    control(page, "y").dispatch_event("change")
    note = page.locator(f"#{control(page, 'y').get_attribute('aria-describedby')}")
    expect(note).to_have_text("y must be between 0 and 1; the graph keeps y's last value.")
    page.wait_for_timeout(300)  # plotly's redraw
    for figure in ("sigmoid", "loss-tangent"):
        shot = artifacts_dir / f"plot-{figure}-wide-{width}-{scheme}.png"
        plot(page, figure).screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
