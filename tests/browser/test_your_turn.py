"""Your turn in Chromium: the neuron's backward pass by hand, keyboard only, graded."""

import pytest
from playwright.sync_api import expect

from tests.browser.scrolling import bring_into_view

LESSON_URL = "/lessons/chain-rule-in-networks"
WIDGET = '[data-widget="graph"][data-preset="neuron"]'
KEYS = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"]


def open_lesson(page, live_server, width=1280, height=900):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + LESSON_URL)
    bring_into_view(page.locator(WIDGET))
    page.locator(f'{WIDGET} [data-node="L"]').wait_for()
    page.locator(f"{WIDGET} .graph-turn-progress").filter(has_text="gradients found").wait_for()


def form(page, node, quantity="grad", parent=""):
    step = f'[data-step-node="{node}"][data-quantity="{quantity}"][data-parent="{parent}"]'
    return page.locator(f"{WIDGET} form{step}")


def focused_node(page):
    return page.evaluate("document.activeElement?.closest?.('.graph-node')?.dataset.node ?? null")


def tab_to(page, selector, limit=30, back=None):
    """Press Tab (Shift+Tab when the target comes before the focus) until `selector` has focus."""
    if back is None:
        back = page.evaluate(
            """(s) => { const t = document.querySelector(s), a = document.activeElement;
                 return Boolean(t && a && a !== document.body &&
                   (t.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING)); }""",
            selector,
        )
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def walk_to(page, target):
    """Move the graph's focus to `target` with the arrow keys, Home and End only (learning the
    moves as a keyboard user would), then select it with Enter."""
    # From wherever the focus is: the page above and below the widget has many tab stops.
    tab_to(page, f'{WIDGET} .graph-node[tabindex="0"]', limit=300)
    moves = {}  # (node, key) -> node
    paths = {}
    for start in ("End", "Home"):
        page.keyboard.press(start)
        paths.setdefault(focused_node(page), [start])
    frontier = list(paths)
    while target not in paths and frontier:
        here = frontier.pop(0)
        for key in KEYS:
            for k in paths[here]:
                page.keyboard.press(k)
            page.keyboard.press(key)
            there = focused_node(page)
            moves[(here, key)] = there
            if there and there not in paths:
                paths[there] = [*paths[here], key]
                frontier.append(there)
    for key in paths[target]:
        page.keyboard.press(key)
    assert focused_node(page) == target
    page.keyboard.press("Enter")
    form(page, target).wait_for()


def answer(page, node, text, quantity="grad", parent=""):
    """Tab to the step's field, type the answer and press Enter; the step's verdict."""
    step = form(page, node, quantity, parent)
    field = f'[data-quantity="{quantity}"][data-parent="{parent}"] [data-input="answer"]'
    tab_to(page, f'{WIDGET} form[data-step-node="{node}"]{field}')
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    expect(step.locator(".graph-turn-read")).to_contain_text(f"You typed: {text}")
    before = step.get_attribute("data-replies") or "0"
    page.keyboard.press("Enter")
    expect(step).not_to_have_attribute("data-replies", before)
    return step.locator(".graph-turn-verdict")


def grads_shown(page):
    return page.locator(f"{WIDGET} .graph-node[data-node]").evaluate_all(
        "(els) => Object.fromEntries(els.map((el) => [el.dataset.node,"
        " el.querySelector('.graph-node-grad').textContent.replace(/^grad\\s*/, '')]))"
    )


def test_the_neuron_backward_pass_by_hand(
    page, live_server, live_app, console_errors, axe_check, artifacts_dir
):
    open_lesson(page, live_server)
    switch = page.locator(f'{WIDGET} [data-action="your-turn"]')
    expect(switch).to_be_checked()
    live = page.locator(f"{WIDGET} .graph-turn-live")
    expect(live).to_have_attribute("aria-live", "polite")
    # The lesson asks for dL/dw first; every gradient is "?", never 0, every value stays.
    expect(form(page, "w")).to_be_visible()
    assert set(grads_shown(page).values()) == {"?"}
    expect(page.locator(f'{WIDGET} [data-node="z"] .graph-node-value')).to_contain_text("0.7")
    expect(page.locator(f"{WIDGET} .graph-panel")).to_be_hidden()
    expect(page.locator(f"{WIDGET} .graph-turn-progress")).to_have_text("0 of 8 gradients found")

    walk_to(page, "L")
    expect(answer(page, "L", "1")).to_have_attribute("data-note", "correct")
    expect(live).to_contain_text("Right")

    walk_to(page, "a")
    expect(answer(page, "a", "(a - y)/(a*(1 - a))")).to_have_attribute("data-note", "correct")

    # y: a wrong try, the hint (the op's rule, typeset), then Show me.
    walk_to(page, "y")
    verdict = answer(page, "y", "7")
    expect(verdict).to_have_attribute("data-note", "unrecognised")
    y = form(page, "y")
    expect(y.locator('[data-field="hint"] .tex')).to_be_visible()
    expect(y.locator('[data-field="worked"]')).to_have_count(0)  # never the value before Show me
    tab_to(page, f'{WIDGET} form[data-step-node="y"] [data-action="show-me"]')
    page.keyboard.press("Enter")
    expect(y.locator(".graph-turn-verdict")).to_have_attribute("data-note", "shown")
    expect(y.locator('[data-field="worked"]')).to_contain_text("0.7")
    # The wrong 7 does not stand next to "Shown": the field is emptied.
    expect(y.locator('[data-input="answer"]')).to_have_value("")
    expect(y).to_have_attribute("data-status", "shown")
    expect(live).to_contain_text("Shown")

    # z: the sigmoid's slope again after the cancellation; then right. Its steps: the local
    # gradient given where the signal is asked.
    walk_to(page, "z")
    verdict = answer(page, "z", "(a-y)*a*(1-a)")
    expect(verdict).to_have_attribute("data-note", "extra-sigmoid-derivative")
    expect(verdict).to_contain_text("cancels")
    expect(live).to_contain_text("cancels")
    expect(answer(page, "z", "a - y")).to_have_attribute("data-note", "correct")
    verdict = answer(page, "z", "1", "signal", "b")
    expect(verdict).to_have_attribute("data-note", "forgot-upstream")
    expect(live).to_contain_text("upstream gradient")
    expect(answer(page, "z", "1", "local_grad", "b")).to_have_attribute("data-note", "correct")
    expect(answer(page, "z", "a - y", "signal", "b")).to_have_attribute("data-note", "correct")

    walk_to(page, "b")
    expect(answer(page, "b", "a - y")).to_have_attribute("data-note", "correct")

    # w·x: a wrong value; w from it is right given that value (error carried forward).
    walk_to(page, "_mul1")
    answer(page, "_mul1", "0.25")
    walk_to(page, "w")
    verdict = answer(page, "w", "0.25*x")
    expect(verdict).to_have_attribute("data-note", "carried-forward")
    expect(verdict).to_contain_text("given your value")
    expect(live).to_contain_text("given your earlier value")
    walk_to(page, "_mul1")
    expect(answer(page, "_mul1", "a - y")).to_have_attribute("data-note", "correct")
    walk_to(page, "w")
    expect(answer(page, "w", "(a - y)*x")).to_have_attribute("data-note", "correct")
    # An answer that cannot be read: the server's message and where.
    walk_to(page, "x")
    verdict = answer(page, "x", "(a - y)*")
    expect(verdict).to_have_attribute("data-note", "unreadable")
    expect(answer(page, "x", "(a - y)*w")).to_have_attribute("data-note", "correct")
    expect(form(page, "x").locator(".graph-turn-read .tex")).to_be_visible()  # read_as typeset

    progress = page.locator(f"{WIDGET} .graph-turn-progress")
    expect(progress).to_have_text("7 of 8 gradients found, 1 shown")
    grads = grads_shown(page)
    assert "?" not in grads.values(), grads
    axe_check(page, "in Your turn with feedback shown")
    widget = page.locator(WIDGET)
    widget.screenshot(path=str(artifacts_dir / "your-turn-1280.png"))

    # The progress survives a reload (the same graph and values).
    page.reload()
    open_lesson(page, live_server)
    expect(progress).to_have_text("7 of 8 gradients found, 1 shown")
    assert "?" not in grads_shown(page).values()
    # The one console line: the browser logging the 400 of the unreadable answer, on purpose.
    assert [e for e in console_errors if "status of 400" not in e] == []


def test_show_me_is_there_after_a_reload_for_a_step_tried_before(page, live_server):
    open_lesson(page, live_server)
    walk_to(page, "z")
    show = form(page, "z").locator('[data-action="show-me"]')
    expect(show).to_be_disabled()  # not tried yet
    expect(answer(page, "z", "0.5")).not_to_have_attribute("data-note", "correct")
    expect(show).to_be_enabled()
    # A reload: nothing answered in this visit, but the server counted the attempt.
    page.reload()
    open_lesson(page, live_server)
    walk_to(page, "z")
    show = form(page, "z").locator('[data-action="show-me"]')
    expect(show).to_be_enabled()
    expect(form(page, "b").locator('[data-action="show-me"]')).to_have_count(0)  # other node
    show.focus()
    page.keyboard.press("Enter")
    expect(form(page, "z").locator(".graph-turn-verdict")).to_have_attribute("data-note", "shown")
    # A step never tried keeps Show me off after the reload too.
    expect(form(page, "z", "signal", "b").locator('[data-action="show-me"]')).to_be_disabled()


def test_a_fork_and_the_narrow_screen(page, live_server, axe_check, artifacts_dir, console_errors):
    open_lesson(page, live_server, width=360, height=780)
    page.emulate_media(color_scheme="dark")
    widget = page.locator(WIDGET)
    # The fork: x feeds two nodes; one branch's signal is not its gradient.
    page.locator(f"{WIDGET} .graph-preset").select_option("fork")
    page.locator(f'{WIDGET} [data-node="u"]').wait_for()
    expect(page.locator(f"{WIDGET} .graph-turn-progress")).to_have_text("0 of 4 gradients found")
    walk_to(page, "x")
    verdict = answer(page, "x", "3")
    expect(verdict).to_have_attribute("data-note", "missed-fork")
    expect(verdict).to_contain_text("sum")
    axe_check(page, "in Your turn at 360 px, dark")
    box = widget.bounding_box()
    assert box["width"] <= 360
    widget.screenshot(path=str(artifacts_dir / "your-turn-360-dark.png"))
    # Off again: the worked panel and the numbers come back.
    switch = page.locator(f'{WIDGET} [data-action="your-turn"]')
    switch.focus()
    page.keyboard.press("Space")
    expect(switch).not_to_be_checked()
    assert "?" not in grads_shown(page).values()
    assert console_errors == []


@pytest.mark.parametrize("width", [1280])
def test_the_two_layer_graph_asks_for_the_signal_to_a1(page, live_server, width, artifacts_dir):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server + LESSON_URL)
    two = '[data-widget="graph"][data-preset="two-layer"]'
    bring_into_view(page.locator(two))
    step = page.locator(f'{two} form[data-quantity="signal"][data-parent="a1"]')
    step.wait_for()
    expect(step.locator(".graph-turn-question")).to_contain_text("a1")
    field = step.locator('[data-input="answer"]')
    field.focus()
    page.keyboard.type("W2 @ a1")
    page.keyboard.press("Enter")
    verdict = step.locator(".graph-turn-verdict")
    expect(verdict).to_have_attribute("data-note", "forward-value")
    field.fill("")
    field.focus()
    page.keyboard.type("transpose(W2) @ (a2 - y)")
    page.keyboard.press("Enter")
    expect(verdict).to_have_attribute("data-note", "correct")
    # A weight matrix's gradient as an expression: the outer product g a1ᵀ, written outer(g, a1).
    # A one-element vector shows its number on the node, not its shape: [1.01], not [1].
    expect(page.locator(f'{two} [data-node="z2"] .graph-node-value')).to_contain_text("[1.01]")
    page.locator(f'{two} [data-node="W2"]').click()
    w2 = page.locator(f'{two} form[data-step-node="W2"][data-quantity="grad"]')
    # The graph shows a1 by its shape; the panel gives the numbers dL/dW2 needs, in full.
    values = page.locator(f'{two} [data-field="values"]')
    expect(values.locator('[data-value-of="a1"]')).to_contain_text("[1.2, 0, 0.4]")
    expect(values.locator('[data-value-of="a1"]')).to_contain_text("(3)")
    expect(values.locator('[data-value-of="W2"]')).to_contain_text("[[0.7, −0.5, 0.3]]")
    field = w2.locator('[data-input="answer"]')
    field.focus()
    page.keyboard.type("outer(a1, a2 - y)")
    page.keyboard.press("Enter")
    expect(w2.locator(".graph-turn-verdict")).to_have_attribute("data-note", "no-transpose")
    field.fill("")
    field.focus()
    page.keyboard.type("outer(a2 - y, a1)")
    page.keyboard.press("Enter")
    expect(w2.locator(".graph-turn-verdict")).to_have_attribute("data-note", "correct")
    expect(w2.locator(".graph-turn-read .tex")).to_be_visible()  # read as (a2 - y) a1ᵀ
    page.locator(two).screenshot(path=str(artifacts_dir / "your-turn-two-layer-1280.png"))


def test_your_turn_on_a_program_in_the_playground(page, live_server, console_errors):
    page.set_viewport_size({"width": 1280, "height": 900})
    program = "u = p * q\nL = u + q"
    page.goto(f"{live_server}/playground")
    box = page.locator('[data-widget="graph"] textarea.graph-program')
    box.fill(program)
    widget = '[data-widget="graph"]'
    page.locator(f'{widget} [data-node="u"]').wait_for()
    switch = page.locator(f'{widget} [data-action="your-turn"]')
    expect(switch).not_to_be_checked()  # the playground opens with every number shown
    switch.focus()
    page.keyboard.press("Space")
    expect(page.locator(f"{widget} .graph-turn-progress")).to_have_text("0 of 4 gradients found")
    labels = page.locator(f"{widget} .graph-node .graph-node-grad").all_text_contents()
    assert all(text.endswith("?") for text in labels), labels
    page.locator(f'{widget} [data-node="q"]').click()
    field = page.locator(f'{widget} form[data-step-node="q"] [data-input="answer"]')
    field.focus()
    page.keyboard.type("p")  # one branch only: q feeds u and L
    page.keyboard.press("Enter")
    verdict = page.locator(f'{widget} form[data-step-node="q"] .graph-turn-verdict')
    expect(verdict).to_have_attribute("data-note", "missed-fork")
    field.fill("")
    field.focus()
    page.keyboard.type("p + 1")
    page.keyboard.press("Enter")
    expect(verdict).to_have_attribute("data-note", "correct")
    expect(page.locator(f"{widget} .graph-turn-progress")).to_have_text("1 of 4 gradients found")
    assert console_errors == []
