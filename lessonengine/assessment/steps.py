"""A step of the backward pass that a student is asked for, with its right value and its parts.

The quantities are those of POST /api/graph/answer: "grad" (dL/d node), "local_grad"
(d node / d parent) and "signal" (what the node sends back to a parent: upstream times local).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lessonengine.engine.ops import OPS, unbroadcast
from lessonengine.engine.program import CONST
from lessonengine.engine.tex import name_tex, node_text, operand_tex

QUANTITIES = ("grad", "local_grad", "signal")


class StepError(ValueError):
    """A step that cannot be asked: an unknown quantity, a parent that is not an input of the
    node, or a local gradient with no two-dimensional form (the API answers 400)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, eq=False)
class Step:
    """One quantity at one node (and one parent, for local_grad and signal) of a graph."""

    graph: object
    node: object  # the engine's Node
    quantity: str
    slot: int | None = None  # the parent's argument slot

    @classmethod
    def of(cls, graph, node_id, quantity, parent=None):
        """The step asked for; NotFoundError for an unknown node, StepError for the rest."""
        node = graph.node(node_id)
        if quantity not in QUANTITIES:
            raise StepError(f"quantity must be one of {', '.join(QUANTITIES)}")
        if quantity == "grad":
            if node.op == CONST:
                raise StepError(f"{node.id} is a number written in the program: it has no grad")
            return cls(graph, node, quantity)
        if parent is None:
            raise StepError(f'a {quantity} needs the parent it is for, as in "parent": ...')
        parents = [graph.nodes[p].id for p in node.parents]
        if parent not in parents:
            listed = ", ".join(parents) or "none (it is an input)"
            raise StepError(f"{parent} is not an input of {node.id}; its inputs are {listed}")
        slot = parents.index(parent)
        if graph.nodes[node.parents[slot]].op == CONST:
            raise StepError(f"{parent} is a number written in the program: nothing flows back")
        step = cls(graph, node, quantity, slot)
        if quantity == "local_grad" and step.local is None:
            raise StepError(
                f"the local gradient of {node.id} for {parent} is a Jacobian with more than two "
                "dimensions; answer the signal it sends back instead"
            )
        return step

    # --- the parts of the step -------------------------------------------------------------------

    @property
    def op(self):
        return self.node.op

    @property
    def parent(self):
        return self.graph.nodes[self.node.parents[self.slot]] if self.slot is not None else None

    @cached_property
    def right(self):
        """The engine's value of the quantity."""
        if self.quantity == "grad":
            return self.graph.grads[self.node.index]
        if self.quantity == "local_grad":
            return self.local
        return self.graph.signals[self.node.index][self.slot]

    @cached_property
    def local(self):
        return self.graph.local_grad(self.node.id, self.slot) if self.slot is not None else None

    @property
    def upstream(self):
        """dL/d node: what arrives at the node from the loss."""
        return self.graph.grads[self.node.index]

    def value_of(self, node):
        return self.graph.values[node.index]

    def reduce(self, value):
        """A value over the node's shape, summed to the shape of the right answer."""
        return unbroadcast(value, np.shape(self.right))

    @property
    def edges(self):
        """For a grad: the (child node, slot) edges through which the node reaches the loss."""
        program = self.graph.program
        reached = set(program.order)
        return [
            (self.graph.nodes[child], slot)
            for child, slot in program.children[self.node.index]
            if child in reached
        ]

    def signal_step(self, child, slot):
        """The signal `child` sends back to this node, as a step of its own."""
        return Step(self.graph, child, "signal", slot)

    def signal_with(self, upstream):
        """The signal of this step had the node's gradient been `upstream`."""
        return self.graph.signal(self.node, self.slot, upstream)

    # --- words and TeX ---------------------------------------------------------------------------

    def text(self, node=None):
        """A node as a sentence names it: its name, or its expression (w·x)."""
        node = node or self.node
        return node_text(self.graph.program, node.index)

    def d(self, node=None):
        """A node as it follows a ∂: bracketed when it is an expression, ∂(w·x)."""
        node = node or self.node
        return node.id if node.named else f"({self.text(node)})"

    def tex(self, node=None):
        node = node or self.node
        return name_tex(node.id) if node.named else operand_tex(self.graph.program, node.index)

    def symbol(self):
        """The quantity in TeX: dL/dz, dz/dw or the signal from z to w."""
        n = self.tex()
        if self.quantity == "grad":
            return rf"\frac{{\partial L}}{{\partial {n}}}"
        p = self.tex(self.parent)
        if self.quantity == "local_grad":
            return rf"\frac{{\partial {n}}}{{\partial {p}}}"
        return rf"\frac{{\partial L}}{{\partial {n}}}\,\frac{{\partial {n}}}{{\partial {p}}}"

    def rule(self):
        """The op's TeX rule for this step's local gradient (the hint, never the value)."""
        from lessonengine.engine.views import rule

        if self.slot is not None:
            return rule(self.graph, self.node, self.slot)
        edges = self.edges
        if len(edges) == 1:
            return rule(self.graph, edges[0][0], edges[0][1])
        return ""

    @property
    def row(self):
        return OPS.get(self.node.op)
