"""The op table's words (issue 17, items 8 to 10): each rule and role says what the engine
computes, for every orientation of a matrix product, checked on a small example."""

import re

import numpy as np
import pytest

from lessonengine.engine.ops import OPS
from lessonengine.engine.views import node_view
from lessonengine.graph import Graph

A23 = [[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]]
B32 = [[2.0, 1.0], [-1.0, 0.5], [0.0, 4.0]]
V2 = [1.5, -0.5]
V3 = [0.5, 2.0, -1.0]

# (A, B, the signal to A from upstream g as the rule writes it, the same for B, words of the rule
# for A, for B, and of the role)
ORIENTATIONS = {
    "matrix @ vector": (
        A23,
        V3,
        lambda g, A, B: np.outer(g, B),
        lambda g, A, B: A.T @ g,
        (r"{z}_{i}}{\partial {A}_{ij}} = {B}_{j}", r"\frac{\partial L}{\partial z}\, B^{\top}"),
        (r"\frac{\partial L}{\partial B} = A^{\top} \frac{\partial L}{\partial z}",),
        ("matrix-vector", "transposed matrix", "outer product"),
    ),
    "matrix @ matrix": (
        A23,
        B32,
        lambda g, A, B: g @ B.T,
        lambda g, A, B: A.T @ g,
        (r"{z}_{ik}}{\partial {A}_{ij}} = {B}_{jk}", r"\frac{\partial L}{\partial z}\, B^{\top}"),
        (r"{z}_{ik}}{\partial {B}_{jk}} = {A}_{ij}", r"A^{\top} \frac{\partial L}{\partial z}"),
        ("left matrix", "transposed right matrix", "transposed left matrix"),
    ),
    "vector @ matrix": (
        V3,
        B32,
        lambda g, A, B: B @ g,
        lambda g, A, B: np.outer(A, g),
        (r"= B^{\top}", r"\frac{\partial L}{\partial A} = B\, \frac{\partial L}{\partial z}"),
        (
            r"{z}_{k}}{\partial {B}_{jk}} = {A}_{j}",
            r"A \left(\frac{\partial L}{\partial z}\right)^{\top}",
        ),
        ("vector-matrix", "matrix times the upstream", "outer product"),
    ),
    "vector @ vector": (
        V3,
        V3[::-1],
        lambda g, A, B: g * np.asarray(B),
        lambda g, A, B: g * np.asarray(A),
        (r"\frac{\partial z}{\partial A} = B",),
        (r"\frac{\partial z}{\partial B} = A",),
        ("dot product", "other vector"),
    ),
}


@pytest.mark.parametrize("orientation", list(ORIENTATIONS))
def test_matmul_rule_role_and_signals_agree_for_every_orientation(orientation):
    A, B, to_a, to_b, rule_a, rule_b, role_words = ORIENTATIONS[orientation]
    c = 1.7
    g = Graph("z = A @ B\nL = sum(z * c)", {"A": A, "B": B, "c": c})
    view = node_view(g, "z")
    upstream = np.asarray(g.grad("z"))
    A_, B_ = np.asarray(A), np.asarray(B)
    np.testing.assert_allclose(view["signals"][0]["value"], to_a(upstream, A_, B_), rtol=1e-12)
    np.testing.assert_allclose(view["signals"][1]["value"], to_b(upstream, A_, B_), rtol=1e-12)
    for words, entry in ((rule_a, view["local_grads"][0]), (rule_b, view["local_grads"][1])):
        for fragment in words:
            assert fragment in entry["rule"], (orientation, fragment, entry["rule"])
        if entry["value"] is not None:  # a 2-D Jacobian: the rule's matrix is the value
            assert np.shape(entry["value"]) == tuple(entry["shape"])
    for word in role_words:
        assert word in view["role"], (orientation, word, view["role"])


def test_cross_entropy_role_has_the_mean_in_the_lessons_names():
    """The lesson calls the prediction a and the label y: the panel's role text does too."""
    role = OPS["bce"].role
    assert "(a − y)/(a(1 − a))" in role and "leaves a − y" in role
    assert "divided by the number of predictions" in role, "the mean over several"
    assert not re.search(r"\b[ptN]\b", role), "no p, t or N: the lesson never names them"


@pytest.mark.parametrize(
    ("exponent", "rule_end"),
    [
        ("2", "= 2x"),
        ("1", "= 1"),
        ("0", "= 0"),
        ("3", r"= 3\,x^{2}"),
        ("-1", r"= -1\,x^{-2}"),
        ("0.5", r"= 0.5\,x^{-0.5}"),
        ("y", r"= y\,x^{y - 1}"),
    ],
)
def test_the_power_rule_is_written_as_a_student_would(exponent, rule_end):
    g = Graph(f"L = x ** {exponent}", {"x": 2.0, **({"y": 3.0} if exponent == "y" else {})})
    assert node_view(g, "L")["local_grads"][0]["rule"].endswith(rule_end)
