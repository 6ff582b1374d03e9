"""Drawing an exercise's values from a template's ranges, and telling well-conditioned draws.

A draw is kept only when a student can work it by hand and the numbers teach something: no
saturated sigmoid (its slope would round to 0), no ReLU input on the kink, no answer element that
rounds away to 0 (the grader's absolute tolerance would then accept 0), unless the template says
so. Values are rounded to a few decimals so they can be multiplied on paper.
"""

import math
from dataclasses import dataclass

import numpy as np

MAX_REDRAWS = 100  # redraws of one element that came out 0 (a range that is mostly 0 is a bug)


@dataclass(frozen=True)
class Draw:
    """How one input's value is drawn: uniform in [low, high] rounded to `decimals` (never 0),
    or one of `options`; `shape` () is a number, (n,) a vector, (m, n) a matrix."""

    low: float | None
    high: float | None
    options: tuple = ()
    shape: tuple = ()
    decimals: int = 1

    def sample(self, rng):
        """A value (a float or nested lists of floats) from `rng`, a random.Random."""
        numbers = [self._number(rng) for _ in range(math.prod(self.shape))]
        if not self.shape:
            return numbers[0]
        return np.reshape(numbers, self.shape).tolist()

    def _number(self, rng):
        if self.options:
            return self.options[rng.randrange(len(self.options))]
        for _ in range(MAX_REDRAWS):
            x = round(self.low + (self.high - self.low) * rng.random(), self.decimals) + 0.0
            if x != 0:  # a zero input makes a product (and its lesson) vanish
                return x
        raise ValueError(f"the range [{self.low}, {self.high}] gives only 0")


@dataclass(frozen=True)
class Conditioning:
    """What makes a draw well-conditioned; a template may override each default."""

    sigmoid_input: float | None = 4.0  # |z| at most this at every sigmoid (None: no limit)
    min_abs: float = 0.01  # every nonzero element of the answer at least this large
    zeros: bool = False  # elements of the answer may be exactly 0 (units a ReLU blocks)
    relu_margin: float = 0.05  # every ReLU input at least this far from its kink at 0
    mixed: tuple = ()  # names whose elements must have both signs (to see a ReLU block one)
    # Answer elements a rule of thumb gives whatever the values ("an add node's local gradient
    # is 1"): a draw whose answer is one of them rewards the wrong rule.
    avoid: tuple = (1.0, -1.0)
    tries: int = 200  # draws before giving up with GenerationError

    def problems(self, graph, right):
        """Why this computed graph (with `right`, the answer's value) is ill-conditioned, in
        words; [] when it is fine."""
        found = []
        for node in graph.nodes:
            if node.op not in ("sigmoid", "relu"):
                continue
            z = np.abs(np.asarray(graph.values[node.parents[0]], dtype=float))
            limit = self.sigmoid_input
            if node.op == "sigmoid" and limit is not None and np.any(z > limit):
                found.append(f"a sigmoid's input is beyond ±{self.sigmoid_input}")
            if node.op == "relu" and np.any(z < self.relu_margin):
                found.append("a ReLU's input is on its kink")
        elements = np.abs(np.asarray(right, dtype=float)).ravel()
        if not np.all(np.isfinite(elements)):
            found.append("the answer is not finite")
        small = elements[elements > 0] if self.zeros else elements
        if np.any(small < self.min_abs):
            found.append(f"an element of the answer is smaller than {self.min_abs}")
        if any(np.any(np.isclose(elements, abs(x))) for x in self.avoid):
            found.append("an element of the answer is ±1, what a rule of thumb gives")
        if self.zeros and np.all(elements == 0):
            found.append("the answer is all zeros")
        for name in self.mixed:
            value = np.asarray(graph.value(name), dtype=float)
            if not (np.any(value > 0) and np.any(value < 0)):
                found.append(f"{name} does not have both signs")
        return found
