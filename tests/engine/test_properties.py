"""Property tests on generated programs and values: every grad is the loss's slope at that node."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lessonengine.engine.gradcheck import gradient_check
from lessonengine.engine.views import node_view
from lessonengine.errors import GraphError
from lessonengine.graph import Graph, parse

N = 3  # the length of every vector

# Each step applies one template to earlier names. Templates keep values in a safe domain (log
# of something positive, division by something away from zero) so that finite differences apply.
UNARY = [
    "tanh({a})",
    "sigmoid({a})",
    "exp(tanh({a}))",
    "log(1 + sigmoid({a}))",
    "({a}) ** 2",
    "({a}) ** 3 * 0.1",
    "-{a}",
    "relu({a})",
    "2.5 * {a} - 1",
]
BINARY = [
    "{a} + {b}",
    "{a} - {b}",
    "{a} * {b}",
    "{a} / (1 + {b} ** 2)",
    "max({a}, {b})",
    "{a} * mean({b})",
]
KINKED = ("relu", "max")
numbers = st.floats(min_value=-2, max_value=2, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def programs(draw):
    """A random program over scalars and vectors (broadcasting), with a matrix product maybe."""
    names = {}  # name -> is it a vector?
    values = {}
    for name in draw(st.lists(st.sampled_from("pqrs"), min_size=1, max_size=3, unique=True)):
        vector = draw(st.booleans())
        names[name] = vector
        values[name] = draw(st.lists(numbers, min_size=N, max_size=N)) if vector else draw(numbers)
    lines = []
    if any(names.values()) and draw(st.booleans()):
        row = st.lists(numbers, min_size=N, max_size=N)
        values["W"] = draw(st.lists(row, min_size=N, max_size=N))
        source = draw(st.sampled_from([n for n, v in names.items() if v]))
        lines.append(f"m = W @ {source}")
        names["m"] = True
    for k in range(draw(st.integers(1, 5))):
        pool = sorted(names)
        if len(pool) > 1 and draw(st.booleans()):
            a, b = draw(st.permutations(pool))[:2]
            expr = draw(st.sampled_from(BINARY)).format(a=a, b=b)
            vector = names[a] or names[b] if "mean" not in expr else names[a]
        else:
            a = draw(st.sampled_from(pool))
            expr = draw(st.sampled_from(UNARY)).format(a=a)
            vector = names[a]
        lines.append(f"t{k} = {expr}")
        names[f"t{k}"] = vector
    last = lines[-1].split(" = ")[0]
    reducer = draw(st.sampled_from(["sum", "mean"]))
    lines.append(f"L = {reducer}({last}) + mean({draw(st.sampled_from(sorted(names)))})")
    text = "\n".join(lines)
    used = parse(text).input_names  # an input no line ended up using is not an input
    return text, {name: values[name] for name in used}


def away_from_kinks(g):
    """True when no relu or max sits within reach of the finite-difference step of a kink."""
    for node in g.nodes:
        if node.op not in KINKED:
            continue
        args = [np.asarray(g.values[p]) for p in node.parents]
        gap = np.abs(args[0]) if node.op == "relu" else np.abs(args[0] - args[1])
        if np.min(gap) < 1e-3:
            return False
    return True


def slope(g, node, k, h):
    """Central difference of the loss with respect to element k of the node's value."""
    value = np.asarray(g.values[node.index], dtype=float)
    step = np.zeros(value.size)
    step[k] = h
    plus = (value.ravel() + step).reshape(value.shape)
    minus = (value.ravel() - step).reshape(value.shape)
    if not value.shape:
        plus, minus = float(plus), float(minus)
    downstream = g.downstream({node.index})
    up = g.rerun(downstream, {node.index: plus})[0]
    down = g.rerun(downstream, {node.index: minus})[0]
    return (up - down) / (2 * h)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(programs())
def test_every_grad_matches_finite_differences(case):
    program, values = case
    g = Graph(program, values)
    assume(away_from_kinks(g))
    scale = max(1.0, abs(float(g.values[g.program.output])))
    for node in g.nodes:
        if node.op == "const":
            assert g.grads[node.index] is None
            continue
        grad = np.asarray(g.grads[node.index], dtype=float).ravel()
        value = np.asarray(g.values[node.index], dtype=float).ravel()
        for k in range(value.size):
            h = 1e-6 * max(1.0, abs(value[k]))
            numeric = slope(g, node, k, h)
            assert abs(numeric - grad[k]) <= 1e-5 * max(scale, abs(grad[k])), (
                f"{program}\nnode {node.id}[{k}]: analytic {grad[k]}, numeric {numeric}"
            )


@settings(max_examples=80, deadline=None)
@given(programs())
def test_signals_arriving_at_a_node_add_up_to_its_grad(case):
    program, values = case
    g = Graph(program, values)
    for node in g.nodes:
        view = node_view(g, node.id)
        if node.op == "const":
            assert view["grad"] is None and view["incoming"] == []
            continue
        if node.id == g.output:
            assert view["grad"] == 1.0 and view["incoming"] == []
            continue
        total = sum(np.asarray(i["value"], dtype=float) for i in view["incoming"])
        np.testing.assert_allclose(total, view["grad"], rtol=1e-12, atol=1e-15, err_msg=program)
        # And each signal a node sends is shaped like the parent it goes to.
        for signal, parent in zip(view["signals"], view["parents"], strict=True):
            if signal["value"] is not None:
                assert np.shape(signal["value"]) == np.shape(g.value(parent))


@settings(max_examples=40, deadline=None)
@given(programs())
def test_gradient_check_agrees(case):
    program, values = case
    g = Graph(program, values)
    assume(away_from_kinks(g))
    for check in gradient_check(g):
        assert check["checked"] == check["elements"]
        assert check["verdict"] == "agrees", (program, check)
        assert check["rel_error"] < 1e-4, (program, check)


TOKENS = [*"xyW_ =+-*/@().,;\n0123", "**", "e9", "L = "]
TOKENS += [" sigmoid(", " relu(", " max(", " sum(", " log(", " bce(", " mean("]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)),
    st.fixed_dictionaries(
        {},
        optional={
            "x": st.one_of(numbers, st.lists(numbers, min_size=1, max_size=3)),
            "y": st.one_of(numbers, st.booleans(), st.text(max_size=2), st.none()),
            "W": st.lists(st.lists(numbers, min_size=1, max_size=3), min_size=1, max_size=3),
        },
    ),
)
def test_any_text_is_a_graph_or_a_graph_error(program, values):
    """Whatever the text and the values, the engine answers with a graph or a GraphError."""
    try:
        g = Graph(program, values)
    except GraphError as exc:
        assert exc.message
        return
    g.json_text()
    for node in g.nodes:
        g.json_text(node.id)
