"""The catalogue of mistakes students make at a node of the backward pass: one table, one row each.

Each row has an id (the note the grader gives), `when` it applies to a step, `wrong`: the values
the mistake produces from the graph, and `says`: a sentence aimed at it, with the numbers. The
grader compares the student's value with each applicable row's values, in the table's order.
Adding a mistake is adding a row. Sources: the misconceptions that backprop courses (CS231n,
Karpathy's micrograd lecture, Nielsen ch. 2) warn about, and the quiz's own feedback.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lessonengine.engine.graph import shape_text

NUMBER_FORMAT = "{:.4g}"


def fmt(value):
    """A value for a sentence: 4 significant digits, vectors and matrices in brackets."""
    if value is None:
        return "nothing"
    if np.ndim(value) == 0:
        text = NUMBER_FORMAT.format(float(value))
        return "0" if text in ("-0", "0") else text.replace("-", "−")
    return "[" + ", ".join(fmt(v) for v in np.asarray(value)) + "]"


@dataclass(frozen=True)
class Mistake:
    """One row of the catalogue."""

    id: str
    when: Callable  # when(step) -> bool
    wrong: Callable  # wrong(step) -> list of values the mistake gives
    says: Callable  # says(step) -> the sentence


def _signal_like(step):
    return step.quantity in ("signal", "local_grad")


def _times_upstream(step, local):
    """A local factor as the quantity asks: alone for a local gradient, times upstream else."""
    if step.quantity == "local_grad":
        return local
    return step.reduce(step.upstream * local)


def _mul_own(step):
    return _times_upstream(
        step, np.broadcast_to(step.value_of(step.parent), np.shape(step.value_of(step.node)))
    )


def _sigmoid_wrong(step):
    a = step.value_of(step.node)
    z = step.value_of(step.parent)
    return [_times_upstream(step, a), _times_upstream(step, np.broadcast_to(z, np.shape(a)))]


def _relu_flipped(step):
    z = np.asarray(step.value_of(step.parent))
    return [_times_upstream(step, np.where(z > 0, 0.0, 1.0))]


def _size(step):
    args = [step.value_of(step.graph.nodes[p]) for p in step.node.parents]
    return int(np.broadcast(*args).size)


def _feeds_bce(step):
    """The sigmoid of this step feeds a cross-entropy as its prediction (they cancel)."""
    program = step.graph.program
    return any(
        program.nodes[child].op == "bce" and slot == 0
        for child, slot in program.children[step.node.index]
    )


def _no_transpose(step):
    g = np.asarray(step.upstream)
    other = np.asarray(step.value_of(step.graph.nodes[step.node.parents[1 - step.slot]]))
    wrong = []
    right = np.asarray(step.right)
    if right.ndim == 2:
        wrong.append(right.T)  # the outer product the wrong way round
    if step.quantity == "signal" and right.ndim == 1 and other.ndim == 2:
        m = other if step.slot == 1 else other.T  # W @ g instead of W^T @ g
        if m.shape[1] == g.shape[0]:
            wrong.append(m @ g)
    if step.quantity == "local_grad" and right.ndim == 2:
        wrong.append(right.T)
    if step.op == "outer" and step.quantity == "signal" and g.shape[step.slot] == other.size:
        wrong.append(other @ g if step.slot == 0 else g @ other)  # gᵀ v for g v, g u for gᵀ u
    return wrong


def _missed_fork(step):
    return [step.signal_step(child, slot).right for child, slot in step.edges]


def _fork_names(step):
    return ", ".join(step.text(child) for child, _ in step.edges)


CATALOGUE = (
    Mistake(
        "forgot-upstream",
        when=lambda s: (
            s.quantity == "signal" and s.local is not None and not np.allclose(s.upstream, 1.0)
        ),
        wrong=lambda s: [
            s.reduce(np.broadcast_to(s.local, np.shape(s.value_of(s.node))))
            if np.shape(s.local) != np.shape(s.right) and np.ndim(s.local) <= 1
            else s.local
        ],
        says=lambda s: (
            f"That is the local gradient ∂{s.d()}/∂{s.d(s.parent)} = {fmt(s.local)} "
            f"alone. The signal is the upstream gradient ∂L/∂{s.d()} times this local gradient."
        ),
    ),
    Mistake(
        "upstream-only",
        when=lambda s: (
            s.quantity == "signal"
            and s.row.name in ("mul", "div", "pow", "sigmoid", "tanh", "exp", "log", "matmul")
        ),
        wrong=lambda s: [s.reduce(s.upstream)] if np.ndim(s.upstream) <= np.ndim(s.right) else [],
        says=lambda s: (
            f"That is the upstream gradient ∂L/∂{s.d()} = {fmt(s.upstream)} "
            f"passed on unchanged. It still has to be multiplied by the local gradient "
            f"∂{s.d()}/∂{s.d(s.parent)}."
        ),
    ),
    Mistake(
        "swapped-inputs",
        when=lambda s: _signal_like(s) and s.op == "mul",
        wrong=lambda s: [_mul_own(s)],
        says=lambda s: (
            f"In a product each input's local gradient is the other input: "
            f"∂{s.d()}/∂{s.d(s.parent)} is "
            f"{s.text(s.graph.nodes[s.node.parents[1 - s.slot]])}, not {s.text(s.parent)} itself."
        ),
    ),
    Mistake(
        "extra-sigmoid-derivative",
        when=lambda s: s.quantity == "signal" and s.op == "sigmoid" and _feeds_bce(s),
        wrong=lambda s: [s.right * s.value_of(s.node) * (1 - s.value_of(s.node))],
        says=lambda s: (
            "Through a sigmoid and a cross-entropy the factor a(1 − a) cancels: "
            f"∂L/∂{s.d(s.parent)} is already a − y. Multiplying by a(1 − a) again counts the "
            "sigmoid's slope twice."
        ),
    ),
    Mistake(
        "sigmoid-output",
        when=lambda s: _signal_like(s) and s.op == "sigmoid",
        wrong=_sigmoid_wrong,
        says=lambda s: (
            f"The sigmoid's local gradient is a(1 − a) with a = {fmt(s.value_of(s.node))}"
            f", its output; not the output a itself, nor its input {s.text(s.parent)}."
        ),
    ),
    Mistake(
        "relu-side",
        when=lambda s: _signal_like(s) and s.op == "relu",
        wrong=_relu_flipped,
        says=lambda s: (
            f"ReLU passes the gradient where its input is positive and blocks it "
            f"elsewhere: here {s.text(s.parent)} = {fmt(s.value_of(s.parent))}."
        ),
    ),
    Mistake(
        "add-split",
        when=lambda s: _signal_like(s) and s.op in ("add", "sub"),
        wrong=lambda s: [s.right / 2],
        says=lambda s: (
            "An add node hands the upstream gradient to each input whole: it is "
            "copied, not shared out."
        ),
    ),
    Mistake(
        "mean-factor",
        when=lambda s: _signal_like(s) and s.op in ("mean", "mse", "bce") and _size(s) > 1,
        wrong=lambda s: [s.right * _size(s), s.right / _size(s)],
        says=lambda s: (
            f"A mean divides by the number of elements, N = {_size(s)}, once: check the 1/N."
        ),
    ),
    Mistake(
        "no-transpose",
        when=lambda s: _signal_like(s) and s.op in ("matmul", "outer"),
        wrong=_no_transpose,
        says=lambda s: (
            f"Back through a matrix product the matrix is transposed: the signal to "
            f"{s.text(s.parent)} has its shape {shape_text(np.shape(s.right))}, and each "
            "element sums over the rows it fed (∂L/∂a = Wᵀ ∂L/∂z; ∂L/∂W = ∂L/∂z aᵀ)."
        ),
    ),
    Mistake(
        "missed-fork",
        when=lambda s: s.quantity == "grad" and len(s.edges) > 1,
        wrong=_missed_fork,
        says=lambda s: (
            f"{s.text()} feeds {len(s.edges)} nodes ({_fork_names(s)}): its gradient "
            "is the sum of the signals all of them send back, not one of them."
        ),
    ),
    Mistake(
        "forward-value",
        when=lambda s: s.quantity in ("grad", "signal"),
        wrong=lambda s: [s.value_of(s.node)] + ([s.value_of(s.parent)] if s.parent else []),
        says=lambda s: (
            "That is a forward value (what the node computes), not a gradient (how "
            "much the loss changes when it changes)."
        ),
    ),
    Mistake(
        "sign",
        when=lambda s: True,
        wrong=lambda s: [-np.asarray(s.right)],
        says=lambda s: (
            "The size is right but the sign is not: follow each minus sign (a "
            "subtraction, a negative input, the slope of the loss) through the product."
        ),
    ),
)
MISTAKES = {row.id: row for row in CATALOGUE}
# A sentence may use the student's own value, the forward values and the graph's shape, never
# the right value or a factor that gives it (tests/api/test_answer_api.py scans for that).
# Notes that are not mistakes of the table: said by the grader itself.
NOTES = (
    "correct",
    *MISTAKES,
    "wrong-shape",
    "rounding",
    "carried-forward",
    "unrecognised",
)
