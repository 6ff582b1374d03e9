"""The gradient check: no false alarm near domain edges, under cancellation or at kinks, and a
deliberately wrong local-gradient rule is caught."""

import dataclasses

import numpy as np
import pytest

from lessonengine.engine import ops
from lessonengine.engine.gradcheck import gradient_check
from lessonengine.graph import Graph

NEURON = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"


def verdicts(program, values):
    return {c["input"]: c for c in gradient_check(Graph(program, values))}


@pytest.mark.parametrize(
    ("program", "values"),
    [
        (NEURON, {"w": 10.0, "x": 2.0, "b": 0.0, "y": 0.0}),  # z = 20: a rounds near 1
        (NEURON, {"w": 15.0, "x": 2.0, "b": 0.0, "y": 0.0}),  # z = 30
        (NEURON, {"w": 18.0, "x": 2.0, "b": 0.0, "y": 1.0}),  # z = 36, right answer
        (NEURON, {"w": -15.0, "x": 2.0, "b": 0.0, "y": 1.0}),  # z = -30, confident and wrong
        ("L = log(x)", {"x": 1e-12}),  # near the edge of log's domain
        ("L = log(x) * 1e6", {"x": 1e-300}),
        ("L = (x - 999999) * (x - 999999)", {"x": 999999.001}),  # cancellation
        ("r = x ** 0.5\nL = r * 2", {"x": 1e-200}),
        ("L = bce(p, t)", {"p": 1e-10, "t": 0.0}),
        ("L = x / y", {"x": 1e-100, "y": 1e-170}),
        ("L = sum(tanh(x) * 3)", {"x": [20.0, -19.0, 0.5]}),
        ("L = relu(x - 1e-9) + x", {"x": 0.0}),  # a kink just beside the point
    ],
)
def test_no_false_alarm(program, values):
    checks = verdicts(program, values)
    for entry in checks.values():
        assert entry["verdict"] in ("agrees", "unreliable", "kink"), entry
        assert entry["verdict"] != "disagrees"


@pytest.mark.parametrize(
    ("program", "values", "kinked"),
    [
        ("L = relu(x) + 2 * x", {"x": 0.0}, {"x"}),
        ("L = max(a, b) * 3", {"a": 1.0, "b": 1.0}, {"a", "b"}),
        ("L = sum(relu(W @ v))", {"W": [[1.0, -1.0]], "v": [2.0, 2.0]}, {"W", "v"}),
    ],
)
def test_kinks_are_named(program, values, kinked):
    checks = verdicts(program, values)
    assert {name for name, c in checks.items() if c["verdict"] == "kink"} == kinked
    for name in kinked:
        assert "no derivative" in checks[name]["reason"]


def test_unreliable_says_why():
    # bce of a sigmoid that rounds to within a few ulps of 1: the loss barely moves.
    checks = verdicts(NEURON, {"w": 16.0, "x": 2.0, "b": 0.0, "y": 0.0})
    for entry in checks.values():
        if entry["verdict"] == "unreliable":
            assert "rounding" in entry["reason"] or "domain" in entry["reason"]
        else:
            assert entry["reason"] is None


@pytest.mark.parametrize(
    ("op", "wrong"),
    [
        ("sigmoid", lambda out, a: out),  # forgot the (1 - sigma)
        ("mul", lambda out, a, b: a),  # the input's own value: swapped inputs
        ("tanh", lambda out, a: 1.0 + out * out),  # a sign
    ],
)
def test_a_broken_row_is_caught(monkeypatch, op, wrong):
    row = ops.OPS[op]
    broken = dataclasses.replace(row, local_grads=(wrong, *row.local_grads[1:]))
    monkeypatch.setitem(ops.OPS, op, broken)
    program = {
        "sigmoid": NEURON,
        "mul": NEURON,
        "tanh": "L = sum(tanh(w * x) * 2)",
    }[op]
    values = {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0}
    if op == "tanh":
        values = {"w": 0.8, "x": np.array([1.5, -0.3])}
    checks = verdicts(program, values)
    assert "disagrees" in {c["verdict"] for c in checks.values()}
    failed = next(c for c in checks.values() if c["verdict"] == "disagrees")
    assert "wrong" in failed["reason"]


def test_the_check_of_the_unbroken_table_agrees_on_every_preset_input():
    checks = verdicts(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    assert {c["verdict"] for c in checks.values()} == {"agrees"}
    assert all(c["reason"] is None and c["rel_error"] < 1e-6 for c in checks.values())
