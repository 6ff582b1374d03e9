"""The graph playground in Chromium: program editor, inline errors, URL state, axe, screenshots."""

import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import expect

PLAYGROUND = "/playground"
WIDGET = '[data-widget="graph"]'
NEURON = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"


def engine(live_app, path, body, status=200):
    response = live_app.test_client().post(f"/api/{path}", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def node(page, node_id):
    return page.locator(f'{WIDGET} [data-node="{node_id}"]')


def node_ids(page):
    return page.locator(f"{WIDGET} [data-node]").evaluate_all("els => els.map(e => e.dataset.node)")


def editor(page):
    return page.locator(f"{WIDGET} textarea.graph-program")


def open_playground(page, live_server, query="", width=1280):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server + PLAYGROUND + query)
    node(page, "L").wait_for()


def test_the_playground_opens_on_the_neuron(page, live_server, console_errors):
    open_playground(page, live_server)
    expect(editor(page)).to_have_value(NEURON)
    assert set(node_ids(page)) == {"w", "x", "_mul1", "b", "z", "a", "y", "L"}
    expect(page.locator("h1")).to_have_text("Graph playground")
    assert not console_errors


def test_the_lesson_links_to_the_playground(page, live_server):
    page.goto(live_server + "/lessons/chain-rule-in-networks")
    lesson_graph = f'{WIDGET}[data-preset="neuron"]'
    page.locator(lesson_graph).scroll_into_view_if_needed()  # the widget mounts on approach
    link = page.locator(f"{lesson_graph} a.graph-playground-link")
    expect(link).to_have_attribute("href", re.compile(r"^/playground\?program="))
    link.click()
    page.wait_for_url(re.compile(r"/playground\?"))
    node(page, "L").wait_for()
    expect(editor(page)).to_have_value(NEURON)


def test_a_bad_program_shows_the_engine_message_at_its_line(page, live_server, live_app):
    open_playground(page, live_server)
    before = node_ids(page)
    bad = "z = w*x + b\na = sigmod(z)\nL = bce(a, y)"
    expected = engine(
        live_app, "graph", {"program": bad, "values": {"w": 1, "x": 1, "b": 1, "y": 1}}, 400
    )
    assert expected["line"] == 2
    editor(page).fill(bad)
    error = page.locator(f"{WIDGET} .graph-program-error")
    expect(error).to_contain_text(expected["message"])
    where = error.locator(".graph-program-where")
    expect(where).to_have_attribute("data-line", "2")
    expect(where).to_have_attribute("data-column", str(expected["column"]))
    expect(where).to_contain_text(f"Line 2, column {expected['column']}")
    # The offending line is quoted with a caret under the column the engine reported.
    excerpt = error.locator(".graph-program-excerpt").inner_text().split("\n")
    assert excerpt[0] == "2 | a = sigmod(z)"
    assert excerpt[1].index("^") == len("2 | ") + expected["column"] - 1
    expect(editor(page)).to_have_attribute("aria-invalid", "true")
    # The last good graph stays.
    assert node_ids(page) == before
    expect(node(page, "a").locator(".graph-node-value")).to_have_attribute(
        "data-raw", re.compile(r"^0\.")
    )
    # Fixing the program clears the error and draws the new graph.
    editor(page).fill("z = w*x + b\na = tanh(z)\nL = bce(a, y)")
    expect(error).to_be_hidden()
    expect(node(page, "a")).to_contain_text("tanh")


def test_the_state_is_in_the_url(page, live_server, live_app, context):
    open_playground(page, live_server)
    program = "u = 2*x + 1\nL = u ** 3"
    editor(page).fill(program)
    node(page, "u").wait_for()
    page.locator(f'{WIDGET} [data-input="x"]').fill("0.5")
    expect(node(page, "x").locator(".graph-node-value")).to_have_attribute("data-raw", "0.5")
    page.wait_for_function("() => location.search.includes('0.5')")
    query = parse_qs(urlparse(page.url).query)
    assert query["program"] == [program]
    assert json.loads(query["values"][0]) == {"x": 0.5}
    shared = context.new_page()
    shared.goto(page.url)
    node(shared, "L").wait_for()
    expect(editor(shared)).to_have_value(program)
    expected = engine(live_app, "graph", {"program": program, "values": {"x": 0.5}})
    grad = next(n["grad"] for n in expected["nodes"] if n["id"] == "x")
    assert grad == pytest.approx(3 * 2**2 * 2)  # dL/dx = 3u² · 2 with u = 2
    expect(node(shared, "x").locator(".graph-node-grad")).to_have_attribute(
        "data-raw", json.dumps(grad).removesuffix(".0")
    )
    shared.close()


def test_a_new_input_gets_a_value(page, live_server, live_app):
    open_playground(page, live_server)
    editor(page).fill("q = s * 3\nL = q ** 2")
    node(page, "s").wait_for()
    s = float(page.locator(f'{WIDGET} [data-input="s"]').input_value())
    expect(node(page, "L").locator(".graph-node-value")).to_have_attribute(
        "data-raw", json.dumps((s * 3) ** 2)
    )
    # Several new inputs start at different values, so no gradient is 1 or −1 by accident.
    editor(page).fill("L = u * v + r")
    node(page, "r").wait_for()
    values = {k: float(page.locator(f'{WIDGET} [data-input="{k}"]').input_value()) for k in "uvr"}
    assert len(set(values.values())) == 3, values
    answer = live_app.test_client().post(
        "/api/graph", json={"program": "L = u * v + r", "values": values}
    )
    grads = [n["grad"] for n in answer.get_json()["nodes"] if n["op"] == "input"]
    assert all(abs(g) not in (0, 1) for g in grads[:2]), grads  # u and v: each other's value


def test_the_menu_stops_naming_a_preset_after_typing(page, live_server):
    open_playground(page, live_server)
    menu = page.locator(f"{WIDGET} .graph-preset")
    expect(menu.locator("option:checked")).not_to_have_text("")
    editor(page).fill("q = s * 3\nL = q ** 2")
    node(page, "q").wait_for()
    expect(menu.locator("option:checked")).to_have_text("Your own program")
    menu.select_option("fork")
    node(page, "v").wait_for()
    expect(menu).to_have_value("fork")


def test_a_program_typed_before_the_presets_arrive_is_kept(page, live_server):
    # The presets' list is slow (a busy server): the student types first, and their program,
    # not the default preset that arrives after it, is what the graph shows.
    release = []

    def hold(route):
        release.append(route)

    page.route("**/api/presets*", hold)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + PLAYGROUND)
    editor(page).fill("u = p * q\nL = u + q")
    node(page, "u").wait_for()
    page.wait_for_timeout(100)
    assert release, "the presets were asked for"
    for route in release:
        route.continue_()
    expect(page.locator(f"{WIDGET} .graph-preset option").nth(1)).to_be_attached()
    page.wait_for_timeout(500)  # what the presets' arrival would have set in motion
    expect(editor(page)).to_have_value("u = p * q\nL = u + q")
    assert set(node_ids(page)) == {"p", "q", "u", "L"}


def test_a_syntax_error_is_shown_once(page, live_server):
    open_playground(page, live_server)
    editor(page).fill("z = w*x +\nL = z")
    error = page.locator(f"{WIDGET} .graph-program-error")
    expect(error).not_to_be_empty()
    expect(page.locator(f"{WIDGET} .graph-status")).to_have_text("")


def test_presets_in_the_playground(page, live_server):
    open_playground(page, live_server)
    page.locator(f"{WIDGET} .graph-preset").select_option("fork")
    node(page, "v").wait_for()
    expect(editor(page)).to_have_value(re.compile(r"v = x \*\* 2"))
    node(page, "x").click()
    details = page.locator("#node-details")
    # x feeds two nodes: its gradient is the sum of what arrives, 3 + 2x = 7 at x = 2.
    expect(details.locator('[data-field="sum"]')).to_contain_text("feeds 2 nodes")
    expect(details.locator('[data-field="grad"]')).to_have_text("7")


def test_no_violations_with_a_node_selected(page, live_server, axe_check):
    open_playground(page, live_server)
    node(page, "z").click()
    page.locator('#node-details [data-node-title="z"]').wait_for()
    axe_check(page, "on the playground with node z selected")
    editor(page).fill("z = w*x +\nL = z")
    page.locator(f"{WIDGET} .graph-program-where").wait_for()
    axe_check(page, "on the playground with an error shown")


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_with_a_node_selected(page, live_server, artifacts_dir, width):
    open_playground(page, live_server, width=width)
    page.locator(f"{WIDGET} .graph-preset").select_option("two-layer")
    node(page, "_matmul2").click()
    page.locator('#node-details [data-node-title="_matmul2"]').wait_for()
    page.screenshot(path=str(artifacts_dir / f"graph-playground-{width}.png"), full_page=True)
    assert page.locator(WIDGET).bounding_box()["width"] <= width


def graph_query(program, values):
    return "?" + urlencode({"program": program, "values": json.dumps(values)})


def test_notes_and_check_verdicts_are_shown_in_words(page, live_server, live_app, axe_check):
    program, values = "L = max(a, b)", {"a": 1, "b": 1}
    open_playground(page, live_server, graph_query(program, values))
    answer = live_app.test_client().post(
        "/api/graph/node", json={"program": program, "values": values, "node": "L"}
    )
    notes = answer.get_json()["notes"]
    assert [n["id"] for n in notes] == ["tie"]
    node(page, "L").click()
    shown = page.locator('#node-details [data-field="notes"] [data-note="tie"]')
    expect(shown).to_have_text(notes[0]["text"])
    # The gradient check at a tie: a kink, said in words and not marked as a failure.
    check = live_app.test_client().post("/api/graph", json={"program": program, "values": values})
    verdicts = {r["input"]: r for r in check.get_json()["check"]}
    page.locator(f"{WIDGET} input.graph-switch").check()
    for name in ("a", "b"):
        assert verdicts[name]["verdict"] == "kink"
        line = node(page, name).locator(".graph-node-check")
        expect(line).to_have_text("kink: no derivative here")
        expect(line).not_to_have_class(re.compile("is-bad"))
        reason = page.locator(f'{WIDGET} .graph-check-reasons li[data-input="{name}"]')
        expect(reason).to_contain_text(verdicts[name]["reason"])
    axe_check(page, "on the playground with a note and check verdicts")


def test_a_broadcast_that_grows_a_result_is_noted(page, live_server, live_app):
    program = "z = W @ x + b\nL = sum(z)"
    values = {"W": [[1, 2], [3, 4], [5, 6]], "x": [1, 1], "b": [[1], [2], [3]]}
    open_playground(page, live_server, graph_query(program, values))
    answer = live_app.test_client().post(
        "/api/graph/node", json={"program": program, "values": values, "node": "z"}
    )
    note = next(n for n in answer.get_json()["notes"] if n["id"] == "broadcast-grows")
    node(page, "z").click()
    expect(page.locator('#node-details [data-note="broadcast-grows"]')).to_have_text(note["text"])
