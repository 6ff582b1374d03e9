"""The parser, the forward and backward passes, the limits and the errors of the engine."""

import math
import time

import numpy as np
import pytest

from lessonengine.engine import cache as engine_cache
from lessonengine.engine.gradcheck import gradient_check
from lessonengine.engine.graph import broadcast_shape
from lessonengine.engine.program import topological_order
from lessonengine.engine.views import graph_view, node_view, rule
from lessonengine.errors import (
    EvaluationError,
    GraphError,
    InputError,
    LimitError,
    NotFoundError,
    ProgramError,
)
from lessonengine.graph import Graph, compute, parse

NEURON = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"


def ids(program):
    return [node.id for node in parse(program).nodes]


# --- Parsing -------------------------------------------------------------------------------------


def test_neuron_ids_labels_and_order():
    program = parse(NEURON)
    assert ids(NEURON) == ["w", "x", "_mul1", "b", "z", "a", "y", "L"]
    assert program.nodes[program.output].id == "L"
    assert program.input_names == ("w", "x", "b", "y")
    labels = {node.id: (node.op, node.label) for node in program.nodes}
    assert labels["_mul1"] == ("mul", "×")
    assert labels["z"] == ("add", "z")
    assert labels["w"] == ("input", "w")
    # Parents always come before their children.
    seen = set()
    for node in program.nodes:
        assert all(program.nodes[p].id in seen for p in node.parents)
        seen.add(node.id)


def test_semicolons_and_columns():
    program = parse("u = 2*x + 1; L = u ** 3")
    assert ids("u = 2*x + 1; L = u ** 3") == [
        "_const1",
        "x",
        "_mul1",
        "_const2",
        "u",
        "_const3",
        "L",
    ]
    consts = [node for node in program.nodes if node.op == "const"]
    assert [c.label for c in consts] == ["2", "1", "3"]
    assert program.node("L").line == 1
    assert program.node("L").column == 18  # after "u = 2*x + 1; L = "


def test_generated_ids_count_per_op_in_program_order():
    program = "a = x*y + x*z\nb = sigmoid(a) * sigmoid(-a)\nL = sum(b)"
    assert [i for i in ids(program) if i.startswith("_")] == [
        "_mul1",
        "_mul2",
        "_sigmoid1",
        "_neg1",
        "_sigmoid2",
    ]


def test_negative_number_is_one_constant():
    program = parse("L = x * -3")
    const = program.node("_const1")
    assert const.label == "-3" and const.const == -3.0


def test_copy_and_named_constant():
    g = Graph("c = 3\ny = x\nL = c * y", {"x": 2.0})
    assert g.node("c").op == "const" and g.grad("c") is None
    assert g.node("y").op == "identity"
    assert g.grad("x") == 3.0


@pytest.mark.parametrize(
    ("program", "fragment"),
    [
        ("z = w.x", "attribute access"),
        ("z = x[0]", "subscripts"),
        ("z = (lambda q: q)(x)", "only the functions"),
        ("f = lambda q: q", "lambda"),
        ("z = [q for q in x]", "comprehensions"),
        ("import os", "imports"),
        ("from os import path", "imports"),
        ("z = __import__('os')", "unknown function"),
        ("z = _x + 1", "reserved"),
        ("_z = x + 1", "reserved"),
        ("z = x.__class__", "attribute access"),
        ("z = open('f')", "unknown function"),
        ("z = eval('1')", "unknown function"),
        ("z = 'a'", "only numbers"),
        ("z = True * x", "only numbers"),
        ("z = x if x else 1", "if-expressions"),
        ("z = x < 1", "comparisons"),
        ("z = x // 2", "operator //"),
        ("z = x % 2", "operator %"),
        ("z = ~x", "operator ~"),
        ("z = (x, 1)", "tuples"),
        ("z = [1, 2]", "lists"),
        ("z = {1: 2}", "dictionaries"),
        ("z = (q := x)", ":="),
        ("x + 1", "assignment"),
        ("z += 1", "augmented"),
        ("a = b = x", "one name"),
        ("a, b = x", "one name"),
        ("z = x * 1e7", "numbers are limited"),
        ("z = sigmoid(x, y)", "takes 1 argument"),
        ("z = max(x)", "takes 2 arguments"),
        ("z = sum(x, axis=0)", "keyword"),
        ("z = sum\nL = z", "is a function"),
        ("sum = x * 2", "is a function"),
        ("z = x * 2\nz = z + 1", "already assigned"),
        ("z = x * 2\nx = 3", "before it is assigned"),
        ("L = 3", "is a number"),
        ("", "empty"),
        ("# just a comment", "empty"),
        ("z = w*x +", "syntax error"),
        ("z = x\x00", "null bytes"),
        ("z = é * 2", "not a valid name"),
        ("z = " + "a" * 40 + " * 2", "not a valid name"),
    ],
)
def test_programs_outside_the_grammar_are_refused(program, fragment):
    with pytest.raises(ProgramError if "limited" not in fragment else LimitError) as info:
        parse(program)
    assert fragment in info.value.message


def test_errors_say_where():
    with pytest.raises(ProgramError) as info:
        parse("z = w*x\nL = sum(z.T)")
    assert (info.value.line, info.value.column) == (2, 9)
    with pytest.raises(ProgramError) as info:
        parse("z = w*x\nL = sum(z +* 2)")
    assert info.value.line == 2 and info.value.column is not None


@pytest.mark.parametrize(
    "program",
    [
        "L = " + "(" * 5000 + "x" + ")" * 5000,
        "L = " + "-" * 3990 + "x",
        "L = " + "+".join(["x"] * 1000),
        "L = " + "sigmoid(" * 40 + "x" + ")" * 40,
        "\n".join(f"a{i} = x * {i}" for i in range(65)) + "\nL = a1",
        "x" * 4001,
    ],
    ids=["parentheses", "unary", "long-sum", "calls", "assignments", "length"],
)
def test_limits_on_the_program(program):
    started = time.perf_counter()
    with pytest.raises(LimitError):
        parse(program)
    assert time.perf_counter() - started < 1.0


def test_node_limit():
    program = "\n".join(f"a{i} = x * y * x + {i} * y" for i in range(45)) + "\nL = a1"
    with pytest.raises(LimitError, match="200 nodes"):
        parse(program)


def test_program_must_be_a_string():
    with pytest.raises(ProgramError):
        parse(["L = x"])


def test_topological_order_is_iterative():
    n = 100_000  # far deeper than Python's recursion limit
    parents = [()] + [(i - 1,) for i in range(1, n)]
    order = topological_order(parents, n - 1)
    assert order == list(range(n))


def test_topological_order_puts_shared_parents_once():
    # 0 -> 1, 0 -> 2, (1, 2) -> 3
    order = topological_order([(), (0,), (0,), (1, 2)], 3)
    assert order[0] == 0 and order[-1] == 3 and sorted(order) == [0, 1, 2, 3]


# --- Values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (True, "must be a number"),
        ("1", "must be a number"),
        (None, "must be a number"),
        ({"a": 1}, "must be a number"),
        ([], "empty list"),
        ([[]], "empty row"),
        ([[1, 2], [3]], "same length"),
        ([1, [2]], "same length"),
        ([[[1]]], "dimensions"),
        ([1, True], "must be a number"),
        (math.inf, "finite"),
        (math.nan, "finite"),
        (1e7, "limited"),
        (10**400, "limited"),
    ],
)
def test_bad_values_are_refused(value, fragment):
    with pytest.raises(InputError) as info:
        Graph("L = sum(x)", {"x": value})
    assert fragment in info.value.message and "x" in info.value.message


def test_missing_and_unknown_values():
    with pytest.raises(InputError, match="no value given for the input y") as info:
        Graph("L = x * y", {"x": 1.0})
    assert info.value.node == "y" and info.value.line == 1
    with pytest.raises(InputError, match="not inputs of the program: q"):
        Graph("L = x * 2", {"x": 1.0, "q": 2.0})
    with pytest.raises(InputError, match="not inputs of the program: L"):
        Graph("L = x * 2", {"x": 1.0, "L": 2.0})
    with pytest.raises(InputError):
        Graph("L = x * 2", [1.0])


def test_tensor_element_limits():
    with pytest.raises(LimitError, match="4,096"):
        Graph("L = sum(x)", {"x": [0.0] * 4097})
    with pytest.raises(LimitError, match="4,096"):
        Graph("L = sum(x)", {"x": [[0.0] * 65] * 64})
    # An outer product (and a broadcast) that would make 16 million numbers is refused first.
    column = [[1.0]] * 4096
    row = [[1.0] * 4096]
    with pytest.raises(LimitError, match="more than 4,096 elements") as info:
        Graph("L = sum(u @ v)", {"u": column, "v": row})
    assert info.value.node == "_matmul1"
    with pytest.raises(LimitError):
        Graph("L = sum(u + v)", {"u": column, "v": [1.0] * 4096})


def test_total_element_limit():
    program = "\n".join(f"a{i} = x * {i + 1}" for i in range(5)) + "\nL = sum(a4)"
    with pytest.raises(LimitError, match="16,384 numbers"):
        Graph(program, {"x": [1.0] * 4096})


# --- Forward and backward ------------------------------------------------------------------------


def test_neuron_gradient_is_a_minus_y_times_x():
    g = Graph(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    a = 1 / (1 + math.exp(-(0.8 * 1.5 - 0.5)))
    assert g.value("a") == pytest.approx(a)
    assert g.grad("w") == pytest.approx((a - 1.0) * 1.5, rel=1e-12)
    assert g.grad("b") == pytest.approx(a - 1.0, rel=1e-12)
    assert g.grad("L") == 1.0


@pytest.mark.parametrize("x", [-3.0, -1.0, -0.5, 0.0, 0.25, 2.0])
def test_chain_works_for_negative_x(x):
    g = Graph("L = (2*x + 1)**3", {"x": x})
    assert g.value("L") == pytest.approx((2 * x + 1) ** 3)
    assert g.grad("x") == pytest.approx(6 * (2 * x + 1) ** 2)
    assert all(g.grads[n.index] is None for n in g.nodes if n.op == "const")


def test_a_node_used_twice_gets_the_sum_of_both_signals():
    g = Graph("L = x * x", {"x": 3.0})
    assert g.grad("x") == 6.0
    view = node_view(g, "x")
    assert [i["child"] for i in view["incoming"]] == ["L", "L"]
    assert sum(i["value"] for i in view["incoming"]) == view["grad"]
    assert view["children"] == ["L"]


def test_broadcast_bias_gets_summed_signal():
    values = {"W": [[1.0, 2.0], [3.0, 4.0]], "a": [1.0, 1.0], "c": 0.5}
    g = Graph("z = W @ a + c\nL = sum(z)", values)
    assert g.grad("c") == 2.0  # one per element of z
    np.testing.assert_allclose(g.grad("a"), [4.0, 6.0])  # W^T @ ones
    np.testing.assert_allclose(g.grad("W"), [[1.0, 1.0], [1.0, 1.0]])


def test_unused_assignment_has_zero_gradient():
    g = Graph("u = x * 5\nL = x * 2", {"x": 1.0})
    assert g.grad("u") == 0.0 and g.grad("x") == 2.0
    assert node_view(g, "u")["signals"] == [
        {"parent": "x", "value": 0.0},
        {"parent": "_const1", "value": None},
    ]


@pytest.mark.parametrize(
    ("program", "values", "node", "fragment"),
    [
        ("L = log(x)", {"x": 0.0}, "L", "log needs inputs greater than 0"),
        ("L = log(x)", {"x": -1.0}, "L", "log needs"),
        ("L = x / y", {"x": 1.0, "y": 0.0}, "L", "division by zero"),
        ("L = exp(x)", {"x": 1000.0}, "L", "overflows"),
        ("u = x ** 0.5\nL = u * 2", {"x": -1.0}, "u", "base that is not negative"),
        ("L = x ** y", {"x": -2.0, "y": 2.0}, "L", "needs a positive base"),
        ("L = 9 ** x ** x", {"x": 9.0}, "L", "overflows"),
        ("u = x ** -1\nL = u", {"x": 0.0}, "u", "not zero"),
        ("L = bce(p, y)", {"p": 1.0, "y": 1.0}, "L", "strictly between 0 and 1"),
        ("L = bce(sigmoid(z), y)", {"z": 40.0, "y": 1.0}, "L", "no clipping"),
        ("L = sum(x ** 0.5)", {"x": [0.0, 1.0]}, "_pow1", "gradient sent back to x"),
    ],
)
def test_non_finite_values_name_the_node(program, values, node, fragment):
    with pytest.raises(EvaluationError) as info:
        Graph(program, values)
    assert info.value.node == node
    assert fragment in info.value.message and node in info.value.message


@pytest.mark.parametrize(
    ("program", "values", "fragment"),
    [
        ("L = sum(W @ x)", {"W": [[1.0, 2.0]], "x": [1.0, 2.0, 3.0]}, "columns"),
        ("L = sum(x @ y)", {"x": 1.0, "y": [1.0]}, "not numbers"),
        ("L = x @ y", {"x": 1.0, "y": 2.0}, "not numbers"),
        ("L = sum(x + y)", {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]}, "cannot combine shapes"),
        ("L = mse(x, y)", {"x": [1.0, 2.0], "y": [1.0, 2.0, 3.0]}, "cannot combine shapes"),
    ],
)
def test_shape_errors_name_the_node(program, values, fragment):
    with pytest.raises(EvaluationError) as info:
        Graph(program, values)
    assert fragment in info.value.message and info.value.line == 1 and info.value.node


def test_output_must_be_a_number():
    with pytest.raises(EvaluationError) as info:
        Graph("z = 2 * x", {"x": [1.0, 2.0]})
    message = info.value.message
    assert "shape (2,)" in message and "sum" in message and "mean" in message
    assert "bce" in message


def test_every_error_is_a_graph_error():
    for kind in (ProgramError, LimitError, InputError, EvaluationError):
        assert issubclass(kind, GraphError)
    error = GraphError("bad", line=2, column=3, node="z")
    assert error.to_dict() == {"message": "bad", "line": 2, "column": 3, "node": "z"}
    assert GraphError("bad").to_dict() == {"message": "bad"}


def test_unknown_node_is_not_found():
    g = Graph(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    with pytest.raises(NotFoundError):
        node_view(g, "nope")
    with pytest.raises(NotFoundError):
        node_view(g, None)


# --- Views, rules, check -------------------------------------------------------------------------


def test_node_view_of_a_product():
    g = Graph(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    view = node_view(g, "_mul1")
    assert view["local_grads"][0] == {
        "parent": "w",
        "value": 1.5,
        "rule": r"\frac{\partial \left(w\,x\right)}{\partial w} = x",
        "shape": [],
    }
    assert view["signals"][0] == {"parent": "w", "value": pytest.approx(g.grad("w"))}
    assert "other input" in view["role"]
    inputs = node_view(g, "w")
    assert inputs["local_grads"] == [] and inputs["signals"] == []


def _rule(g, node_id, slot):
    return rule(g, g.node(node_id), slot)


def test_rules_use_the_names_of_the_program():
    g = Graph(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    assert _rule(g, "a", 0) == r"\frac{\partial a}{\partial z} = a(1 - a)"
    assert _rule(g, "L", 0) == r"\frac{\partial L}{\partial a} = \frac{a - y}{a(1 - a)}"
    assert _rule(g, "L", 1) == r"\frac{\partial L}{\partial y} = \log\left(\frac{1 - a}{a}\right)"
    g = Graph("u = 2*x + 1\nL = u ** 3", {"x": 0.5})
    assert _rule(g, "L", 0) == r"\frac{\partial L}{\partial u} = 3\,u^{2}"
    assert "nothing flows back" in _rule(g, "L", 1)
    assert node_view(g, "L")["local_grads"][1]["value"] is None


def test_matmul_local_gradients():
    values = {"W": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "a": [1.0, -1.0]}
    g = Graph("z = W @ a\nL = sum(z)", values)
    np.testing.assert_array_equal(g.local_grad("z", 1), values["W"])  # dz/da = W
    assert g.local_grad("z", 0) is None  # a 3-D Jacobian: the rule alone
    assert r"\frac{\partial L}{\partial W} = \frac{\partial L}{\partial z}\, a^{\top}" in _rule(
        g, "z", 0
    )
    assert r"\frac{\partial L}{\partial a} = W^{\top} \frac{\partial L}{\partial z}" in _rule(
        g, "z", 1
    )


def test_gradient_check_of_every_element():
    values = {"W": [[1.0, 2.0], [3.0, -4.0]], "a": [0.5, -1.0], "c": 0.25}
    check = {c["input"]: c for c in graph_view(Graph("L = mean(tanh(W @ a + c))", values))["check"]}
    assert set(check) == {"W", "a", "c"}
    assert np.shape(check["W"]["numeric"]) == (2, 2) and check["W"]["checked"] == 4
    for c in check.values():
        assert c["rel_error"] < 1e-6
        np.testing.assert_allclose(c["analytic"], c["numeric"], rtol=1e-6, atol=1e-9)


def test_gradient_check_is_bounded_for_large_inputs():
    x = list(np.linspace(-1, 1, 4096))
    program = "u = x * x\nL = mean(tanh(u))"
    started = time.perf_counter()
    check = gradient_check(Graph(program, {"x": x}))[0]
    assert time.perf_counter() - started < 2.0
    assert 0 < check["checked"] < check["elements"] == 4096
    assert check["numeric"][0] is not None and check["numeric"][-1] is None
    assert check["rel_error"] < 1e-5


def test_rerun_recomputes_downstream_only():
    g = Graph(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    z = g.node("z").index
    downstream = g.downstream({z})
    assert [g.nodes[i].id for i in downstream] == ["a", "L"]
    assert g.rerun(downstream, {})[0] == pytest.approx(g.value("L"))
    bumped = g.rerun(downstream, {z: g.value("z") + 1e-6})[0]
    assert (bumped - g.value("L")) / 1e-6 == pytest.approx(g.grad("z"), rel=1e-4)


def test_json_text_has_no_nan_and_no_negative_zero():
    g = Graph("L = sum(relu(x) * -1)", {"x": [-1.0, 2.0]})
    text = g.json_text("x") + g.json_text()
    assert "NaN" not in text and "-0.0" not in text


def test_compute_caches_by_program_and_values(monkeypatch):
    monkeypatch.setattr(engine_cache, "cache_enabled", True)
    engine_cache.clear_cache()
    first = compute(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    assert compute(NEURON, {"y": 1.0, "b": -0.5, "x": 1.5, "w": 0.8}) is first
    assert compute(NEURON, {"w": 0.9, "x": 1.5, "b": -0.5, "y": 1.0}) is not first
    monkeypatch.setattr(engine_cache, "cache_enabled", False)
    assert compute(NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0}) is not first


def test_cache_is_bounded_by_size():
    cache = engine_cache.GraphCache(max_entries=3, max_bytes=2**20)
    graphs = [Graph("L = x * 2", {"x": float(i)}) for i in range(5)]
    for i, g in enumerate(graphs):
        cache.put(i, g)
    assert cache.get(0) is None and cache.get(4) is graphs[4]
    big = Graph("L = sum(x)", {"x": [1.0] * 4000})
    cache.put("big", big)  # about 300 KB, over a quarter of the budget: not kept
    assert cache.get("big") is None and cache.get(4) is graphs[4]


@pytest.mark.parametrize(
    "shapes",
    [[(), (3,)], [(2, 3), (3,)], [(2, 1), (1, 4)], [(4,), (4,)], [(1,), ()], [(2, 3), (2, 1)]],
)
def test_broadcast_shape_is_numpys(shapes):
    assert broadcast_shape(shapes) == np.broadcast_shapes(*shapes)


@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(2, 3), (2,)], [(3, 2), (2, 3)]])
def test_broadcast_shape_refuses_what_numpy_refuses(shapes):
    with pytest.raises(ValueError):
        np.broadcast_shapes(*shapes)
    with pytest.raises(ValueError):
        broadcast_shape(shapes)
