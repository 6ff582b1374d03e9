"""The matrix product z = A @ B, the one op whose rules depend on its operands' orientation.

Its local gradient is a two-dimensional Jacobian where one operand is a vector: dz/dB = A for
A @ b, dz/da = B^T for a @ B, and the other vector for u @ v. For a matrix operand the Jacobian
has three or four dimensions; the signal is what the lesson writes for it: upstream times B^T,
or A^T times upstream. Its row in the op table (`ops.py`) takes everything from here.
"""

import numpy as np

from lessonengine.engine.tex import D, E


def local_a(out, A, B):
    """dz/dA where A is a vector (a Jacobian of at most two axes), else None: the rule alone."""
    if np.ndim(A) == 1:
        return B.T if np.ndim(B) == 2 else B
    return None


def local_b(out, A, B):
    """dz/dB where B is a vector (a Jacobian of at most two axes), else None: the rule alone."""
    return A if np.ndim(B) == 1 else None


def vjp_a(g, out, A, B):
    """The signal to A: upstream times B^T, in each orientation."""
    if np.ndim(A) == 2:
        return np.outer(g, B) if np.ndim(B) == 1 else g @ B.T  # upstream times B^T
    return B @ g if np.ndim(B) == 2 else g * B


def vjp_b(g, out, A, B):
    """The signal to B: A^T times upstream, in each orientation."""
    if np.ndim(A) == 2:
        return A.T @ g  # A^T times upstream: the transpose of the forward weights
    return np.outer(A, g) if np.ndim(B) == 2 else g * A


L_OVER = r"\frac{\partial L}{\partial $z}"
# The rules of z = A @ B for each orientation (ndim of A, ndim of B): the local gradient by
# indices where the Jacobian has more than two dimensions, and the signal in the lesson's notation.
RULES = {
    (2, 1): (
        r"\frac{\partial {$z}_{i}}{\partial {$a}_{ij}} = {$b}_{j},\quad "
        r"\frac{\partial L}{\partial $a} = " + L_OVER + r"\, $b^{\top}",
        E + r" = $a,\quad \frac{\partial L}{\partial $b} = $a^{\top} " + L_OVER,
    ),
    (2, 2): (
        r"\frac{\partial {$z}_{ik}}{\partial {$a}_{ij}} = {$b}_{jk},\quad "
        r"\frac{\partial L}{\partial $a} = " + L_OVER + r"\, $b^{\top}",
        r"\frac{\partial {$z}_{ik}}{\partial {$b}_{jk}} = {$a}_{ij},\quad "
        r"\frac{\partial L}{\partial $b} = $a^{\top} " + L_OVER,
    ),
    (1, 2): (
        D + r" = $b^{\top},\quad \frac{\partial L}{\partial $a} = $b\, " + L_OVER,
        r"\frac{\partial {$z}_{k}}{\partial {$b}_{jk}} = {$a}_{j},\quad "
        r"\frac{\partial L}{\partial $b} = $a \left(" + L_OVER + r"\right)^{\top}",
    ),
    (1, 1): (D + " = $b", E + " = $a"),
}
ROLES = {
    (2, 1): "A matrix-vector product sends its vector the transposed matrix times the upstream "
    "gradient, and its matrix the outer product of the upstream gradient with the vector.",
    (2, 2): "A matrix product sends its left matrix the upstream gradient times the transposed "
    "right matrix, and its right matrix the transposed left matrix times the upstream gradient.",
    (1, 2): "A vector-matrix product sends its vector the matrix times the upstream gradient, "
    "and its matrix the outer product of the vector with the upstream gradient.",
    (1, 1): "A dot product sends each vector the other vector times the upstream gradient.",
}


def rule(slot):
    """The rule template of one operand, for the operands' numbers of dimensions."""

    def for_ndims(ndims, exponent):
        return RULES.get(tuple(ndims), RULES[(2, 1)])[slot]

    return for_ndims


def role(ndims):
    """The role sentence for the operands' numbers of dimensions."""
    return ROLES.get(tuple(ndims), ROLES[(2, 1)])
