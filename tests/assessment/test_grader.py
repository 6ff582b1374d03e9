"""The Your-turn grader: right answers as numbers and expressions, every catalogued mistake
named by its own note, equivalence by sampling, error carried forward, hostile answers."""

import json
import random
import time

import numpy as np
import pytest

from lessonengine.assessment.answers import AnswerError, read_answer
from lessonengine.assessment.expressions import expression_for
from lessonengine.assessment.grader import close, grade, wrong_values
from lessonengine.assessment.mistakes import CATALOGUE, NOTES
from lessonengine.assessment.steps import Step, StepError
from lessonengine.engine.presets import PRESETS, compute_preset, resolve
from lessonengine.graph import Graph


def number_text(value):
    return json.dumps(np.asarray(value, dtype=float).tolist())


def steps_of(graph):
    for node in graph.nodes:
        for quantity in ("grad", "local_grad", "signal"):
            parents = [None] if quantity == "grad" else [graph.nodes[p].id for p in node.parents]
            for parent in parents:
                try:
                    yield Step.of(graph, node.id, quantity, parent)
                except StepError:
                    continue


def _id(step):
    parent = f"-{step.parent.id}" if step.parent else ""
    return f"{step.node.id}-{step.quantity}{parent}"


PRESET_STEPS = [
    pytest.param(
        preset_id,
        step.node.id,
        step.quantity,
        step.parent.id if step.parent else None,
        id=f"{preset_id}-{_id(step)}",
    )
    for preset_id in PRESETS
    for step in steps_of(compute_preset(preset_id))
]
# A weight matrix's gradient (upstream times the input transposed) as the grammar writes it.
OUTER_PRODUCTS = {
    ("two-layer", "W1", "grad", None),
    ("two-layer", "_matmul1", "signal", "W1"),
    ("two-layer", "W2", "grad", None),
    ("two-layer", "_matmul2", "signal", "W2"),
}


@pytest.mark.parametrize(("preset_id", "node", "quantity", "parent"), PRESET_STEPS)
def test_the_right_value_is_accepted_as_a_number_and_as_an_expression(
    preset_id, node, quantity, parent
):
    graph = compute_preset(preset_id)
    step = Step.of(graph, node, quantity, parent)
    result = grade(graph, node, quantity, parent, number_text(step.right))
    assert result.correct and result.note == "correct", result
    expression = expression_for(step)
    assert expression is not None, "every step of a preset can be written in the grammar"
    is_outer = expression.lstrip("(").startswith("outer(")
    assert is_outer == ((preset_id, node, quantity, parent) in OUTER_PRODUCTS), expression
    result = grade(graph, node, quantity, parent, expression)
    assert result.correct and result.note == "correct", (expression, result)
    assert "answer" not in result.read_as


def test_every_preset_step_is_covered():
    assert len(PRESET_STEPS) > 80


# --- Every catalogued mistake -------------------------------------------------------------------

EXTRA_PROGRAMS = [
    ("L = mean(w * x)", {"w": "v3", "x": "v3"}),
    ("L = mse(w * x + b, y)", {"w": "s", "x": "v3", "b": "s", "y": "v3"}),
    ("h = relu(W @ x + b)\nL = mean(h * h)", {"W": "m23", "x": "v3", "b": "v2"}),
    ("q = x + y\nr = x - z\nL = q * r", {"x": "s", "y": "s", "z": "s"}),
    ("z = w*x + b\na = sigmoid(z)\nL = bce(a, y)", {"w": "s", "x": "s", "b": "s", "y": "p"}),
    ("u = tanh(x) * w\nL = sum(u * u) / 2", {"x": "v3", "w": "v3"}),
    ("a = 3*x\nb = x * x\nc = exp(x)\nL = a + b * c", {"x": "s"}),
    ("z = W @ x\np = sigmoid(z)\nL = bce(p, y)", {"W": "m33", "x": "v3", "y": "p3"}),
    ("h = relu(w * x)\nL = sum(h + x)", {"w": "v3", "x": "v3"}),
    ("h = relu(x - w)\nL = mean(h * x)", {"w": "s", "x": "v3"}),
    ("u = x * w\nv = u * u\nL = u + v", {"x": "s", "w": "s"}),
    ("M = outer(u, v)\nL = mean(M * C)", {"u": "v3", "v": "v3", "C": "m33"}),
]


def _draw(kind, rng):
    def number():
        return round(rng.choice([-1, 1]) * rng.uniform(0.3, 2.0), 3)

    shapes = {"s": (), "v2": (2,), "v3": (3,), "m23": (2, 3), "m33": (3, 3)}
    if kind in ("p", "p3"):
        value = [round(rng.uniform(0.1, 0.9), 2) for _ in range(3)]
        return value if kind == "p3" else value[0]
    shape = shapes[kind]
    values = np.array([number() for _ in range(int(np.prod(shape)) or 1)]).reshape(shape)
    return values.tolist() if shape else float(values)


def generated_graphs(count=90, seed=11):
    rng = random.Random(seed)
    graphs = []
    for k in range(count):
        if k % 3 == 0:
            preset_id = rng.choice(list(PRESETS))
            program, values = resolve(preset_id)
            values = {
                name: (
                    (np.asarray(v) * rng.uniform(0.6, 1.4)).round(3).tolist()
                    if name not in ("y",)
                    else v
                )
                for name, v in values.items()
            }
        else:
            program, kinds = rng.choice(EXTRA_PROGRAMS)
            values = {name: _draw(kind, rng) for name, kind in kinds.items()}
        try:
            graphs.append(Graph(program, values))
        except Exception:  # pragma: no cover - the ranges above keep every graph finite
            continue
    return graphs


GRAPHS = generated_graphs()


@pytest.mark.parametrize("mistake", CATALOGUE, ids=[m.id for m in CATALOGUE])
def test_each_catalogued_mistake_is_named_by_its_own_note(mistake):
    named = tried = 0
    for graph in GRAPHS:
        for step in steps_of(graph):
            candidates = list(wrong_values(step))
            wrong = next((w for m, _, w in candidates if m is mistake), None)
            if wrong is None:
                continue
            earlier = candidates[: next(i for i, c in enumerate(candidates) if c[0] is mistake)]
            if any(close(wrong, other) for _, _, other in earlier):
                continue  # two mistakes give the same number here: either note is fair
            parent = step.parent.id if step.parent else None
            result = grade(graph, step.node.id, step.quantity, parent, number_text(wrong))
            assert not result.correct, (mistake.id, step.node.id, result)
            tried += 1
            named += result.note == mistake.id
    assert tried >= 20, f"{mistake.id} applied to only {tried} generated steps"
    assert named >= 0.95 * tried, f"{mistake.id}: named {named} of {tried}"


def test_the_notes_are_the_contract():
    assert set(NOTES) == {
        "correct",
        "forgot-upstream",
        "upstream-only",
        "swapped-inputs",
        "sigmoid-output",
        "relu-side",
        "missed-fork",
        "sign",
        "forward-value",
        "no-transpose",
        "mean-factor",
        "extra-sigmoid-derivative",
        "add-split",
        "wrong-shape",
        "rounding",
        "carried-forward",
        "unrecognised",
    }


# --- Equivalence by sampling --------------------------------------------------------------------

NEURON = compute_preset("neuron")
FORK = compute_preset("fork")
TWO_LAYER = compute_preset("two-layer")

EQUIVALENT = [
    ("a", "local_grad", "z", "a*(1-a)"),
    ("a", "local_grad", "z", "a - a**2"),
    ("a", "local_grad", "z", "a*(1 - a) + 0"),
    ("a", "local_grad", "z", "-(a**2 - a)"),
    ("a", "local_grad", "z", "sigmoid(z)*(1 - sigmoid(z))"),
    ("a", "local_grad", "z", "exp(-z)/(1 + exp(-z))**2"),
    ("w", "grad", None, "(a - y)*x"),
    ("w", "grad", None, "x*a - x*y"),
    ("w", "grad", None, "x*(a - y)"),
    ("w", "grad", None, "(sigmoid(w*x + b) - y)*x"),
    ("w", "grad", None, "-(y - a)*x"),
    ("w", "grad", None, "x*a - y*x"),
    ("z", "grad", None, "a - y"),
    ("z", "grad", None, "sigmoid(z) - y"),
    ("z", "grad", None, "-(y - a)"),
    ("b", "grad", None, "a - y"),
    ("b", "grad", None, "a + -y"),
    ("_mul1", "local_grad", "w", "x"),
    ("_mul1", "local_grad", "x", "w"),
    ("_mul1", "signal", "w", "(a - y)*x"),
    ("_mul1", "signal", "x", "(a - y)*w"),
    ("L", "local_grad", "a", "(a - y)/(a*(1 - a))"),
    ("L", "local_grad", "a", "(a - y)/(a - a**2)"),
    ("x", "grad", None, "w*(a - y)"),
]
NOT_EQUIVALENT = [
    ("a", "local_grad", "z", "a"),
    ("a", "local_grad", "z", "a*(1+a)"),
    ("a", "local_grad", "z", "1 - a"),
    ("a", "local_grad", "z", "a**2"),
    ("a", "local_grad", "z", "z*(1 - z)"),
    ("w", "grad", None, "(a - y)*w"),
    ("w", "grad", None, "(y - a)*x"),
    ("w", "grad", None, "(a - y)*a*(1 - a)*x"),
    ("w", "grad", None, "a*x"),
    ("w", "grad", None, "(a - y)"),
    ("w", "grad", None, "(a - y)*x*x"),
    ("w", "grad", None, "(a - y)*x/2"),
    ("z", "grad", None, "y - a"),
    ("z", "grad", None, "a*(1 - a)"),
    ("z", "grad", None, "(a - y)*a*(1 - a)"),
    ("b", "grad", None, "x*(a - y)"),
    ("b", "grad", None, "a"),
    ("_mul1", "local_grad", "w", "w"),
    ("_mul1", "signal", "w", "x"),
    ("_mul1", "signal", "w", "a - y"),
    ("L", "local_grad", "a", "(a - y)"),
    ("x", "grad", None, "x*(a - y)"),
]


@pytest.mark.parametrize(("node", "quantity", "parent", "text"), EQUIVALENT)
def test_equivalent_expressions_are_accepted(node, quantity, parent, text):
    result = grade(NEURON, node, quantity, parent, text)
    assert result.correct, (text, result)


@pytest.mark.parametrize(("node", "quantity", "parent", "text"), NOT_EQUIVALENT)
def test_other_expressions_are_refused(node, quantity, parent, text):
    assert not grade(NEURON, node, quantity, parent, text).correct


def test_an_expression_right_here_but_not_elsewhere_is_refused():
    right = float(NEURON.grad("w"))
    # Right at these values (a constant times an input), wrong anywhere else.
    text = f"{right / NEURON.value('x'):.17g}*x"
    result = grade(NEURON, "w", "grad", None, text)
    assert not result.correct and result.note == "unrecognised"
    assert "not this gradient in general" in result.feedback


# --- A weight matrix's gradient: the outer product g xᵀ, written outer(g, x) ---------------------

LINEAR = Graph(
    "z = W @ x + b\nL = mse(z, y)",
    {
        "W": [[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]],
        "x": [1.0, -2.0, 0.5],
        "b": [0.1, -0.2],
        "y": [0.4, 1.0],
    },
)
SQUARE = Graph("z = W @ x\nL = sum(z * z)", {"W": [[1.0, 2.0], [-0.5, 3.0]], "x": [1.0, -1.5]})
OUTER_EQUIVALENT = [
    (TWO_LAYER, "W2", "outer(a2 - y, a1)"),
    (TWO_LAYER, "W2", "outer(sigmoid(z2) - y, relu(z1))"),
    (TWO_LAYER, "W2", "outer(a2, a1) - outer(y, a1)"),
    (TWO_LAYER, "W1", "outer((transpose(W2) @ (a2 - y)) * relu(z1)/z1, x)"),
    (LINEAR, "W", "outer(z - y, x)"),
    (LINEAR, "W", "outer(2*(z - y)/2, x)"),
    (LINEAR, "W", "transpose(outer(x, z - y))"),
    (SQUARE, "W", "outer(2*z, x)"),
    (SQUARE, "W", "2*outer(W @ x, x)"),
]
OUTER_REFUSED = [
    (LINEAR, "W", "outer(x, z - y)", "no-transpose"),  # (3, 2) for (2, 3): the transpose
    (SQUARE, "W", "outer(x, 2*z)", "no-transpose"),  # the right shape, the wrong way round
    (SQUARE, "W", "outer(z, x)", None),
    (TWO_LAYER, "W2", "outer(a2 - y, x)", "wrong-shape"),
    (TWO_LAYER, "W2", "outer(y - a2, a1)", "sign"),
]


@pytest.mark.parametrize(("graph", "node", "text"), OUTER_EQUIVALENT)
def test_a_weight_matrix_gradient_is_accepted_as_an_outer_product(graph, node, text):
    result = grade(graph, node, "grad", None, text)
    assert result.correct and result.note == "correct", (text, result)
    assert r"^{\top}" in result.read_as  # read as g xᵀ, the lesson's notation


@pytest.mark.parametrize(("graph", "node", "text", "note"), OUTER_REFUSED)
def test_a_wrong_outer_product_is_refused_with_its_note(graph, node, text, note):
    result = grade(graph, node, "grad", None, text)
    assert not result.correct
    if note:
        assert result.note == note, (text, result)


def test_an_outer_nodes_signal_without_the_transpose_is_no_transpose():
    graph = Graph(
        "M = outer(u, v)\nL = sum(M * C)",
        {"u": [1.0, -2.0], "v": [0.5, 3.0], "C": [[1.0, 2.0], [-1.0, 4.0]]},
    )
    g, u, v = (np.array(graph.value(n)) for n in ("C", "u", "v"))  # dL/dM is C
    assert grade(graph, "M", "signal", "v", "transpose(C) @ u").correct
    assert grade(graph, "M", "signal", "u", "C @ v").correct
    assert grade(graph, "M", "signal", "v", number_text(g @ u)).note == "no-transpose"
    assert grade(graph, "M", "signal", "u", number_text(g.T @ v)).note == "no-transpose"


def test_the_papers_g_times_x_transposed_points_to_outer():
    # With vectors of one axis, g @ transpose(x) is a dot product: a number where a matrix is
    # asked (same lengths), or a product that cannot be formed (different lengths).
    result = grade(SQUARE, "W", "grad", None, "(2*z) @ transpose(x)")
    assert result.note == "wrong-shape" and "outer(u, v)" in result.feedback
    with pytest.raises(AnswerError, match=r"outer\(u, v\)"):
        grade(LINEAR, "W", "grad", None, "(z - y) @ transpose(x)")


def test_fork_needs_the_sum():
    result = grade(FORK, "x", "grad", None, "3")
    assert result.note == "missed-fork" and "sum" in result.feedback


# --- Error carried forward -----------------------------------------------------------------------


def test_a_step_right_from_a_wrong_earlier_value_is_carried_forward():
    wrong_upstream = -0.5
    local = float(NEURON.value("x"))
    result = grade(
        NEURON,
        "_mul1",
        "signal",
        "w",
        str(wrong_upstream * local),
        given={"_mul1": str(wrong_upstream)},
    )
    assert result.correct and result.note == "carried-forward"
    assert "∂L/∂(w·x)" in result.feedback


def test_carried_forward_needs_an_earlier_value_that_was_off():
    result = grade(NEURON, "_mul1", "signal", "w", "-0.75", given={"_mul1": str(NEURON.grad("z"))})
    assert not result.correct


# --- Reading answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("0.147", "number", 0.147),
        ("-1.5e-3", "number", -1.5e-3),
        ("1/4", "number", 0.25),
        ("[0.1, -0.2]", "array", [0.1, -0.2]),
        ("[[1, 0], [0, 1]]", "array", [[1, 0], [0, 1]]),
        ("  0.5  ", "number", 0.5),
    ],
)
def test_numbers_and_arrays_are_read(text, kind, value):
    answer = read_answer(text, ["a"])
    assert answer.kind == kind
    np.testing.assert_allclose(answer.evaluate({}), value)


def test_the_reading_is_shown_in_tex():
    assert read_answer("a*(1-a)", ["a"]).tex == r"a\,\left(1 - a\right)"
    assert read_answer("transpose(W2) @ g", ["W2", "g"]).tex == r"W_{2}^{\top}\,g"
    assert read_answer("[0.1, -0.2]", []).tex == r"\begin{bmatrix}0.1 \\ -0.2\end{bmatrix}"


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "9**9**9**9",
        "(" * 5000 + "1" + ")" * 5000,
        "x" * 100_000,
        "q + 1",
        "a +",
        "",
        "[1, [2]]",
        "[]",
        "a\nb",
        "open('f')",
        "'a'",
    ],
    ids=[
        "import",
        "tower",
        "nested",
        "long",
        "unknown-name",
        "syntax",
        "empty",
        "ragged",
        "empty-list",
        "two-lines",
        "call",
        "string",
    ],
)
def test_hostile_answers_are_refused_quickly(text):
    started = time.perf_counter()
    with pytest.raises(AnswerError) as info:
        grade(NEURON, "w", "grad", None, text)
    assert time.perf_counter() - started < 0.1
    assert info.value.message and info.value.to_dict()["column"] >= 1


@pytest.mark.parametrize("text", ["2 +", "  a *", "(a - y", "a +* y", "[1, 2", "1 / "])
def test_a_syntax_error_points_inside_the_typed_text(text):
    with pytest.raises(AnswerError) as info:
        read_answer(text, ["a", "y"])
    assert 1 <= info.value.column <= len(text) + 1, info.value.column


def test_an_unknown_name_says_where_and_which():
    with pytest.raises(AnswerError) as info:
        read_answer("a * qq", ["a", "y"])
    assert "qq" in info.value.message and info.value.column == 5


@pytest.mark.parametrize(
    ("values", "node", "right", "wrong"),
    [
        ({"w": 0.8, "x": 1.5, "b": 0.0, "y": 1.0}, "z", "a - y", "sigmoid(w*x) - y"),  # drops b
        ({"w": 0.8, "x": 0.0, "b": -0.5, "y": 1.0}, "w", "(a - y)*x", "(a - y)*x*x"),
        ({"w": 0.0, "x": 1.5, "b": 0.3, "y": 1.0}, "x", "(a - y)*w", "(a - y)*w*w"),
    ],
)
def test_an_expression_wrong_only_away_from_a_zero_input_is_refused(values, node, right, wrong):
    # Sampling scales each input by a random factor: a zero stays zero unless it is moved too,
    # and an expression that agrees only where that input is 0 would pass.
    graph = Graph("z = w*x + b\na = sigmoid(z)\nL = bce(a, y)", values)
    assert grade(graph, node, "grad", None, right).correct
    assert not grade(graph, node, "grad", None, wrong).correct


BCE_NEURON = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"


@pytest.mark.parametrize(
    ("y", "node", "right"),
    [
        (1.0, "a", "-1/a"),
        (1.0, "a", "-y/a"),
        (0.0, "a", "1/(1 - a)"),
        (1.0, "z", "a - 1"),
        (0.0, "z", "a"),
        (1.0, "w", "(a - 1)*x"),
    ],
)
def test_a_label_substituted_by_its_value_is_right(y, node, right):
    # A label is data the student may substitute: sampling holds it and moves the rest.
    graph = Graph(BCE_NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": y})
    result = grade(graph, node, "grad", None, right)
    assert result.correct, result.feedback


@pytest.mark.parametrize(
    ("node", "wrong"), [("z", "a"), ("w", "(a - y)"), ("w", "a - 1"), ("a", "-1/(1 - a)")]
)
def test_an_expression_wrong_at_the_label_is_still_wrong(node, wrong):
    graph = Graph(BCE_NEURON, {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    assert not grade(graph, node, "grad", None, wrong).correct


def test_the_hint_is_said_once():
    # The right number here but not elsewhere: the sentence and its hint, "Hint:" once.
    graph = Graph(BCE_NEURON, {"w": 0.8, "x": 1.5, "b": 0.0, "y": 1.0})
    result = grade(graph, "z", "grad", None, "sigmoid(w*x) - y")
    assert result.note == "unrecognised" and result.feedback.count("Hint") == 1, result.feedback
    assert "below" in result.feedback and result.hint  # Your turn shows the rule below
    other = grade(graph, "a", "local_grad", "z", "123")
    assert other.note == "unrecognised" and other.feedback.count("Hint") == 1


@pytest.mark.parametrize(
    ("node", "quantity", "parent"),
    [("a", "local_grad", "z"), ("a", "signal", "z"), ("w", "grad", None), ("z", "grad", None)],
)
def test_without_a_rule_panel_the_hint_points_at_no_rule(node, quantity, parent):
    graph = Graph(BCE_NEURON, {"w": 0.8, "x": 1.5, "b": 0.0, "y": 1.0})
    shown = grade(graph, node, quantity, parent, "123")
    bare = grade(graph, node, quantity, parent, "123", rule_shown=False)
    assert "below" in shown.feedback and "Hint: " in bare.feedback
    assert "below" not in bare.feedback and bare.feedback.count("Hint") == 1, bare.feedback


@pytest.mark.parametrize(
    ("text", "column"), [("outer([-0.26698], a1)", 7), ("  2*[1, 2]", 5), ("g + [1]", 5)]
)
def test_a_vector_inside_an_expression_is_refused_in_the_words_of_answers(text, column):
    # The student is typing an answer, not a program: no "program" and no "input values".
    with pytest.raises(AnswerError) as info:
        read_answer(text, ["a1", "g"])
    message = info.value.message
    assert "program" not in message and "input values" not in message, message
    assert "vector can be typed alone" in message and "names" in message
    assert info.value.column == column
