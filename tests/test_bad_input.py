"""Hostile and broken requests against the production server: each gets a clear 4xx JSON error
within a second, and the server keeps serving."""

import json
import time

import pytest
import requests

from tests.servers import gunicorn_in

LESSON = "chain-rule-in-networks"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn_in(tmp_path_factory.mktemp("bad-input")) as gunicorn:
        yield gunicorn.url


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def program(text: str) -> str:
    return json.dumps({"program": text, "values": {"x": 1.0, "y": 2.0}})


GRAPH = "/api/graph"
NODE = "/api/graph/node"
ANSWER = f"/api/lessons/{LESSON}/quiz/neuron-dw/answer"

# (method, path, body as raw text, headers, expected status)
CASES = {
    "malformed JSON": ("POST", GRAPH, '{"preset": "neuron"', JSON, 400),
    "malformed JSON to the quiz": ("POST", ANSWER, "{choice: a}", JSON, 400),
    "a JSON array, not an object": ("POST", GRAPH, "[1, 2]", JSON, 400),
    "program is a number": ("POST", GRAPH, '{"program": 5, "values": {}}', JSON, 400),
    "values is a list": ("POST", GRAPH, '{"program": "L = x*2", "values": [1]}', JSON, 400),
    "node is a number": ("POST", NODE, '{"preset": "neuron", "node": 3}', JSON, 400),
    "choice is a number": ("POST", ANSWER, '{"choice": 5}', JSON, 400),
    "choice is missing": ("POST", ANSWER, "{}", JSON, 400),
    "NaN in JSON": ("POST", GRAPH, '{"preset": "neuron", "values": {"w": NaN}}', JSON, 400),
    "Infinity in JSON": (
        "POST",
        GRAPH,
        '{"preset": "neuron", "values": {"w": Infinity}}',
        JSON,
        400,
    ),
    "a number too big for a float": (
        "POST",
        GRAPH,
        '{"preset": "neuron", "values": {"w": 1e999}}',
        JSON,
        400,
    ),
    "a huge integer": (
        "POST",
        GRAPH,
        '{"preset": "neuron", "values": {"w": 1' + "0" * 400 + "}}",
        JSON,
        400,
    ),
    "a huge value": ("POST", GRAPH, '{"preset": "neuron", "values": {"w": 1e300}}', JSON, 400),
    "deeply nested JSON": ("POST", GRAPH, '{"values": {"x": ' + nested(30_000) + "}}", JSON, 400),
    "deeply nested values": (
        "POST",
        GRAPH,
        '{"program": "L = sum(x)", "values": {"x": ' + nested(40) + "}}",
        JSON,
        400,
    ),
    "deeply nested expression": (
        "POST",
        GRAPH,
        program("L = " + "(" * 5000 + "x" + ")" * 5000),
        JSON,
        400,
    ),
    "a very long program": ("POST", GRAPH, program("L = x" + " + x" * 2000), JSON, 400),
    "too many elements": (
        "POST",
        GRAPH,
        json.dumps({"program": "L = sum(x)", "values": {"x": [0.5] * 5000}}),
        JSON,
        400,
    ),
    "__import__": ("POST", GRAPH, program("L = __import__('os').system('true')"), JSON, 400),
    "attribute access": ("POST", GRAPH, program("L = x.__class__"), JSON, 400),
    "a lambda": ("POST", GRAPH, program("L = (lambda: 1)()"), JSON, 400),
    "a comprehension": ("POST", GRAPH, program("L = sum([x for x in y])"), JSON, 400),
    "an import": ("POST", GRAPH, program("import os\nL = x"), JSON, 400),
    "a subscript": ("POST", GRAPH, program("L = x[0]"), JSON, 400),
    "a builtin outside the grammar": ("POST", GRAPH, program('L = open("/etc/passwd")'), JSON, 400),
    "an exponent bomb": ("POST", GRAPH, program("L = x ** 99999"), JSON, 400),
    "an exponent tower": ("POST", GRAPH, program("L = 9 ** 9 ** 9 * x"), JSON, 400),
    "an unknown preset": ("POST", GRAPH, '{"preset": "nope"}', JSON, 404),
    "an unknown node": ("POST", NODE, '{"preset": "neuron", "node": "nope"}', JSON, 404),
    "an unknown lesson's quiz": ("GET", "/api/lessons/nope/quiz", None, {}, 404),
    "an unknown question": (
        "POST",
        f"/api/lessons/{LESSON}/quiz/nope/answer",
        '{"choice": "a"}',
        JSON,
        404,
    ),
    "an unknown choice": ("POST", ANSWER, '{"choice": "zz"}', JSON, 400),
    "an unknown figure": ("GET", "/api/plots/nope", None, {}, 404),
    "a non-numeric plot value": ("GET", "/api/plots/loss-tangent?w=abc", None, {}, 400),
    "a non-finite plot value": ("GET", "/api/plots/loss-tangent?w=nan", None, {}, 400),
    "an unknown API path": ("GET", "/api/nope", None, {}, 404),
    "DELETE on the graph": ("DELETE", GRAPH, None, {}, 405),
    "PUT on an answer": ("PUT", ANSWER, '{"choice": "a"}', JSON, 405),
    "GET on the node endpoint": ("GET", NODE, None, {}, 405),
    "text/plain body": ("POST", GRAPH, '{"preset": "neuron"}', {"Content-Type": "text/plain"}, 415),
    "a form body": (
        "POST",
        ANSWER,
        "choice=a",
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
    ),
    "no content type": (
        "POST",
        NODE,
        '{"preset": "neuron", "node": "w"}',
        {"Content-Type": ""},
        415,
    ),
    "an oversized body": (
        "POST",
        GRAPH,
        json.dumps({"program": "L = x", "pad": "x" * 70_000}),
        JSON,
        413,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_bad_request_gets_a_clear_json_error_fast(server, name):
    method, path, body, headers, status = CASES[name]
    started = time.monotonic()
    response = requests.request(
        method, server + path, data=body.encode() if body else None, headers=headers, timeout=5
    )
    elapsed = time.monotonic() - started
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    assert isinstance(payload["error"], str) and payload["error"]
    assert isinstance(payload["message"], str) and len(payload["message"]) > 10
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    # The server keeps serving: a good request right after still works.
    good = requests.post(server + NODE, json={"preset": "neuron", "node": "w"}, timeout=5)
    assert good.status_code == 200
    assert good.json()["node"] == "w"


def test_oversized_body_message_names_the_limit(server):
    body = json.dumps({"program": "L = x", "pad": "x" * 70_000})
    response = requests.post(server + GRAPH, data=body, headers=JSON, timeout=5)
    assert response.status_code == 413
    assert "64 KB" in response.json()["message"]
