"""Every op of the table against an independent reference (HIPS autograd), on every pair of
shapes that broadcast, with zeros, ties and magnitudes from 1e-150 to 1e6.

The reference computes the same program: L = sum(c * op(a, b)) for an elementwise op or a matrix
product (c weights each output element, so the upstream gradient is not all ones), and
L = op(a, b) for a reduction. The engine's value, the grad of every input and every signal the
op sends must equal the reference's to 1e-9 relative, and every signal has its parent's shape.
Where the engine reports an error, the reference's value or gradient must not be finite: an
error only where the true value is not finite.
"""

import itertools
import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad
from autograd.extend import defvjp, primitive
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lessonengine.engine.gradcheck import gradient_check
from lessonengine.engine.ops import ELEMENTWISE, MATMUL, OPS, OUTER, REDUCTION
from lessonengine.errors import GraphError
from lessonengine.graph import Graph

SHAPES = [(), (1,), (3,), (1, 3), (3, 1), (2, 3)]
RTOL = 1e-9
# A signal summed over broadcast axes may cancel to (nearly) 0; its rounding is then relative to
# the terms summed, not to the sum: SUM_ROUNDING times the largest possible sum of |terms|.
SUM_ROUNDING = 1e-13
SUBNORMAL = 1e-280  # below this, floats lose relative precision


def _relu(a):
    # autograd's maximum splits a tie at 0; PyTorch's relu (and ours) send 0 there.
    return anp.where(a > 0, a, 0.0)


@primitive
def _sigmoid(a):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


# The slope from the output, as PyTorch's sigmoid_backward and scipy's expit in autograd have it.
defvjp(_sigmoid, lambda ans, a: lambda g: g * ans * (1.0 - ans))


def _bce(p, t):
    return anp.mean(-(t * anp.log(p) + (1.0 - t) * anp.log1p(-p)))


REFERENCE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: anp.power(a, b),
    "neg": lambda a: -a,
    "identity": lambda a: a,
    "transpose": anp.transpose,
    "matmul": lambda a, b: anp.dot(a, b) if anp.ndim(a) < 2 else anp.matmul(a, b),
    "sigmoid": _sigmoid,
    "relu": _relu,
    "tanh": anp.tanh,
    "exp": anp.exp,
    "log": anp.log,
    "max": anp.maximum,
    "sum": anp.sum,
    "mean": anp.mean,
    "bce": _bce,
    "mse": lambda p, t: anp.mean((p - t) ** 2),
    "outer": anp.outer,
}


# A reference whose derivative adds terms that may cancel (bce at p = t: t/p - (1-t)/(1-p)) is
# itself only accurate relative to those terms: each part's gradient joins the bound.
PARTS = {
    "bce": (
        lambda p, t: anp.mean(-t * anp.log(p)),
        lambda p, t: anp.mean(-(1.0 - t) * anp.log1p(-p)),
    ),
}


def _broadcasts(*shapes):
    try:
        np.broadcast_shapes(*shapes)
        return True
    except ValueError:
        return False


def _cases():
    for name, op in OPS.items():
        if op.arity == 1:
            for shape in SHAPES:
                yield name, (shape,)
        elif op.kind == MATMUL:
            for a, b in itertools.product(SHAPES, repeat=2):
                if a and b and a[-1] == b[0] and len(a) + len(b) > 1:
                    yield name, (a, b)
        elif op.kind == OUTER:  # two vectors, of any lengths
            for a, b in itertools.product([s for s in SHAPES if len(s) == 1], repeat=2):
                yield name, (a, b)
        else:
            for a, b in itertools.product(SHAPES, repeat=2):
                if _broadcasts(a, b):
                    yield name, (a, b)


CASES = list(_cases())

# Magnitudes from 1e-150 to 1e6, both signs, zeros; the domain of each op narrows them below.
magnitudes = st.one_of(
    st.just(0.0),
    st.floats(min_value=-150, max_value=6).map(lambda e: 10.0**e),
    st.floats(min_value=-3, max_value=3).map(lambda v: round(v, 2)),
)
signed = st.tuples(magnitudes, st.booleans()).map(lambda m: -m[0] if m[1] else m[0])


def _domain(name, slot, x):
    """Map a drawn number into the op's domain (and keep exponents where powers stay finite)."""
    if name == "log" or (name == "pow" and slot == 0):
        return abs(x) if x != 0 else 0.5
    if name == "pow" and slot == 1:
        return float(np.clip(x, -4, 4))
    if name == "bce" and slot == 0:
        return float(np.clip(abs(x), 1e-12, 1 - 1e-12)) if abs(x) < 1 else 0.5
    if name == "bce" and slot == 1:
        return float(min(abs(x), 1.0))
    return x


@st.composite
def _arrays(draw, name, shapes):
    values = []
    for slot, shape in enumerate(shapes):
        n = int(np.prod(shape)) if shape else 1
        flat = [_domain(name, slot, draw(signed)) for _ in range(n)]
        values.append(np.array(flat).reshape(shape) if shape else np.float64(flat[0]))
    if len(values) == 2 and draw(st.booleans()) and np.shape(values[0]) == np.shape(values[1]):
        values[1] = np.array(values[0], copy=True) if shapes[0] else values[0]  # a tie
    return values


def _program(name):
    op = OPS[name]
    args = "a, b" if op.arity == 2 else "a"
    call = {
        "add": "a + b",
        "sub": "a - b",
        "mul": "a * b",
        "div": "a / b",
        "pow": "a ** b",
        "neg": "-a",
        "identity": None,
        "matmul": "a @ b",
    }.get(name, f"{name}({args})")
    if name == "identity":
        return "z = a\nL = sum(c * z)"
    if op.kind == REDUCTION:
        return f"L = {call}"
    return f"z = {call}\nL = sum(c * z)"


def _reference(name, values, c):
    """The value, the gradient of each input, and for each input a bound on the sum of |terms|
    its gradient adds up (from the gradient with every input broadcast to the full shape)."""
    f = REFERENCE[name]
    kind = OPS[name].kind

    def loss(*args):
        return f(*args) if kind == REDUCTION else anp.sum(c * f(*args))

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = loss(*values)
        grads = [autograd_grad(loss, slot)(*values) for slot in range(len(values))]
        if kind in (MATMUL, OUTER):  # bilinear: the gradient at |inputs| bounds |terms| summed
            absolute = [np.abs(v) for v in values]
            bounds = [
                np.max(
                    np.abs(autograd_grad(lambda *a: anp.sum(np.abs(c) * f(*a)), slot)(*absolute))
                )
                for slot in range(len(values))
            ]
        else:
            full = np.broadcast_shapes(*(np.shape(v) for v in values))
            spread = [np.broadcast_to(v, full).copy() if full else v for v in values]
            bounds = []
            for slot, v in enumerate(values):
                terms = np.abs(autograd_grad(loss, slot)(*spread))
                for part in PARTS.get(name, ()):
                    terms = terms + np.abs(autograd_grad(part, slot)(*spread))
                bounds.append(np.max(terms) * np.size(terms) / np.size(v))
    return value, grads, bounds


def _close(got, want, what, bound=0.0):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, reference {want.shape}"
    scale = np.maximum(np.abs(want), np.abs(got))
    assert np.all(np.abs(got - want) <= RTOL * scale + SUM_ROUNDING * bound + SUBNORMAL), (
        f"{what}: engine {got}, reference {want}"
    )


@pytest.mark.parametrize(("name", "shapes"), CASES, ids=[f"{n}-{s}" for n, s in CASES])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_op_matches_the_reference(name, shapes, data):
    values = data.draw(_arrays(name, shapes))
    op = OPS[name]
    names = ["a", "b"][: op.arity]
    inputs = dict(zip(names, values, strict=True))
    c = None
    if op.kind != REDUCTION:
        with np.errstate(all="ignore"):
            out_shape = np.shape(REFERENCE[name](*values))
        c = data.draw(st.lists(signed, min_size=1, max_size=1).map(lambda v: v[0]))
        c = np.full(out_shape, c if c != 0 else 1.5) if out_shape else (c if c != 0 else 1.5)
        inputs["c"] = c
    if name == "pow" and np.any((np.asarray(values[0]) == 0) & (np.asarray(values[1]) <= 0)):
        assume(False)  # 0 ** 0 and 0 ** -n: autograd's own formula gives NaN where torch gives 0
    want_value, want_grads, bounds = _reference(name, values, c)
    finite_reference = np.isfinite(want_value) and all(np.all(np.isfinite(g)) for g in want_grads)
    finite_reference = finite_reference and all(np.isfinite(b) for b in bounds)
    to_json = {
        k: (v.tolist() if isinstance(v, np.ndarray) else float(v)) for k, v in inputs.items()
    }
    try:
        g = Graph(_program(name), to_json)
    except GraphError as exc:
        assert not finite_reference, f"the engine refused a finite case: {exc.message}"
        return
    assume(finite_reference)  # the reference overflowed where the engine did not
    _close(g.value("L"), want_value, "value")
    op_node = g.node("L") if op.kind == REDUCTION else g.node("z")
    for slot, parent in enumerate(names):
        _close(g.grad(parent), want_grads[slot], f"grad of {parent}", bounds[slot])
        signal = g.signals[op_node.index][slot]
        assert np.shape(signal) == np.shape(values[slot]), f"signal to {parent}"
        _close(signal, want_grads[slot], f"signal to {parent}", bounds[slot])


def test_every_op_is_covered():
    assert {name for name, _ in CASES} == set(OPS)
    assert any(op.kind == ELEMENTWISE for op in OPS.values())


def test_an_outer_product_of_other_lengths_matches_the_reference():
    # (3,) and (2,): lengths the shared shapes above never pair, so rows and columns differ.
    u, v = np.array([0.5, -1.5, 2.0]), np.array([-0.25, 3.0])
    c = np.array([[1.0, -2.0], [0.5, 4.0], [-3.0, 1.5]])
    g = Graph("z = outer(u, v)\nL = sum(c * z)", {"u": u, "v": v, "c": c})
    loss = lambda u, v: anp.sum(c * anp.outer(u, v))  # noqa: E731
    _close(g.value("z"), np.outer(u, v), "value")
    _close(g.grad("u"), autograd_grad(loss, 0)(u, v), "grad of u")
    _close(g.grad("v"), autograd_grad(loss, 1)(u, v), "grad of v")


@pytest.mark.parametrize(
    "values",
    [{"u": 2.0, "v": 3.0}, {"u": [[1.0, 2.0]], "v": [1.0, 2.0]}, {"u": 2.0, "v": [1.0, 2.0]}],
)
def test_an_outer_product_takes_two_vectors_only(values):
    with pytest.raises(GraphError, match="outer"):
        Graph("L = sum(outer(u, v))", values)


def test_an_outer_product_in_a_network_agrees_with_central_differences():
    # An outer product as a layer's weights, then a matrix product and a loss.
    program = "M = outer(u, v)\nz = M @ x\nL = mse(sigmoid(z), y)"
    values = {"u": [0.5, -1.2], "v": [0.3, 2.0, -0.7], "x": [1.0, -0.5, 0.25], "y": [0.2, 0.9]}
    checks = gradient_check(Graph(program, values))
    assert {check["input"]: check["verdict"] for check in checks} == {
        "u": "agrees",
        "v": "agrees",
        "x": "agrees",
        "y": "agrees",
    }
