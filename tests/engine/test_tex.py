"""Every TeX string the engine makes typesets with the project's KaTeX and reads as the math.

Generated programs nest every op of the table inside every other (powers, exponentials, sums,
fractions, unary minus, products, matrix products), with names, numbers and negative numbers:
each node's `tex` and each local gradient's `rule` must render without a KaTeX error, and a
power of a compound expression must be bracketed.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessonengine.content.texmath import TexError, render_tex
from lessonengine.engine.tex import node_tex
from lessonengine.engine.views import node_view
from lessonengine.errors import GraphError
from lessonengine.graph import Graph, parse

LEAVES = st.sampled_from(["x", "y", "W1", "alpha", "loss", "2", "0.5", "-3", "1e-7", "(-x)"])
UNARY = [
    "-{}",
    "sigmoid({})",
    "relu({})",
    "tanh({})",
    "exp({})",
    "log({})",
    "sum({})",
    "mean({})",
    "({}) ** 2",
    "({}) ** 0.5",
    "({}) ** 1",
    "({}) ** 0",
    "({}) ** y",
]
BINARY = [
    "{} + {}",
    "{} - {}",
    "{} * {}",
    "{} / {}",
    "{} ** {}",
    "max({}, {})",
    "bce({}, {})",
    "mse({}, {})",
    "({}) - ({})",
    "({}) * ({})",
    "({}) ** ({})",
]


def _expressions():
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0].format(t[1])),
            st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: t[0].format(t[1], t[2])),
        ),
        max_leaves=6,
    )


@st.composite
def programs(draw):
    first = draw(_expressions())
    second = draw(_expressions()).replace("x", "u")
    return f"u = {first}\nL = sum({second}) + u"


def _typesets(tex, where):
    try:
        render_tex(tex)
    except TexError as exc:
        pytest.fail(f"{where}: KaTeX refuses {tex!r}: {exc}")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_every_tex_and_rule_typesets(program):
    try:
        parsed = parse(program)
    except GraphError:
        return
    for node in parsed.nodes:
        _typesets(node_tex(parsed, node.index), f"{program!r} node {node.id}")
    values = dict.fromkeys(parsed.input_names, 0.7)
    try:
        g = Graph(parsed, values)
    except GraphError:
        return
    for node in parsed.nodes:
        for entry in node_view(g, node.id)["local_grads"]:
            _typesets(entry["rule"], f"{program!r} rule of {node.id} for {entry['parent']}")


@pytest.mark.parametrize(
    ("expression", "tex"),
    [
        ("exp(x) ** 2", r"\left(e^{x}\right)^{2}"),
        ("(x + y) ** 2", r"\left(x + y\right)^{2}"),
        ("(x / y) ** 2", r"\left(\frac{x}{y}\right)^{2}"),
        ("(-x) ** 2", r"\left(-x\right)^{2}"),
        ("(x ** 2) ** 3", r"\left(x^{2}\right)^{3}"),
        ("-3 ** x", r"-3^{x}"),
        ("(-3) ** x", r"\left(-3\right)^{x}"),
        ("x - (y - x)", r"x - \left(y - x\right)"),
        ("x + -y", r"x + \left(-y\right)"),
        ("- -x", r"-\left(-x\right)"),
        ("sum(x + y)", r"\sum \left(x + y\right)"),
        ("x * (y + 1)", r"x\,\left(y + 1\right)"),
        ("x * 2", r"x \cdot 2"),
        ("x * -(#\\text{\n1)", r"x\,\left(-1\right)"),
    ],
)
def test_compound_operands_are_bracketed(expression, tex):
    parsed = parse(f"L = sigmoid({expression})")
    node = parsed.nodes[parsed.node("L").parents[0]]
    assert node_tex(parsed, node.index) == tex
    _typesets(tex, expression)


def test_a_comment_never_reaches_a_label():
    g = Graph("L = x * -(#\\text{\n1)", {"x": 2.0})
    labels = [node.label for node in g.nodes]
    assert all("#" not in label and "text" not in label for label in labels)
    for node in g.nodes:
        for entry in node_view(g, node.id)["local_grads"]:
            assert "#" not in entry["rule"]
    assert np.isclose(g.grad("x"), -1.0)
