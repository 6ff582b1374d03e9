"""The graph endpoints: presets, a whole graph, one node, and every class of error."""

import gzip
import json
import time

import numpy as np
import pytest

from lessonengine.engine.presets import PRESETS
from webapp.api.openapi import build_document

NEURON = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"
NEURON_VALUES = {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0}


def post(client, path, body, **kwargs):
    return client.post(path, json=body, **kwargs)


# --- GET /api/presets ----------------------------------------------------------------------------


def test_presets(client):
    response = client.get("/api/presets")
    assert response.status_code == 200 and response.mimetype == "application/json"
    presets = response.get_json()["presets"]
    assert [p["id"] for p in presets] == list(PRESETS)
    neuron = presets[0]
    assert neuron["program"] == NEURON and neuron["values"] == NEURON_VALUES
    assert set(neuron) == {"id", "title", "description", "program", "values", "parameters"}
    assert neuron["parameters"] == ["w", "b"]  # what a training step moves; x and y are data


# --- POST /api/graph -----------------------------------------------------------------------------


def test_graph_of_a_preset(client):
    response = post(client, "/api/graph", {"preset": "neuron"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["output"] == "L"
    nodes = {n["id"]: n for n in body["nodes"]}
    assert [n["id"] for n in body["nodes"]] == ["w", "x", "_mul1", "b", "z", "a", "y", "L"]
    for node in body["nodes"]:
        assert {"id", "op", "label", "parents", "value", "grad", "shape"} <= set(node)
    assert nodes["_mul1"]["label"] == "×" and nodes["_mul1"]["parents"] == ["w", "x"]
    a = nodes["a"]["value"]
    assert nodes["w"]["grad"] == pytest.approx((a - 1.0) * 1.5)
    assert nodes["L"]["grad"] == 1.0 and nodes["L"]["shape"] == []
    assert {c["input"] for c in body["check"]} == {"w", "x", "b", "y"}
    assert all(c["rel_error"] < 1e-6 for c in body["check"])


def test_graph_of_a_program_with_vectors(client):
    program = "h = relu(W @ x + c)\nL = mean(h)"
    values = {"W": [[1.0, -1.0], [0.5, 2.0]], "x": [1.0, 2.0], "c": [0.0, 0.5]}
    body = post(client, "/api/graph", {"program": program, "values": values}).get_json()
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["W"]["shape"] == [2, 2] and nodes["h"]["value"] == [0.0, 5.0]
    assert nodes["_matmul1"]["op"] == "matmul" and nodes["_matmul1"]["label"] == "@"
    check = {c["input"]: c for c in body["check"]}
    assert np.shape(check["W"]["numeric"]) == (2, 2)


def test_constants_have_null_grad(client):
    body = post(client, "/api/graph", {"preset": "chain"}).get_json()
    consts = [n for n in body["nodes"] if n["op"] == "const"]
    assert [c["label"] for c in consts] == ["2", "1", "3"]
    assert all(c["grad"] is None for c in consts)


def test_preset_values_override_defaults(client):
    body = post(client, "/api/graph", {"preset": "neuron", "values": {"w": -1.0}}).get_json()
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["w"]["value"] == -1.0 and nodes["x"]["value"] == 1.5


# --- POST /api/graph/node ------------------------------------------------------------------------


def test_node_of_the_neuron(client):
    response = post(client, "/api/graph/node", {"preset": "neuron", "node": "_mul1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["node"] == "_mul1" and body["op"] == "mul" and body["label"] == "×"
    assert body["parents"] == ["w", "x"] and body["children"] == ["z"]
    assert [lg["parent"] for lg in body["local_grads"]] == ["w", "x"]
    assert body["local_grads"][0]["value"] == 1.5  # d(wx)/dw = x
    assert body["local_grads"][0]["rule"].endswith("= x")
    signal_w = body["signals"][0]["value"]
    assert signal_w == pytest.approx(body["grad"] * 1.5)
    assert body["incoming"] == [{"child": "z", "value": body["grad"]}]
    assert "other input" in body["role"]


def test_input_node_has_empty_lists(client):
    body = post(client, "/api/graph/node", {"preset": "neuron", "node": "w"}).get_json()
    assert body["op"] == "input" and body["local_grads"] == [] and body["signals"] == []
    assert body["role"]


def test_two_layer_hidden_signal_is_the_transpose(client):
    body = post(client, "/api/graph/node", {"preset": "two-layer", "node": "_matmul2"}).get_json()
    w2 = np.array(PRESETS["two-layer"].values["W2"])
    to_a1 = next(s["value"] for s in body["signals"] if s["parent"] == "a1")
    np.testing.assert_allclose(to_a1, w2.T @ np.array(body["grad"]))
    assert body["local_grads"][0]["value"] is None  # d z / d W2: a 3-D Jacobian
    assert body["local_grads"][1]["value"] == w2.tolist()


def test_node_of_a_program(client):
    body = {"program": NEURON, "values": NEURON_VALUES, "node": "a"}
    response = post(client, "/api/graph/node", body)
    assert response.status_code == 200
    assert response.get_json()["local_grads"][0]["rule"] == (
        r"\frac{\partial a}{\partial z} = a(1 - a)"
    )


# --- Errors --------------------------------------------------------------------------------------


def assert_error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "message"} and body["message"]
    return body


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "send a preset"),
        ({"values": {}}, "send a preset"),
        ({"preset": "neuron", "program": "L = x"}, "not both"),
        ({"preset": 3}, "preset must be a string"),
        ({"program": ["L = x"]}, "program must be a string"),
        ({"program": "L = x * 2", "values": [1]}, "values must be an object"),
        ({"preset": "neuron", "extra": 1}, "unknown field"),
        ({"preset": "neuron", "node": "w"}, "unknown field"),
        ({"program": "L = x * 2", "values": {"x": "1"}}, "must be a number"),
        ({"program": "L = x * 2", "values": {"x": True}}, "must be a number"),
        ({"program": "L = x * 2", "values": {}}, "no value given for the input x"),
        ({"program": "L = x * 2", "values": {"x": 1, "q": 2}}, "not inputs"),
        ({"program": "L = x * 2"}, "no value given"),
        ({"program": "L = log(x)", "values": {"x": -1}}, "log needs"),
        ({"program": "z = 2 * x", "values": {"x": [1, 2]}}, "reduce it with sum"),
        ({"program": "x" * 4001, "values": {}}, "longer than"),
        ({"preset": "neuron", "values": {"w": 1e300}}, "limited"),
    ],
)
def test_bad_requests_are_400(client, body, fragment):
    message = assert_error(post(client, "/api/graph", body), 400)["message"]
    assert fragment in message


def test_program_errors_carry_line_and_column(client):
    response = post(client, "/api/graph", {"program": "z = w*x\nL = sum(z.T)", "values": {}})
    body = assert_error(response, 400)
    assert body["error"] == "Bad Request"
    assert (body["line"], body["column"]) == (2, 9)
    response = post(client, "/api/graph", {"program": "z = w*x +", "values": {}})
    assert assert_error(response, 400)["line"] == 1


def test_evaluation_errors_name_the_node(client):
    response = post(
        client, "/api/graph", {"program": "u = x / y\nL = u", "values": {"x": 1, "y": 0}}
    )
    body = assert_error(response, 400)
    assert body["node"] == "u" and body["line"] == 1 and "u" in body["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/graph", {"preset": "nope"}),
        ("/api/graph/node", {"preset": "nope", "node": "w"}),
        ("/api/graph/node", {"preset": "neuron", "node": "nope"}),
        ("/api/graph/node", {"program": NEURON, "values": NEURON_VALUES, "node": "q"}),
    ],
)
def test_unknown_preset_or_node_is_404(client, path, body):
    body = assert_error(post(client, path, body), 404)
    assert body["error"] == "Not Found"


@pytest.mark.parametrize("body", [{"preset": "neuron"}, {"preset": "neuron", "node": 3}])
def test_node_must_be_a_string(client, body):
    assert "node" in assert_error(post(client, "/api/graph/node", body), 400)["message"]


@pytest.mark.parametrize("path", ["/api/graph", "/api/graph/node"])
def test_body_errors(client, path):
    assert_error(client.post(path, data="preset=neuron", content_type="text/plain"), 415)
    assert_error(client.post(path, data="{", content_type="application/json"), 400)
    assert_error(client.post(path, data="[1]", content_type="application/json"), 400)
    assert_error(client.post(path, data="{}", content_type="application/json"), 400)
    nan_body = '{"program": "L = x*2", "values": {"x": NaN}, "node": "x"}'
    assert_error(client.post(path, data=nan_body, content_type="application/json"), 400)
    big = json.dumps({"program": "L = x * 2", "values": {"x": [1.0] * 20000}})
    assert_error(client.post(path, data=big, content_type="application/json"), 413)


@pytest.mark.parametrize(
    "program",
    [
        "L = " + "(" * 100_00 + "x" + ")" * 100_00,
        "L = " + "-" * 3990 + "x",
        "L = " + "+".join(["x"] * 1500),
        "L = x ** 1e9",
        "L = 2 ** 1000000",
        "L = (x @ y).sum()",
        "L = __import__('os').system('true')",
        "L = x.__class__.__mro__",
        "L = [c for c in ().__class__.__bases__]",
        "L = exp(exp(exp(exp(x))))",
        "\n".join(f"a{i} = x * {i}" for i in range(65)),
        "L = sum(u @ v)",
        "L = sum(u + v)",
    ],
)
def test_hostile_programs_are_answered_quickly_without_server_error(client, program):
    values = {"x": 3.0}
    if "u" in program:
        values = {"u": [[1.0]] * 4096, "v": [[1.0] * 4096]}
    started = time.perf_counter()
    response = post(client, "/api/graph", {"program": program, "values": values})
    assert time.perf_counter() - started < 2.0
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_non_object_values_inside_lists_are_400(client):
    for value in [[{"a": 1}], [[1, 2], [3, "4"]], [[[1.0]]], [None], [], {"x": 1}]:
        response = post(client, "/api/graph", {"program": "L = sum(x)", "values": {"x": value}})
        assert_error(response, 400)


def test_compressed_answers_belong_to_their_request(client):
    """A browser asks for gzip; each answer must still be its own request's."""
    headers = {"Accept-Encoding": "gzip"}
    for preset in ("neuron", "chain", "two-layer"):
        response = post(client, "/api/graph", {"preset": preset}, headers=headers)
        data = response.get_data()
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        body = json.loads(data)
        assert len(body["nodes"]) == len(
            post(client, "/api/graph", {"preset": preset}).get_json()["nodes"]
        ), preset


# --- The OpenAPI document ------------------------------------------------------------------------


def test_openapi_document_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert document == json.loads(json.dumps(build_document()))
    for path in ("/api/presets", "/api/graph", "/api/graph/node"):
        assert path in document["paths"]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message"]


def api_routes(app):
    """(OpenAPI path, method) of every /api route of the app, and of /healthz."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api", "/healthz")):
            continue
        parts = rule.rule.replace("<", "{").replace(">", "}").split("/")
        path = "/".join("{" + p[1:].split(":")[-1] if p.startswith("{") else p for p in parts)
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_document_is_true(app):
    """Kept true: every documented operation exists, and every graph route is documented."""
    documented = {
        (path, method) for path, item in build_document()["paths"].items() for method in item
    }
    routes = api_routes(app)
    assert documented <= routes
    graph_routes = {(p, m) for p, m in routes if p.startswith(("/api/graph", "/api/presets"))}
    assert graph_routes == {
        ("/api/presets", "get"),
        ("/api/graph", "post"),
        ("/api/graph/node", "post"),
        ("/api/graph/answer", "post"),
        ("/api/graph/progress", "post"),
    }
    assert graph_routes <= documented
