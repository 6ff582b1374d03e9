"""Every row of the op table against central finite differences: local gradients and signals."""

import numpy as np
import pytest

from lessonengine.engine.ops import (
    ELEMENTWISE,
    MATMUL,
    OPS,
    OUTER,
    REDUCTION,
    TRANSPOSE,
    unbroadcast,
)
from lessonengine.engine.tex import render_rule

RNG = np.random.default_rng(7)
V = np.array([0.3, -1.2, 0.8])  # a vector away from every kink (0 for relu, ties for max)
W = np.array([[0.5, -0.4, 0.9], [1.1, 0.2, -0.7]])
POSITIVE = np.array([0.4, 1.3, 2.2])
PROB = np.array([0.2, 0.65, 0.9])
TARGET = np.array([0.0, 1.0, 0.3])

# Arguments for each op: scalars, vectors, matrices, and broadcasting (a number with a vector,
# a vector with a matrix). The exponent of a power is a number; nothing flows back into it.
CASES = {
    "add": [(1.5, -0.5), (V, -V * 2), (2.0, V), (W, V), (V[:, None], V), (V[:1], W)],
    "sub": [(1.5, -0.5), (V, POSITIVE), (V, 3.0), (W, V)],
    "mul": [(1.5, -0.5), (V, POSITIVE), (-2.0, V), (W, V)],
    "div": [(1.5, -0.5), (V, POSITIVE), (V, 2.5), (W, POSITIVE)],
    "pow": [
        (1.5, 3.0),
        (V, 2.0),
        (-V, 3.0),
        (POSITIVE, 0.5),
        (POSITIVE, -2.0),
        (POSITIVE, V),
        (2.0, POSITIVE),
        (POSITIVE, 0.0),
    ],
    "neg": [(1.5,), (V,), (W,)],
    "identity": [(1.5,), (V,), (W,)],
    "transpose": [(1.5,), (V,), (W,)],
    "matmul": [(W, V), (W, W.T), (V[:2], W), (V, POSITIVE)],
    "outer": [(V, POSITIVE), (V, V[:2]), (V[:1], POSITIVE)],
    "sigmoid": [(0.7,), (V,), (W,)],
    "relu": [(0.7,), (-0.7,), (V,), (W,)],
    "tanh": [(0.7,), (V,), (W,)],
    "exp": [(0.7,), (V,), (W,)],
    "log": [(0.7,), (POSITIVE,), (W * W + 0.1,)],
    "max": [(0.7, -0.2), (V, -V), (V, 0.1), (W, V), (V, V), (1.0, 1.0)],
    "sum": [(0.7,), (V,), (W,)],
    "mean": [(0.7,), (V,), (W,)],
    "bce": [(0.7, 1.0), (PROB, TARGET), (PROB, 1.0), (0.3, np.array([1.0, 0.0]))],
    "mse": [(0.7, 1.0), (V, TARGET), (W, V), (0.5, V), (V[:, None], V)],
}
H = 1e-6


def _jacobian(op, args, slot):
    """d out / d args[slot] by central differences, as (out elements) x (input elements)."""
    x = np.asarray(args[slot], dtype=float)
    out = np.asarray(op.forward(*args), dtype=float)
    jac = np.zeros((out.size, x.size))
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = H
        plus, minus = list(args), list(args)
        plus[slot] = (x.ravel() + step).reshape(x.shape) if x.shape else float(x + H)
        minus[slot] = (x.ravel() - step).reshape(x.shape) if x.shape else float(x - H)
        diff = np.asarray(op.forward(*plus)) - np.asarray(op.forward(*minus))
        jac[:, k] = np.ravel(diff) / (2 * H)
    return jac


def _params():
    for name, cases in CASES.items():
        for k, args in enumerate(cases):
            shapes = "_".join("x".join(map(str, np.shape(a))) or "scalar" for a in args)
            yield pytest.param(name, args, id=f"{name}-{k}-{shapes}")


def test_every_op_has_cases():
    assert set(CASES) == set(OPS)


@pytest.mark.parametrize(("name", "args"), list(_params()))
def test_local_gradient_matches_finite_differences(name, args):
    op = OPS[name]
    out = op.forward(*args)
    for slot, local in enumerate(op.local_grads):
        value = local(out, *args)
        if name == "pow" and slot == 1 and np.any(np.asarray(args[0]) < 0):
            # ln of a negative base: the engine reports it at the node when the gradient is
            # needed (a written exponent such as x ** 3 needs none).
            assert not np.all(np.isfinite(value))
            continue
        jac = _jacobian(op, args, slot)
        arg_shape = np.shape(args[slot])
        out_shape = np.shape(out)
        if op.kind == ELEMENTWISE:
            # The elementwise derivative: d out_i / d arg_i, summed over broadcast copies.
            expected = unbroadcast(np.broadcast_to(value, out_shape), arg_shape)
            numeric = jac.sum(axis=0).reshape(arg_shape)
            np.testing.assert_allclose(expected, numeric, rtol=1e-6, atol=1e-8, err_msg=name)
        elif op.kind == REDUCTION:
            # The gradient with respect to the input, shaped like it.
            got = unbroadcast(value, arg_shape)
            np.testing.assert_allclose(
                got, jac.reshape(arg_shape), rtol=1e-6, atol=1e-8, err_msg=name
            )
        elif op.kind == TRANSPOSE:
            assert value is None  # a permutation: its vector-Jacobian product says it all
        else:
            assert op.kind in (MATMUL, OUTER)
            if value is None:  # a Jacobian of more than two dimensions
                assert len(out_shape) + len(arg_shape) > 2
                continue
            np.testing.assert_allclose(
                np.reshape(value, jac.shape), jac, rtol=1e-6, atol=1e-8, err_msg=name
            )


@pytest.mark.parametrize(("name", "args"), list(_params()))
def test_signal_is_vector_jacobian_product(name, args):
    """What an op sends back to each input is J^T g, shaped like that input."""
    op = OPS[name]
    out = op.forward(*args)
    g = RNG.normal(size=np.shape(out)) if np.shape(out) else 0.7
    for slot, local in enumerate(op.local_grads):
        if name == "pow" and slot == 1 and np.any(np.asarray(args[0]) < 0):
            continue  # see above
        vjp = op.vjp(slot)
        if vjp is not None:
            signal = vjp(g, out, *args)
        else:
            signal = unbroadcast(g * local(out, *args), np.shape(args[slot]))
        assert np.shape(signal) == np.shape(args[slot])
        expected = (_jacobian(op, args, slot).T @ np.ravel(g)).reshape(np.shape(args[slot]))
        np.testing.assert_allclose(signal, expected, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("name", list(OPS))
def test_row_is_complete(name):
    op = OPS[name]
    assert len(op.rules) == op.arity and len(op.vjps) in (0, op.arity)
    for ndims in ((2, 1), (2, 2), (1, 2), (1, 1)) if op.kind == MATMUL else ((),):
        for slot in range(op.arity):
            template = op.rule(slot, ndims)
            assert template.startswith((r"\frac{\partial ", r"\text")), template
    for ndims in ((2, 1), (2, 2), (1, 2), (1, 1)) if op.kind == MATMUL else ((),):
        role = op.role_for(ndims)
        assert role.endswith(".") and len(role) < 200
    assert op.symbol


def test_multiply_rule_is_the_lesson_rule():
    assert (
        render_rule(OPS["mul"].rule(0), z="z", a="w", b="x") == r"\frac{\partial z}{\partial w} = x"
    )
    assert "unchanged" in OPS["add"].role
    assert "larger" in OPS["max"].role
    assert "positive" in OPS["relu"].role


def test_unbroadcast_sums_the_broadcast_axes():
    g = np.ones((2, 3))
    assert unbroadcast(g, ()) == 6.0
    np.testing.assert_array_equal(unbroadcast(g, (3,)), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(unbroadcast(g, (2, 1)), [[3.0], [3.0]])
    assert unbroadcast(g, (2, 3)) is g
    # Axes align from the right, as numpy's: (3,) against (2, 3) is the last axis.
    g = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(unbroadcast(g, (3,)), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(unbroadcast(g, (1, 3)), [[3.0, 5.0, 7.0]])
    # A gradient smaller than its parent (a number sent to a vector) is expanded to it.
    np.testing.assert_array_equal(unbroadcast(0.5, (2,)), [0.5, 0.5])
    np.testing.assert_array_equal(unbroadcast(np.ones(3), (2, 3)), np.ones((2, 3)))
