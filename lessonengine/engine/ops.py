"""The one table of operations: forward, local gradients, TeX rules and roles, one row per op.

Adding an op is adding a row (micrograd's one-op-one-rule, autodidact's table of VJPs). A row is
``Op(name, symbol, forward, local_grads=..., rules=..., role=...)`` plus keywords where the
defaults do not fit:

- ``local_grads``: for each parent, ``local(out, *args)``: d node / d parent element by element,
  over the broadcast shape of the arguments (``None``: nothing flows back). Each is written in a
  numerically safe form with the special cases of PyTorch's derivative formulas
  (tools/autograd/derivatives.yaml), so that a finite derivative is never reported as inf or NaN.
- ``vjps``: for each parent, ``vjp(g, out, *args)``, the signal sent back given the upstream
  gradient ``g`` (the vector-Jacobian product), when it is not the plain chain rule: upstream
  times local, summed over the axes that broadcasting added (see ``unbroadcast``).
- ``rules``: for each parent, a TeX template with ``$z`` for the node and ``$a``/``$b`` for the
  parents (filled by ``lessonengine.engine.tex.render_rule``).
- ``role``: one sentence on what the op does in the backward pass.
- ``ranges``: for each parent, the interval its values must lie in for the op to mean what it
  says (a probability between 0 and 1), or ``None``; the engine notes a value outside it.
- ``domain``: what goes wrong when the value is inf or NaN; ``grad_domains``: the same for the
  local gradient of each parent.
- ``exprs``: for each parent, the local gradient as an expression in the program grammar
  ($z, $a, $b, $N as in the rules), so that a student's expression can be checked against it.
- ``kind``: ELEMENTWISE (broadcasts), REDUCTION (to one number), MATMUL, TRANSPOSE or OUTER.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lessonengine.engine import matmul
from lessonengine.engine.tex import DI, EI, D, E, format_number

ELEMENTWISE = "elementwise"
REDUCTION = "reduction"
MATMUL = "matmul"
TRANSPOSE = "transpose"
OUTER = "outer"  # two vectors to the matrix u vᵀ


@dataclass(frozen=True)
class Range:
    """An interval of allowed values; `why` says what the values mean (for the note)."""

    low: float
    high: float
    why: str
    low_open: bool = False
    high_open: bool = False

    def contains(self, value):
        """True when every element of `value` lies in the interval."""
        v = np.asarray(value, dtype=float)
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return bool(np.all(above & below))

    def tex(self):
        """The interval in TeX: [0, 1] or (0, 1)."""
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def to_dict(self):
        return {
            "min": self.low,
            "max": self.high,
            "min_open": self.low_open,
            "max_open": self.high_open,
        }


@dataclass(frozen=True)
class Op:
    """One row of the table (see the module docstring)."""

    name: str  # machine name, the `op` field of a node
    symbol: str  # short label for drawing an unnamed node
    forward: Callable
    local_grads: tuple
    rules: tuple  # per parent: a template, or rule(ndims, exponent) -> template
    role: object  # a sentence, or role(ndims) -> sentence
    kind: str = ELEMENTWISE
    vjps: tuple = ()  # empty: upstream times local for every parent
    ranges: tuple = ()
    domain: str = ""
    grad_domains: tuple = ()
    pole: tuple = ()  # (where(*args) -> bool, sentence): where the value is infinite by nature
    exprs: tuple = ()  # per parent: the local gradient in the program grammar, or None
    out_shape: Callable | None = None  # out_shape(shapes): the value's shape, else ValueError

    @property
    def arity(self):
        return len(self.local_grads)

    def vjp(self, slot):
        """The row's own vector-Jacobian product for this parent, or None for the plain rule."""
        return self.vjps[slot] if self.vjps else None

    def range(self, slot):
        return self.ranges[slot] if self.ranges else None

    def grad_domain(self, slot):
        return self.grad_domains[slot] if self.grad_domains else ""

    def rule(self, slot, ndims=(), exponent=None):
        """The TeX template of the local gradient for one parent, for operands of these numbers
        of dimensions (a matrix product's rule depends on them) and a power's constant exponent."""
        rule = self.rules[slot]
        return rule if isinstance(rule, str) else rule(ndims, exponent)

    def role_for(self, ndims=()):
        """The role sentence, for operands of these numbers of dimensions."""
        return self.role if isinstance(self.role, str) else self.role(ndims)


def unbroadcast(g, shape):
    """Sum a gradient over the axes that broadcasting added or stretched, so it has `shape`.

    Axes are aligned from the right, as numpy aligns them; a gradient smaller than `shape` (a
    number sent to a vector) is first broadcast to it. Returns a float for shape ().
    """
    g = np.asarray(g, dtype=float)
    if g.shape != shape:
        g = np.broadcast_to(g, np.broadcast_shapes(g.shape, shape))
        if g.ndim > len(shape):
            g = g.sum(axis=tuple(range(g.ndim - len(shape))))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if stretched:
            g = g.sum(axis=stretched, keepdims=True)
    return float(g) if not shape else g


def _size(*args):
    return np.broadcast(*args).size


def _sigmoid(a):
    # exp(-a) overflows to inf for a below about -709, and 1 / (1 + inf) is the right 0.
    return 1.0 / (1.0 + np.exp(-a))


def _tanh_local(out, a):
    # 1 - tanh^2 = 4e / (1 + e)^2 with e = exp(-2|a|): 1 - out * out cancels near |tanh| = 1.
    e = np.exp(-2.0 * np.abs(a))
    return 4.0 * e / (1.0 + e) ** 2


def _pow_local_base(out, a, n):
    # n * a**(n - 1), and 0 where n = 0 (PyTorch's pow_backward): 0 * a**-1 is NaN at a = 0.
    return np.where(n == 0, 0.0, n * np.power(a, n - 1.0))


def _pow_local_exponent(out, a, n):
    # a**n * ln a, and 0 where a = 0 and n >= 0 (PyTorch's pow_backward_exponent).
    with np.errstate(invalid="ignore"):  # ln of a negative base is NaN: reported at the node
        return np.where((a == 0) & (n >= 0), 0.0, out * np.log(np.where(a == 0, 1.0, a)))


def _bce(p, t):
    return np.mean(-(t * np.log(p) + (1.0 - t) * np.log1p(-p)))


# The gradient of a loss with respect to its inputs, over the broadcast shape of (p, t). The
# divisions come one at a time: p * (1 - p) underflows where (p - t) / p / (1 - p) does not.
def _bce_dp(out, p, t):
    return (p - t) / p / (1.0 - p) / _size(p, t)


def _bce_dt(out, p, t):
    return (np.log1p(-p) - np.log(p)) / _size(p, t)


def _mse_dp(out, p, t):
    return 2.0 * (p - t) / _size(p, t)


def _mse_dt(out, p, t):
    return -2.0 * (p - t) / _size(p, t)


def _max_local(first):
    # The larger input gets the upstream gradient; a tie splits it evenly, as torch.maximum and
    # HIPS autograd do (the two one-sided derivatives differ there, so any choice is a convention).
    def local(out, a, b):
        mine, other = (a, b) if first else (b, a)
        return np.where(mine > other, 1.0, np.where(mine == other, 0.5, 0.0))

    return local


def _power_rule(ndims, exponent):
    # d/da a^n, simplified for a constant n as a student writes it: 2a, not 2a^{1}; 1, not 1a^{0}.
    if exponent is None:
        return D + r" = $b\,$a^{$b - 1}"
    if exponent == 0:
        return D + " = 0"
    if exponent == 1:
        return D + " = 1"
    n, m = format_number(exponent), format_number(exponent - 1)
    return D + f" = {n}$a" if exponent == 2 else D + f" = {n}\\,$a^{{{m}}}"


def _outer_shape(shapes):
    # Two vectors only: numpy's outer would flatten a matrix, or make a number a 1 x 1 matrix.
    if [len(shape) for shape in shapes] != [1, 1]:
        raise ValueError("outer takes two vectors")
    return (shapes[0][0], shapes[1][0])


def _one(out, *args):
    return 1.0


def _minus_one(out, *args):
    return -1.0


PROBABILITY = Range(0.0, 1.0, "a probability", low_open=True, high_open=True)
LABEL = Range(0.0, 1.0, "a label of a cross-entropy loss is a probability: 0, 1 or in between")

_ROWS = [
    Op(
        "add",
        "+",
        lambda a, b: a + b,
        local_grads=(_one, _one),
        rules=(D + " = 1", E + " = 1"),
        role="Add hands the upstream gradient to both inputs unchanged.",
        exprs=("1", "1"),
    ),
    Op(
        "sub",
        "−",
        lambda a, b: a - b,
        local_grads=(_one, _minus_one),
        rules=(D + " = 1", E + " = -1"),
        role="Subtract hands the upstream gradient to the first input unchanged and to the "
        "second with its sign flipped.",
        exprs=("1", "-1"),
    ),
    Op(
        "mul",
        "×",
        lambda a, b: a * b,
        local_grads=(lambda out, a, b: b, lambda out, a, b: a),
        rules=(D + " = $b", E + " = $a"),
        role="Multiply sends each input the other input times the upstream gradient.",
        exprs=("$b", "$a"),
    ),
    Op(
        "div",
        "÷",
        lambda a, b: a / b,
        # -(a / b) / b rather than -a / (b * b): b * b underflows to 0 for |b| below 1e-162.
        local_grads=(lambda out, a, b: 1.0 / b, lambda out, a, b: -(a / b) / b),
        rules=(D + r" = \frac{1}{$b}", E + r" = -\frac{$a}{$b^{2}}"),
        role="Divide sends the numerator the upstream gradient divided by the denominator, and "
        "the denominator the upstream gradient times minus the numerator over the denominator "
        "squared.",
        domain="division by zero (or a quotient too large for a float)",
        pole=(lambda a, b: np.any(np.asarray(b) == 0), "division by zero"),
        exprs=("1/$b", "-$a/$b**2"),
    ),
    Op(
        "pow",
        "^",
        np.power,
        local_grads=(_pow_local_base, _pow_local_exponent),
        rules=(_power_rule, E + r" = $a^{$b}\,\ln $a"),
        role="A power sends its base n times the base to the power n − 1 times the upstream "
        "gradient, and its exponent the power times the natural log of the base (a number "
        "written in the program gets nothing).",
        domain="a power with an exponent that is not a whole number needs a base that is not "
        "negative, and a negative power needs a base that is not zero",
        grad_domains=("", "the gradient of the exponent, a^n ln a, needs a positive base"),
        pole=(
            lambda a, n: np.any((np.asarray(a) == 0) & (np.asarray(n) < 0)),
            "a negative power needs a base that is not zero",
        ),
        exprs=("$b*$a**($b - 1)", "$a**$b*log($a)"),
    ),
    Op(
        "neg",
        "−",
        lambda a: -a,
        local_grads=(_minus_one,),
        rules=(D + " = -1",),
        role="Negation sends the upstream gradient back with its sign flipped.",
        exprs=("-1",),
    ),
    Op(
        "identity",
        "=",
        lambda a: a,
        local_grads=(_one,),
        rules=(D + " = 1",),
        role="A copy passes the upstream gradient through unchanged.",
        exprs=("1",),
    ),
    Op(
        "matmul",
        "@",
        lambda a, b: a @ b,
        kind=MATMUL,
        local_grads=(matmul.local_a, matmul.local_b),
        vjps=(matmul.vjp_a, matmul.vjp_b),
        rules=(matmul.rule(0), matmul.rule(1)),
        role=matmul.role,
    ),
    Op(
        "transpose",
        "ᵀ",
        np.transpose,
        kind=TRANSPOSE,
        local_grads=(lambda out, a: None,),  # a permutation of the elements: the rule alone
        vjps=(lambda g, out, a: np.transpose(g),),
        rules=(
            r"\frac{\partial L}{\partial $a} = \left(\frac{\partial L}{\partial $z}\right)^{\top}",
        ),
        role="A transpose sends back the upstream gradient transposed: each element returns to "
        "the place it came from.",
    ),
    Op(
        "outer",
        "⊗",
        np.outer,
        kind=OUTER,
        out_shape=_outer_shape,
        # d z_ij / d u_k is a Jacobian of three axes: the rule and the VJPs alone, as a matmul's.
        local_grads=(lambda out, u, v: None, lambda out, u, v: None),
        vjps=(lambda g, out, u, v: g @ v, lambda g, out, u, v: u @ g),
        rules=(
            r"\frac{\partial {$z}_{ij}}{\partial {$a}_{i}} = {$b}_{j},\quad "
            r"\frac{\partial L}{\partial $a} = \frac{\partial L}{\partial $z}\, $b",
            r"\frac{\partial {$z}_{ij}}{\partial {$b}_{j}} = {$a}_{i},\quad "
            r"\frac{\partial L}{\partial $b} = "
            r"\left(\frac{\partial L}{\partial $z}\right)^{\top} $a",
        ),
        role="An outer product u vᵀ sends u the upstream gradient times v, and v the "
        "transposed upstream gradient times u.",
    ),
    Op(
        "sigmoid",
        "σ",
        _sigmoid,
        # From the output, as PyTorch's sigmoid_backward: then bce's 1 / (a(1 - a)) cancels it
        # exactly, and the neuron's dL/dz is a - y even where a rounds near 1.
        local_grads=(lambda out, a: out * (1.0 - out),),
        rules=(D + " = $z(1 - $z)",),
        role="Sigmoid scales the upstream gradient by σ(1 − σ), at most 1/4, so little passes "
        "once the neuron saturates.",
        exprs=("$z*(1 - $z)",),
    ),
    Op(
        "relu",
        "relu",
        lambda a: np.maximum(a, 0.0),
        # At 0 the two one-sided slopes are 0 and 1; 0 is PyTorch's choice too.
        local_grads=(lambda out, a: np.where(a > 0, 1.0, 0.0),),
        rules=(D + r" = \begin{cases}1 & $a > 0\\ 0 & $a \le 0\end{cases}",),
        role="ReLU passes the upstream gradient where the input was positive and blocks it "
        "elsewhere.",
        exprs=("relu($a)/$a",),  # 0/0 at the kink only
    ),
    Op(
        "tanh",
        "tanh",
        np.tanh,
        local_grads=(_tanh_local,),
        rules=(D + " = 1 - $z^{2}",),
        role="Tanh scales the upstream gradient by 1 − tanh², which fades as the unit saturates.",
        exprs=("1 - $z**2",),
    ),
    Op(
        "exp",
        "exp",
        np.exp,
        local_grads=(lambda out, a: out,),  # the output is its own derivative: no second exp
        rules=(D + r" = e^{$a} = $z",),
        role="Exp scales the upstream gradient by its own output.",
        domain="exp overflows for inputs above about 709",
        exprs=("$z",),
    ),
    Op(
        "log",
        "log",
        np.log,
        local_grads=(lambda out, a: 1.0 / a,),
        rules=(D + r" = \frac{1}{$a}",),
        role="Log divides the upstream gradient by its input.",
        domain="log needs inputs greater than 0",
        pole=(
            lambda a: np.any(np.asarray(a) == 0),
            "log needs inputs greater than 0 (log 0 is minus infinity)",
        ),
        exprs=("1/$a",),
    ),
    Op(
        "max",
        "max",
        np.maximum,
        local_grads=(_max_local(True), _max_local(False)),
        rules=(
            D + r" = \begin{cases}1 & $a > $b\\ \tfrac{1}{2} & $a = $b\\ 0 & $a < $b\end{cases}",
            E + r" = \begin{cases}1 & $b > $a\\ \tfrac{1}{2} & $b = $a\\ 0 & $b < $a\end{cases}",
        ),
        role="Max routes the upstream gradient to the larger input and sends nothing to the "
        "other; on a tie each gets half.",
        exprs=("relu($a - $b)/($a - $b)", "relu($b - $a)/($b - $a)"),
    ),
    Op(
        "sum",
        "sum",
        np.sum,
        kind=REDUCTION,
        local_grads=(_one,),
        rules=(DI + " = 1",),
        role="Sum hands the upstream gradient unchanged to every element of its input.",
        exprs=("1 + 0*$a",),  # ones shaped like the input
    ),
    Op(
        "mean",
        "mean",
        np.mean,
        kind=REDUCTION,
        local_grads=(lambda out, a: 1.0 / np.size(a),),
        rules=(DI + r" = \frac{1}{$N}",),
        role="Mean shares the upstream gradient equally: every element gets it divided by the "
        "number of elements.",
        exprs=("1/$N + 0*$a",),
    ),
    Op(
        "bce",
        "bce",
        _bce,
        kind=REDUCTION,
        local_grads=(_bce_dp, _bce_dt),
        rules=(
            DI + r" = $over\frac{$ai - $bi}{$ai(1 - $ai)}",
            EI + r" = $over\log\left(\frac{1 - $ai}{$ai}\right)",
        ),
        role="Binary cross-entropy starts the backward pass: a prediction a with label y gets "
        "(a − y)/(a(1 − a)) divided by the number of predictions; a sigmoid before it cancels "
        "a(1 − a) and leaves a − y.",
        ranges=(PROBABILITY, LABEL),
        domain="bce needs every prediction strictly between 0 and 1 (no clipping is applied: a "
        "sigmoid that rounds to exactly 0 or 1 cannot be scored)",
        exprs=("($a - $b)/($a*(1 - $a))/$N", "log((1 - $a)/$a)/$N"),
    ),
    Op(
        "mse",
        "mse",
        lambda p, t: np.mean((p - t) ** 2),
        kind=REDUCTION,
        local_grads=(_mse_dp, _mse_dt),
        rules=(DI + r" = $over 2($ai - $bi)", EI + r" = -$over 2($ai - $bi)"),
        role="Mean squared error starts the backward pass: each prediction gets twice its error "
        "over the number of elements, and the target the opposite.",
        exprs=("2*($a - $b)/$N", "-2*($a - $b)/$N"),
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
FUNCTIONS = (
    "sigmoid",
    "relu",
    "tanh",
    "exp",
    "log",
    "max",
    "sum",
    "mean",
    "bce",
    "mse",
    "transpose",
    "outer",
)
# Ops whose derivative jumps where these ops switch branches (for the notes and the check).
PIECEWISE = ("relu", "max")

# Roles of the nodes that are not operations.
INPUT_ROLE = (
    "An input: it receives the signals of every node it feeds, added up, and sends nothing further."
)
CONST_ROLE = "A number written in the program: nothing flows back into it."
