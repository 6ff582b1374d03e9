"""The one table of operations: forward, local gradients, TeX rules and roles, one row per op.

Adding an op is adding a row. Each row holds:

- ``forward(*args)``: the value of the node from its parents' values;
- ``local_grads``: for each parent, ``local(out, *args)``, the derivative of the node with respect
  to that parent. Elementwise ops give the elementwise derivative, reductions the gradient shaped
  like the parent, and ``None`` stands for "nothing flows back" (a power's exponent is a number);
- ``vjps``: for each parent, ``vjp(g, out, *args)``, the signal sent back to it given the upstream
  gradient ``g`` (the vector-Jacobian product). ``None`` means the plain chain rule, upstream times
  local, summed over the axes that broadcasting added;
- ``rule_templates``: for each parent, a TeX rule with ``$z`` for the node and ``$a``/``$b`` for
  the parents (see ``render_rule``); ``rules`` renders them with the op's own letters;
- ``role``: one sentence on what the op does in the backward pass.
"""

from dataclasses import dataclass
from string import Template

import numpy as np

ELEMENTWISE = "elementwise"
REDUCTION = "reduction"
MATMUL = "matmul"


@dataclass(frozen=True)
class Op:
    """One row of the table."""

    name: str  # machine name, the `op` field of a node
    symbol: str  # short label for drawing an unnamed node
    kind: str  # ELEMENTWISE (broadcasts), REDUCTION (to a number) or MATMUL
    forward: object
    local_grads: tuple
    vjps: tuple
    rule_templates: tuple
    role: str
    arg_names: tuple = ("a", "b")  # the letters used by `rules`
    domain: str = ""  # what goes wrong when the value is inf or NaN

    @property
    def arity(self):
        return len(self.local_grads)

    @property
    def rules(self):
        """The TeX rule for each input, written with the op's own letters (z = op(a, b))."""
        names = dict(zip(("a", "b"), self.arg_names, strict=False))
        return tuple(
            render_rule(t, z="z", a=names.get("a", "a"), b=names.get("b", "b"), size=None)
            for t in self.rule_templates
        )


def render_rule(template, z, a, b="", size=1, exponent=None):
    """Fill a rule template: z, a, b are TeX for the node and its parents; size is the number of
    elements a reduction averages over (None: the letter N).

    Templates may use $ai/$bi/$zi (the element i of a tensor, the plain name for a number),
    $over (1/N for a mean over N elements, empty for one) and $n/$nm1 (a power's n and n - 1).
    """

    def element(tex):
        return tex if size == 1 else "{" + tex + "}_{i}"

    fields = {
        "z": z,
        "a": a,
        "b": b,
        "ai": element(a),
        "bi": element(b),
        "zi": element(z),
        "over": "" if size == 1 else r"\frac{1}{" + str(size or "N") + r"}\,",
        "N": str(size or "N"),
        "n": format_number(exponent) if exponent is not None else "n",
        "nm1": format_number(exponent - 1) if exponent is not None else "n - 1",
    }
    return Template(template).substitute(fields)


def format_number(x):
    """A number as a student would write it: 3 rather than 3.0."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def unbroadcast(g, shape):
    """Sum a gradient over the axes that broadcasting added, so it is shaped like the parent."""
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g if shape else g.item()


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _pow(a, n):
    n = float(n)
    if not n.is_integer() and np.any(np.asarray(a) < 0):
        return np.nan  # reported at the node with the domain sentence below
    return a**n


def _pow_local(out, a, n):
    n = float(n)
    return n * a ** (n - 1.0)


def _bce(p, t):
    return np.mean(-(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)))


def _size(*args):
    return np.broadcast(*args).size


# The gradient of a loss with respect to its inputs, over the broadcast shape of (p, t).
def _bce_dp(out, p, t):
    return (p - t) / (p * (1.0 - p)) / _size(p, t)


def _bce_dt(out, p, t):
    return (np.log(1.0 - p) - np.log(p)) / _size(p, t)


def _mse_dp(out, p, t):
    return 2.0 * (p - t) / _size(p, t)


def _mse_dt(out, p, t):
    return -2.0 * (p - t) / _size(p, t)


# Matrix product z = A @ B. Its local gradient for B is A (and for a vector A, B^T): the Jacobian
# is two-dimensional there. For a matrix A the Jacobian has three or four dimensions: None.
def _matmul_local_a(out, A, B):
    if np.ndim(A) == 1:
        return B.T if np.ndim(B) == 2 else B
    return None


def _matmul_local_b(out, A, B):
    if np.ndim(B) == 1:
        return A
    return None


def _matmul_vjp_a(g, out, A, B):
    if np.ndim(A) == 2:
        return np.outer(g, B) if np.ndim(B) == 1 else g @ B.T  # upstream times B^T
    return B @ g if np.ndim(B) == 2 else g * B


def _matmul_vjp_b(g, out, A, B):
    if np.ndim(A) == 2:
        return A.T @ g  # A^T times upstream: the transpose of the forward weights
    return np.outer(A, g) if np.ndim(B) == 2 else g * A


def _one(out, *args):
    return 1.0


def _minus_one(out, *args):
    return -1.0


D = r"\frac{\partial $z}{\partial $a}"
E = r"\frac{\partial $z}{\partial $b}"
DI = r"\frac{\partial $z}{\partial $ai}"  # for reductions: one element of the input
EI = r"\frac{\partial $z}{\partial $bi}"
NUMBER = r"\text{$b is a number: nothing flows back into it}"

_ROWS = [
    Op(
        "add",
        "+",
        ELEMENTWISE,
        lambda a, b: a + b,
        (_one, _one),
        (None, None),
        (D + " = 1", E + " = 1"),
        "Add hands the upstream gradient to both inputs unchanged.",
    ),
    Op(
        "sub",
        "−",
        ELEMENTWISE,
        lambda a, b: a - b,
        (_one, _minus_one),
        (None, None),
        (D + " = 1", E + " = -1"),
        "Subtract hands the upstream gradient to the first input unchanged and to the second "
        "with its sign flipped.",
    ),
    Op(
        "mul",
        "×",
        ELEMENTWISE,
        lambda a, b: a * b,
        (lambda out, a, b: b, lambda out, a, b: a),
        (None, None),
        (D + " = $b", E + " = $a"),
        "Multiply sends each input the other input times the upstream gradient.",
        arg_names=("w", "x"),
    ),
    Op(
        "div",
        "÷",
        ELEMENTWISE,
        lambda a, b: a / b,
        (lambda out, a, b: 1.0 / b, lambda out, a, b: -a / (b * b)),
        (None, None),
        (D + r" = \frac{1}{$b}", E + r" = -\frac{$a}{$b^{2}}"),
        "Divide sends the numerator the upstream gradient divided by the denominator, and the "
        "denominator the upstream gradient times minus the numerator over the denominator squared.",
        domain="division by zero (or by a number so small the result overflows)",
    ),
    Op(
        "pow",
        "^",
        ELEMENTWISE,
        _pow,
        (_pow_local, None),
        (None, None),
        (D + r" = $n\,$a^{$nm1}", NUMBER),
        "A power sends its base n times the base to the power n − 1 times the upstream gradient; "
        "the exponent is a number and gets nothing.",
        arg_names=("a", "n"),
        domain="a power that is not a whole number needs a positive base; a negative power needs "
        "a base that is not zero",
    ),
    Op(
        "neg",
        "−",
        ELEMENTWISE,
        lambda a: -a,
        (_minus_one,),
        (None,),
        (D + " = -1",),
        "Negation sends the upstream gradient back with its sign flipped.",
    ),
    Op(
        "identity",
        "=",
        ELEMENTWISE,
        lambda a: a,
        (_one,),
        (None,),
        (D + " = 1",),
        "A copy passes the upstream gradient through unchanged.",
    ),
    Op(
        "matmul",
        "@",
        MATMUL,
        lambda a, b: a @ b,
        (_matmul_local_a, _matmul_local_b),
        (_matmul_vjp_a, _matmul_vjp_b),
        (
            r"\frac{\partial {${z}}_{i}}{\partial [$a]_{ij}} = [$b]_{j},\quad "
            r"\bar{$a} = \bar{$z}\,$b^{T}",
            D.replace("$a", "$b") + r" = $a,\quad \bar{$b} = $a^{T}\,\bar{$z}",
        ),
        "A matrix product sends its right input the transposed matrix times the upstream gradient, "
        "and its matrix the upstream gradient times the transposed right input.",
        arg_names=("W", "a"),
    ),
    Op(
        "sigmoid",
        "σ",
        ELEMENTWISE,
        _sigmoid,
        (lambda out, a: out * (1.0 - out),),
        (None,),
        (D + " = $z(1 - $z)",),
        "Sigmoid scales the upstream gradient by σ(1 − σ), at most 1/4, so little passes once "
        "the neuron saturates.",
    ),
    Op(
        "relu",
        "relu",
        ELEMENTWISE,
        lambda a: np.maximum(a, 0.0),
        (lambda out, a: (np.asarray(a) > 0).astype(float) if np.ndim(a) else float(a > 0),),
        (None,),
        (D + r" = \begin{cases}1 & $a > 0\\ 0 & \text{otherwise}\end{cases}",),
        "ReLU passes the upstream gradient where the input was positive and blocks it elsewhere.",
    ),
    Op(
        "tanh",
        "tanh",
        ELEMENTWISE,
        np.tanh,
        (lambda out, a: 1.0 - out * out,),
        (None,),
        (D + " = 1 - $z^{2}",),
        "Tanh scales the upstream gradient by 1 − tanh², which fades as the unit saturates.",
    ),
    Op(
        "exp",
        "exp",
        ELEMENTWISE,
        np.exp,
        (lambda out, a: out,),
        (None,),
        (D + r" = e^{$a} = $z",),
        "Exp scales the upstream gradient by its own output.",
        domain="exp overflows for inputs above about 709",
    ),
    Op(
        "log",
        "log",
        ELEMENTWISE,
        np.log,
        (lambda out, a: 1.0 / a,),
        (None,),
        (D + r" = \frac{1}{$a}",),
        "Log divides the upstream gradient by its input.",
        domain="log needs inputs greater than 0",
    ),
    Op(
        "max",
        "max",
        ELEMENTWISE,
        np.maximum,
        (
            lambda out, a, b: (np.asarray(a) >= b).astype(float) if np.ndim(out) else float(a >= b),
            lambda out, a, b: (np.asarray(a) < b).astype(float) if np.ndim(out) else float(a < b),
        ),
        (None, None),
        (
            D + r" = \begin{cases}1 & $a \ge $b\\ 0 & \text{otherwise}\end{cases}",
            E + r" = \begin{cases}1 & $b > $a\\ 0 & \text{otherwise}\end{cases}",
        ),
        "Max routes the upstream gradient to the larger input (on a tie, to the first) and sends "
        "nothing to the other.",
    ),
    Op(
        "sum",
        "sum",
        REDUCTION,
        np.sum,
        (lambda out, a: np.ones_like(a) if np.ndim(a) else 1.0,),
        (None,),
        (DI + " = 1",),
        "Sum hands the upstream gradient unchanged to every element of its input.",
    ),
    Op(
        "mean",
        "mean",
        REDUCTION,
        np.mean,
        (lambda out, a: np.full(np.shape(a), 1.0 / np.size(a)) if np.ndim(a) else 1.0,),
        (None,),
        (DI + r" = \frac{1}{$N}",),
        "Mean shares the upstream gradient equally: every element gets it divided by the number "
        "of elements.",
    ),
    Op(
        "bce",
        "bce",
        REDUCTION,
        _bce,
        (_bce_dp, _bce_dt),
        (None, None),
        (
            DI + r" = $over\frac{$ai - $bi}{$ai(1 - $ai)}",
            EI + r" = $over\log\frac{1 - $ai}{$ai}",
        ),
        "Binary cross-entropy starts the backward pass: each prediction p gets (p − t)/(p(1 − p)) "
        "over the number of elements, which a sigmoid before it turns into p − t.",
        arg_names=("p", "t"),
        domain="bce needs every prediction strictly between 0 and 1 (no clipping is applied: a "
        "sigmoid that rounds to exactly 0 or 1 cannot be scored)",
    ),
    Op(
        "mse",
        "mse",
        REDUCTION,
        lambda p, t: np.mean((p - t) ** 2),
        (_mse_dp, _mse_dt),
        (None, None),
        (DI + r" = $over 2($ai - $bi)", EI + r" = -$over 2($ai - $bi)"),
        "Mean squared error starts the backward pass: each prediction gets twice its error over "
        "the number of elements, and the target the opposite.",
        arg_names=("p", "t"),
    ),
]

OPS = {row.name: row for row in _ROWS}

# Python operators and the function names of the grammar, mapped to rows of the table.
BINARY_OPERATORS = {
    "Add": "add",
    "Sub": "sub",
    "Mult": "mul",
    "Div": "div",
    "Pow": "pow",
    "MatMult": "matmul",
}
FUNCTIONS = ("sigmoid", "relu", "tanh", "exp", "log", "max", "sum", "mean", "bce", "mse")

# Roles of the nodes that are not operations.
INPUT_ROLE = (
    "An input: it receives the signals of every node it feeds, added up, and sends nothing further."
)
CONST_ROLE = "A number written in the program: nothing flows back into it."
