"""Grading a student's step of the backward pass, with feedback aimed at the mistake.

A number is right within TOLERANCE (1 % relative, or 1e-3 absolute near zero). An expression
over the graph's names is right when it equals the engine's value at the graph's values and at
SAMPLES random nearby values of the inputs, the graph re-run each time: equivalence by sampling,
as WeBWorK and Numbas do. A wrong value is compared with each applicable mistake of the
catalogue (`mistakes.CATALOGUE`); error carried forward follows Numbas' adaptive marking: a
step that is right given the student's own earlier value is right, and the feedback names the
value that was off.
"""

import random
from dataclasses import dataclass

import numpy as np

from lessonengine.assessment.answers import OUTER_HINT, AnswerError, read_answer
from lessonengine.assessment.mistakes import CATALOGUE, fmt
from lessonengine.assessment.steps import Step
from lessonengine.engine.graph import Graph, shape_text
from lessonengine.engine.ops import ELEMENTWISE, LABEL
from lessonengine.engine.tex import format_number
from lessonengine.errors import GraphError

TOLERANCE = (0.01, 1e-3)  # relative, absolute: one setting for every number
ROUNDING = 10  # within ROUNDING times the tolerance: right but for rounding
SAMPLES = 6  # random nearby points for an expression
SAMPLE_TOLERANCE = (1e-6, 1e-9)  # two formulas for the same quantity agree to rounding
SHOW_AFTER = 3  # wrong attempts at a step before its value is shown


@dataclass(frozen=True)
class Grade:
    """The grade of one answer: the fields of POST /api/graph/answer but `attempts`."""

    correct: bool
    note: str
    feedback: str
    read_as: str
    expected: object  # the engine's value (the API sends it only when it may be shown)
    worked: str  # the worked product in TeX, for "Show me" and after a right answer
    hint: str  # the op's rule for the step in TeX (never its value), for a wrong answer


def close(value, right, tolerance=TOLERANCE):
    """True when value has right's shape (or its numbers with fewer or more dimensions) and
    every element is within the tolerance."""
    value, right = np.asarray(value, dtype=float), np.asarray(right, dtype=float)
    if _same_size(value, right):
        value = value.reshape(right.shape)
    if value.shape != right.shape:
        return False
    rel, absolute = tolerance
    return bool(np.all(np.abs(value - right) <= np.maximum(rel * np.abs(right), absolute)))


def _same_size(value, right):
    # 0.5 for a (1,) value, [1, 2, 3] for a (1, 3) one: the same numbers written with fewer or
    # more dimensions. A (3, 1) for a (1, 3) is a transpose, and wrong.
    return np.size(value) == np.size(right) and np.ndim(value) != np.ndim(right)


def names_of(graph):
    """The names an answer may use: the inputs and every assigned name of the program."""
    return [node.id for node in graph.nodes if node.named]


def named_values(graph):
    """The value of each name an answer may use, to evaluate it on this graph."""
    return {node.id: graph.values[node.index] for node in graph.nodes if node.named}


def grade(graph, node_id, quantity, parent, text, given=None, seed=0, rule_shown=True):
    """Grade `text` as the student's value of one step; raises AnswerError, StepError or
    NotFoundError (an unknown node). `given` maps node ids to the student's earlier answers
    for those nodes' grads (error carried forward); `rule_shown` is False where no panel shows
    the op's rule under the feedback (practice), so the hint does not point at it."""
    step = Step.of(graph, node_id, quantity, parent)
    answer = read_answer(text, names_of(graph))
    value = answer.evaluate(named_values(graph))
    right = step.right
    worked = worked_product(step)

    def result(correct, note, feedback):
        hint = "" if correct else step.rule()
        return Grade(correct, note, feedback, answer.tex, right, worked, hint)

    if _same_size(value, right):  # [0.5] for a (1, 1) value, 0.5 for a (1,) value: same numbers
        value = np.reshape(value, np.shape(right))
    if step.quantity == "local_grad" and np.ndim(value) == 0 and step.row.kind == ELEMENTWISE:
        value = np.broadcast_to(value, np.shape(right))  # d(a + b)/da = 1, element by element
    if close(value, right):
        if answer.kind == "expression" and not _equivalent(step, answer, seed):
            return result(
                False,
                "unrecognised",
                "Your expression gives the right number at these values, but not at other "
                "values of the inputs, so it is not this gradient in general. "
                + _hint(step, rule_shown),
            )
        return result(True, "correct", "Right: " + _explain(step))
    carried = _carried_forward(step, value, given or {})
    if carried is not None:
        return result(True, "carried-forward", carried)
    for mistake, candidate_step, wrong in wrong_values(step):
        if close(value, wrong):
            return result(False, mistake.id, mistake.says(candidate_step))
    if np.shape(value) != np.shape(right):
        return result(False, "wrong-shape", _shape_sentence(step, value, answer))
    if close(value, right, (TOLERANCE[0] * ROUNDING, TOLERANCE[1] * ROUNDING)):
        return result(
            False,
            "rounding",
            "Close, but not within 1 %: keep more digits of the values you multiply (at least "
            "three significant figures) and round only at the end.",
        )
    return result(False, "unrecognised", "Not this one. " + _hint(step, rule_shown))


def wrong_values(step):
    """(mistake, step, wrong value) for every catalogued mistake that applies, in the table's
    order, leaving out wrong values that equal the right one. A grad with one path to the loss
    is also the signal that path sends, so the signal's mistakes apply to it too."""
    for mistake, candidate, wrong in _mistake_values(step):
        if not close(wrong, step.right):
            yield mistake, candidate, wrong


def mistakes_giving_the_right_value(step):
    """The ids of the catalogued mistakes that happen to give the right value at these values
    (swapped inputs when w = x): a draw where a mistake is rewarded teaches it."""
    return sorted({m.id for m, _c, wrong in _mistake_values(step) if close(wrong, step.right)})


def _mistake_values(step):
    steps = [step]
    if step.quantity == "grad" and len(step.edges) == 1:
        steps.append(step.signal_step(*step.edges[0]))
    with np.errstate(all="ignore"):
        for mistake in CATALOGUE:
            for candidate in steps:
                if not mistake.when(candidate):
                    continue
                try:
                    wrongs = mistake.wrong(candidate)
                except ValueError:  # shapes the mistake cannot produce here
                    continue
                for wrong in wrongs:
                    if wrong is not None and np.all(np.isfinite(wrong)):
                        yield mistake, candidate, wrong


def _equivalent(step, answer, seed):
    """The expression equals the engine's value at SAMPLES random nearby points (labels held)."""
    graph = step.graph
    rng = random.Random(seed)
    program = graph.program
    agreed = tries = 0
    while agreed < SAMPLES and tries < 4 * SAMPLES:
        tries += 1
        values = {}
        for index in program.inputs:
            node = program.nodes[index]
            x = np.asarray(graph.values[index], dtype=float)
            if graph.input_range(node) == LABEL:
                # A label is data the student may substitute (-1/a for -y/a at y = 1): held.
                values[node.id] = x.tolist() if x.shape else float(x)
                continue
            factor = np.array([1 + rng.uniform(-0.15, 0.15) for _ in range(x.size)]).reshape(
                x.shape
            )
            near = np.asarray(x * factor, dtype=float).copy()  # 0-d too, so it can be set
            # A zero scaled stays zero, and an answer that drops a term in it (sigmoid(w*x) for
            # sigmoid(w*x + b) at b = 0) would pass: move zeros by a small positive step.
            zeros = x == 0
            if zeros.any():
                near[zeros] = [rng.uniform(0.05, 0.2) for _ in range(int(zeros.sum()))]
            values[node.id] = near.tolist() if x.shape else float(near)
        try:
            moved = Graph(program, values)
        except GraphError:
            continue  # left the domain: another point
        moved_step = Step(moved, moved.program.nodes[step.node.index], step.quantity, step.slot)
        try:
            value = answer.evaluate(named_values(moved))
        except AnswerError:
            return False
        right = moved_step.right
        if right is None:
            continue
        if _same_size(value, right):
            value = np.reshape(value, np.shape(right))
        if not close(value, right, SAMPLE_TOLERANCE):
            return False
        agreed += 1
    return agreed >= min(SAMPLES, 3)


def _carried_forward(step, value, given):
    """The feedback when the answer is right given the student's own earlier values; else None."""
    graph = step.graph
    off = []

    def upstream_of(node):
        text = given.get(node.id)
        if text is None:
            return graph.grads[node.index]
        try:
            theirs = read_answer(text, names_of(graph)).evaluate(named_values(graph))
        except AnswerError:
            return graph.grads[node.index]
        if np.shape(theirs) != np.shape(graph.grads[node.index]):
            return graph.grads[node.index]
        if not close(theirs, graph.grads[node.index]):
            off.append(step.d(node))
        return np.asarray(theirs, dtype=float) if np.ndim(theirs) else float(theirs)

    try:
        if step.quantity == "signal":
            expected = step.signal_with(upstream_of(step.node))
        elif step.quantity == "grad" and step.edges:
            expected = sum(
                step.signal_step(child, slot).signal_with(upstream_of(child))
                for child, slot in step.edges
            )
        else:
            return None
    except (ValueError, FloatingPointError):
        return None
    if not off or not close(value, expected):
        return None
    names = ", ".join(f"∂L/∂{name}" for name in off)
    return (
        f"Your step is right, given your value for {names}. That earlier value was off: go back "
        "to it, and this step will follow from the right one."
    )


def _shape_sentence(step, value, answer):
    shape = shape_text(np.shape(step.right))
    what = step.text() if step.quantity == "grad" else step.text(step.parent)
    sentence = (
        f"Your answer has shape {shape_text(np.shape(value))}, but this one has shape {shape}: "
        f"every gradient has the shape of the variable it is for ({what})."
    )
    uses_matmul = answer.program is not None and any(
        node.op == "matmul" for node in answer.program.nodes
    )
    if np.ndim(step.right) == 2 and np.ndim(value) == 0 and uses_matmul:
        sentence += f" {OUTER_HINT[0].upper()}{OUTER_HINT[1:]}."  # g @ transpose(x): a number
    return sentence


def _hint(step, rule_shown=True):
    """Where to look, in words; the rule itself goes in `hint` (the formula, never the number),
    which the Your-turn panel shows below the feedback."""
    if step.quantity == "local_grad":
        where = ", shown below" if rule_shown else ""
        return f"Hint: apply the op's rule for this input{where}."
    if step.quantity == "signal":
        where = " (its rule is below)" if rule_shown else ""
        return f"Hint: multiply the upstream gradient by the local gradient{where}."
    if len(step.edges) > 1:
        return "Hint: add up the signals that every node it feeds sends back."
    where = " (rule below)" if rule_shown else ""
    return f"Hint: it is the signal the node it feeds sends back, upstream × local{where}."


def _explain(step):
    if step.quantity == "local_grad":
        return f"the local gradient is {fmt(step.right)}."
    if step.quantity == "signal":
        return f"upstream {fmt(step.upstream)} × local gives the signal {fmt(step.right)}."
    if len(step.edges) > 1:
        return f"the signals add up to {fmt(step.right)}."
    return f"∂L/∂{step.d()} = {fmt(step.right)}."


def worked_product(step):
    """The step worked out in TeX, with the engine's numbers (for Show me)."""

    def number(value):
        if np.ndim(value) == 0:
            return format_number(round(float(value), 4))
        rows = np.atleast_2d(np.round(np.asarray(value, dtype=float), 4))
        if np.ndim(value) == 1:
            rows = rows.T
        body = r" \\ ".join(" & ".join(format_number(x) for x in row) for row in rows)
        return r"\begin{bmatrix}" + body + r"\end{bmatrix}"

    if step.quantity == "local_grad":
        return f"{step.rule()} = {number(step.right)}"
    if step.quantity == "signal":
        local, upstream = step.local, step.upstream
        if local is not None and np.ndim(local) == 0 and np.ndim(upstream) == 0:
            factor = number(local) if local >= 0 else f"({number(local)})"  # 2 · (−3)
            product = f"{number(upstream)} \\cdot {factor}"
            return f"{step.symbol()} = {product} = {number(step.right)}"
        return f"{step.symbol()} = {number(step.right)}"
    signals = [step.signal_step(c, s).right for c, s in step.edges]
    sum_tex = number(signals[0]) if signals else "1"
    for signal in signals[1:]:  # a negative number is subtracted: 0.8 - 3.8, not 0.8 + -3.8
        negative = np.ndim(signal) == 0 and signal < 0
        sum_tex += f" - {number(-signal)}" if negative else f" + {number(signal)}"
    total = f" = {number(step.right)}" if len(signals) > 1 else ""
    return rf"{step.symbol()} = {sum_tex}{total}"
