"""What computing every gradient costs, counted in scalar operations on the engine's own graph.

The counts come from each node's op and the shapes of its values, the same way for every node:

- forward: an elementwise op does one operation per element of its output, a reduction one per
  element of its input, a matrix product (m x k) @ (k x n) one multiply-add per m * k * n;
- backward: each signal a node sends to a parent is one vector-Jacobian product. For an
  elementwise op or a reduction that is the local derivative and its product with the upstream
  gradient, two operations per element; for a matrix product it is another matrix product of the
  same size (upstream @ B^T for the matrix, A^T @ upstream for the vector). A node that feeds
  several others adds their signals up: one more operation per element and extra signal.

Backpropagation gets all P partial derivatives from one forward pass plus one backward pass.
One-sided finite differences (like forward mode, one parameter at a time) cost one forward pass for
the loss itself plus one per parameter: (P + 1) forward passes.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lessonengine.engine import CONST, INPUT, Graph, parse
from lessonengine.engine.ops import MATMUL, OPS, REDUCTION

# The network that grows, in the lesson's names: one hidden ReLU layer a1 as wide as the input x,
# two linear outputs z2 scored by the mean squared error against the targets y.
MLP_PROGRAM = "z1 = W1 @ x + b1\na1 = relu(z1)\nz2 = W2 @ a1 + b2\nL = mse(z2, y)"
MLP_PARAMETERS = ("W1", "b1", "W2", "b2")
MLP_OUTPUTS = 2
# Hidden widths: 12 to 4,290 parameters (W1 stays within the engine's 4,096 elements per value).
MLP_WIDTHS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


@dataclass(frozen=True)
class OperationCount:
    """The operations of one forward pass and of one backward pass over a graph."""

    forward: int
    backward: int

    @property
    def backprop(self):
        """Every gradient by backpropagation: the forward pass, then the backward pass."""
        return self.forward + self.backward


def _matmul_work(a_shape, b_shape):
    # (m, k) @ (k, n), where a vector on the left is (1, k) and a vector on the right (k, 1).
    m = a_shape[0] if len(a_shape) == 2 else 1
    k = a_shape[-1]
    n = b_shape[1] if len(b_shape) == 2 else 1
    return m * k * n


def count_operations(graph):
    """Scalar operations of the forward and backward passes of `graph`, from ops and shapes."""
    program = graph.program
    nodes = program.nodes
    shapes = [np.shape(value) for value in graph.values]
    size = [math.prod(shape) for shape in shapes]
    forward = backward = 0
    needed = set(program.order)  # only what the loss depends on is computed backward
    for index in program.order:
        node = nodes[index]
        if node.op in (INPUT, CONST):
            continue
        row = OPS[node.op]
        parent_shapes = [shapes[p] for p in node.parents]
        if row.kind == MATMUL:
            work = _matmul_work(*parent_shapes)
            forward += work
            per_signal = work
        elif row.kind == REDUCTION:
            work = math.prod(np.broadcast_shapes(*parent_shapes))
            forward += work
            per_signal = 2 * work
        else:
            forward += size[index]
            per_signal = 2 * size[index]
        backward += per_signal * sum(1 for p in node.parents if nodes[p].op != CONST)
    # A node with several children adds up the signals they send it.
    for index in needed:
        extra = sum(1 for child, _slot in program.children[index] if child in needed) - 1
        if extra > 0 and nodes[index].op != CONST:
            backward += extra * size[index]
    return OperationCount(forward=forward, backward=backward)


def mlp_values(width, seed=0):
    """Small random values for the growing network with hidden width `width`."""
    rng = np.random.default_rng(seed)
    n, h, m = width, width, MLP_OUTPUTS
    scale = 1.0 / math.sqrt(n)
    return {
        "W1": (rng.standard_normal((h, n)) * scale).tolist(),
        "x": rng.standard_normal(n).tolist(),
        "b1": np.zeros(h).tolist(),
        "W2": (rng.standard_normal((m, h)) * scale).tolist(),
        "b2": np.zeros(m).tolist(),
        "y": rng.standard_normal(m).tolist(),
    }


@dataclass(frozen=True)
class CostPoint:
    """The cost of every gradient of the network of one width."""

    width: int
    parameters: int
    forward: int  # one forward pass
    backprop: int  # forward + backward
    finite_differences: int  # (P + 1) forward passes, one-sided


@lru_cache(maxsize=1)
def mlp_costs(widths=MLP_WIDTHS):
    """Run the engine on the growing network and count: one CostPoint per width."""
    program = parse(MLP_PROGRAM)
    points = []
    for width in widths:
        graph = Graph(program, mlp_values(width))
        count = count_operations(graph)
        parameters = sum(int(np.size(graph.value(name))) for name in MLP_PARAMETERS)
        points.append(
            CostPoint(
                width=width,
                parameters=parameters,
                forward=count.forward,
                backprop=count.backprop,
                finite_differences=(parameters + 1) * count.forward,
            )
        )
    return tuple(points)


__all__ = ["CostPoint", "OperationCount", "count_operations", "mlp_costs", "mlp_values"]
