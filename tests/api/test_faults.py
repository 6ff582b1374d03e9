"""The faults of issue 10, each right value through the API: POST /api/graph and /graph/node.

Reference values are PyTorch's in float64 (and HIPS autograd's, see tests/engine/test_reference).
"""

import pytest

NEURON = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"


def graph(client, program, values):
    response = client.post("/api/graph", json={"program": program, "values": values})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body, {n["id"]: n for n in body["nodes"]}


def node(client, program, values, node_id):
    body = {"program": program, "values": values, "node": node_id}
    response = client.post("/api/graph/node", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def check(body):
    return {c["input"]: c for c in body["check"]}


# 1. Every signal has its parent's shape -----------------------------------------------------------


def test_bce_with_a_scalar_prediction_and_a_vector_target(client):
    body, nodes = graph(client, "L = bce(p, t)", {"p": 0.3, "t": [1, 0]})
    assert nodes["L"]["value"] == pytest.approx(0.7803238741323343, rel=1e-12)
    assert nodes["p"]["grad"] == pytest.approx(-0.9523809524, rel=1e-9)
    assert nodes["t"]["grad"] == pytest.approx([0.4236489302, 0.4236489302], rel=1e-9)
    view = node(client, "L = bce(p, t)", {"p": 0.3, "t": [1, 0]}, "L")
    for entry, signal, shape in zip(view["local_grads"], view["signals"], ([], [2]), strict=True):
        assert entry["shape"] == shape and _shape(entry["value"]) == shape
        assert _shape(signal["value"]) == shape


@pytest.mark.parametrize(
    ("program", "values"),
    [
        ("L = mse(p, t)", {"p": [[0.5], [1.5]], "t": [1.0, 2.0, 3.0]}),
        ("L = sum(a * b)", {"a": [[1.0, 2.0, 3.0]], "b": [[1.0], [2.0]]}),
        ("L = sum(max(a, b))", {"a": [1.0, 5.0, -1.0], "b": [[0.0], [2.0]]}),
        ("L = sum(a / b)", {"a": 2.0, "b": [[1.0, 2.0], [4.0, 8.0]]}),
        (
            "L = sum(u @ W) + v @ u",
            {"u": [1.0, 2.0], "W": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "v": [0.5, -1.0]},
        ),
    ],
)
def test_every_signal_and_local_gradient_has_the_shape_it_says(client, program, values):
    body, nodes = graph(client, program, values)
    for node_id, entry in nodes.items():
        assert _shape(entry["value"]) == entry["shape"]
        if entry["grad"] is not None:
            assert _shape(entry["grad"]) == entry["shape"], node_id
        view = node(client, program, values, node_id)
        for local in view["local_grads"]:
            if local["value"] is not None:
                assert _shape(local["value"]) == local["shape"], (node_id, local)
        for signal, parent in zip(view["signals"], view["parents"], strict=True):
            if signal["value"] is not None:
                assert _shape(signal["value"]) == nodes[parent]["shape"], (node_id, parent)


def _shape(value):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return shape


# 2. Derivatives where the formula divides by zero but the derivative exists -----------------------


def test_a_power_of_zero_at_zero(client):
    _, nodes = graph(client, "L = sum(x ** 0)", {"x": [0, 1]})
    assert nodes["L"]["value"] == 2 and nodes["x"]["grad"] == [0, 0]


def test_a_quotient_of_tiny_numbers(client):
    _, nodes = graph(client, "L = x / y", {"x": 1e-100, "y": 1e-170})
    assert nodes["L"]["value"] == pytest.approx(1e70, rel=1e-12)
    assert nodes["x"]["grad"] == pytest.approx(1e170, rel=1e-12)
    assert nodes["y"]["grad"] == pytest.approx(-1e240, rel=1e-12)


# 3. Powers: any exponent ------------------------------------------------------------------------


def test_a_fractional_exponent(client):
    _, nodes = graph(client, "L = x ** (1/2)", {"x": 4})
    assert nodes["L"]["value"] == 2 and nodes["x"]["grad"] == pytest.approx(0.25)


def test_an_exponent_that_is_an_input(client):
    _, nodes = graph(client, "L = x ** y", {"x": 2, "y": 3})
    assert nodes["L"]["value"] == 8 and nodes["x"]["grad"] == pytest.approx(12)
    assert nodes["y"]["grad"] == pytest.approx(5.545177444, rel=1e-9)


def test_an_exponent_gradient_at_a_negative_base_is_a_clear_error(client):
    response = client.post(
        "/api/graph", json={"program": "L = x ** y", "values": {"x": -2, "y": 2}}
    )
    body = response.get_json()
    assert response.status_code == 400 and body["node"] == "L"
    assert "positive base" in body["message"]


def test_a_power_tower_that_overflows_says_so(client):
    response = client.post("/api/graph", json={"program": "L = 9 ** 9 ** 9 ** 9", "values": {}})
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "overflows" in message and "positive base" not in message


# 4. TeX that typesets ---------------------------------------------------------------------------


def test_a_power_of_an_exponential(client):
    _, nodes = graph(client, "L = exp(x) ** 2 + 1", {"x": 0.5})
    assert nodes["L"]["value"] == pytest.approx(3.718281828, rel=1e-9)
    assert nodes["x"]["grad"] == pytest.approx(5.436563657, rel=1e-9)
    assert nodes["_pow1"]["tex"] == r"\left(e^{x}\right)^{2}"
    view = node(client, "L = exp(x) ** 2 + 1", {"x": 0.5}, "_pow1")
    assert view["local_grads"][0]["rule"].endswith(r"= 2\left(e^{x}\right)")


# 5. Limits count what the student wrote -----------------------------------------------------------


def test_a_flat_chain_is_not_nesting(client):
    program = "L = " + " + ".join(["x"] * 33)
    _, nodes = graph(client, program, {"x": 1})
    assert nodes["L"]["value"] == 33 and nodes["x"]["grad"] == 33


@pytest.mark.parametrize(
    "program",
    [
        "L = " + "(" * 40 + "x" + ")" * 40,
        "L = " + "sigmoid(" * 40 + "x" + ")" * 40,
        "L = " + " + ".join(["x"] * 400),
        "L = " + "-" * 3990 + "x",
        "\n".join(f"a{i} = x * {i}" for i in range(65)) + "\nL = a1",
        "L = x + " + "1 + " * 2000 + "1",
    ],
    ids=["brackets", "calls", "nodes", "unary", "assignments", "length"],
)
def test_every_limit_error_names_a_line_and_column(client, program):
    response = client.post("/api/graph", json={"program": program, "values": {"x": 1}})
    body = response.get_json()
    assert response.status_code == 400, body
    assert isinstance(body.get("line"), int) and isinstance(body.get("column"), int), body


# 6. The gradient check never calls a correct gradient wrong -------------------------------------


@pytest.mark.parametrize("w", [10, 12, 14, 16, 18])
def test_a_saturated_neuron_is_not_a_false_alarm(client, w):
    body, nodes = graph(client, NEURON, {"w": w, "x": 2, "b": 0, "y": 0})
    if w == 10:
        assert nodes["b"]["grad"] == pytest.approx(0.9999999979, rel=1e-9)
    for entry in body["check"]:
        assert entry["verdict"] in ("agrees", "unreliable"), entry
        assert (entry["reason"] is None) == (entry["verdict"] == "agrees")


def test_a_kink_is_named_not_failed(client):
    body, _ = graph(client, "L = relu(x) + 2 * x", {"x": 0})
    entry = check(body)["x"]
    assert entry["verdict"] == "kink" and "relu" in entry["reason"]


# 7. Ties in max ---------------------------------------------------------------------------------


def test_a_tie_in_max_splits_evenly_and_says_so(client):
    body, nodes = graph(client, "L = max(a, b)", {"a": 1, "b": 1})
    assert nodes["a"]["grad"] == 0.5 and nodes["b"]["grad"] == 0.5
    assert {c["verdict"] for c in body["check"]} == {"kink"}
    view = node(client, "L = max(a, b)", {"a": 1, "b": 1}, "L")
    assert [s["value"] for s in view["signals"]] == [0.5, 0.5]
    assert [n["id"] for n in view["notes"]] == ["tie"]


def test_relu_at_zero_sends_nothing_and_says_so(client):
    view = node(client, "L = sum(relu(x))", {"x": [0.0, 1.0]}, "_relu1")
    assert view["signals"][0]["value"] == [0.0, 1.0]
    assert [n["id"] for n in view["notes"]] == ["kink"]


# 8. Broadcasting that grows a result ------------------------------------------------------------


def test_a_bias_of_the_wrong_shape_is_noted(client):
    program = "z = W @ x + b\nL = sum(z)"
    values = {"W": [[1, 2], [3, 4], [5, 6]], "x": [1, 1], "b": [[0], [0], [0]]}
    _, nodes = graph(client, program, values)
    assert nodes["z"]["shape"] == [3, 3]
    assert [n["id"] for n in nodes["z"]["notes"]] == ["broadcast-grows"]
    view = node(client, program, values, "z")
    assert "(3, 3)" in view["notes"][0]["text"] and "(3, 1)" in view["notes"][0]["text"]
    # The right shape: no note.
    _, nodes = graph(client, program, {**values, "b": [0, 0, 0]})
    assert nodes["z"]["notes"] == [] and nodes["z"]["shape"] == [3]


def test_a_label_outside_zero_one_is_noted_at_the_node(client):
    body, nodes = graph(client, NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 3})
    assert [n["id"] for n in nodes["L"]["notes"]] == ["out-of-range"]
    assert [n["id"] for n in nodes["y"]["notes"]] == ["out-of-range"]
    assert nodes["y"]["range"] == {"min": 0, "max": 1, "min_open": False, "max_open": False}
    assert nodes["w"]["range"] is None
