"""The gradient check: central finite differences next to the analytic gradient, with a verdict.

A finite difference (f(x + h) - f(x - h)) / 2h is only as good as its step h: too large and
curvature or a kink inside [x - h, x + h] spoils it, too small and the rounding error of f,
divided by 2h, swamps it. So each element is first tried with the usual step (about the cube root
of the machine epsilon, relative to x); when that does not agree, a ladder of steps from |x| down
to 1e-10 |x| is tried, and the verdict says what the ladder shows:

- ``agrees``: some step that stays on one branch of every relu and max agrees to 1e-4 relative;
- ``disagrees``: two neighbouring steps agree with each other but not with the analytic value (a
  wrong local-gradient rule);
- ``kink``: even the smallest step puts the two sides on different branches of a relu or a max:
  the function has no derivative here, and the engine's value is a convention;
- ``unreliable``: no two steps agree (rounding swamps the difference, for example a saturated
  sigmoid inside a loss), or every step leaves the function's domain.

The work is bounded by CHECK_WORK element-operations: elements past it are reported as null.
"""

import math

import numpy as np

from lessonengine.engine.tex import format_number

CHECK_WORK = 4_000_000  # budget of the gradient check, in element-operations
AGREE = 1e-4  # relative tolerance of a finite difference
FIRST_STEP = 6e-6  # about the cube root of the machine epsilon: the usual central-difference step
NOISE = 1e-12  # a change of the loss this small, relative to it, is rounding, not a slope
LADDER = tuple(10.0**-k for k in range(11))  # from |x| down to 1e-10 |x|
SEVERITY = ("agrees", "unreliable", "kink", "disagrees")  # the worst element names the input


def relative_error(a, b):
    """|a - b| / max(|a|, |b|, 1e-8): the gap between two derivatives, relative to them."""
    return abs(a - b) / max(abs(a), abs(b), 1e-8)


class _Element:
    """The check of one element of one input."""

    def __init__(self, graph, node, downstream, base_branches, flat, k):
        self.graph, self.node, self.downstream = graph, node, downstream
        self.base_branches = base_branches  # the branches of every relu and max at the point
        self.flat, self.k = flat, k
        self.reruns = 0

    def slope(self, h):
        """(central difference or None, why None or "crossed") with step h.

        None comes with "domain" (a step left the function's domain) or "noise" (the loss moved
        by no more than its own rounding); "crossed" means a relu or max changed branch.
        """
        x = self.flat[self.k]
        plus, minus = self.flat.copy(), self.flat.copy()
        plus[self.k], minus[self.k] = x + h, x - h
        if plus[self.k] == minus[self.k]:
            return None, "noise"
        shape = np.shape(self.graph.values[self.node.index])
        up, up_branches = self.graph.rerun(self.downstream, {self.node.index: _shaped(plus, shape)})
        down, down_branches = self.graph.rerun(
            self.downstream, {self.node.index: _shaped(minus, shape)}
        )
        self.reruns += 2
        slope = (up - down) / (plus[self.k] - minus[self.k])
        if not math.isfinite(slope):
            return None, "domain"
        if up_branches != self.base_branches or down_branches != self.base_branches:
            return slope, "crossed"
        if up != down and abs(up - down) <= NOISE * max(abs(up), abs(down)):
            return None, "noise"
        return slope, None

    def judge(self, analytic, ladder_allowed):
        """(verdict, numeric, why) for this element."""
        x = self.flat[self.k]
        scale = abs(x) if x != 0 else 1.0
        first, why = self.slope(FIRST_STEP * scale)
        if first is not None and why is None and relative_error(first, analytic) <= AGREE:
            return "agrees", first, ""
        if not ladder_allowed:
            return "unreliable", first, "the check ran out of its work budget before this element"
        steps = [self.slope(h * scale) for h in LADDER]
        if steps[-1][1] == "crossed":
            return "kink", steps[-1][0], "kink"
        # A loss that does not move at all measures a slope of 0 only where 0 is the answer;
        # elsewhere it is rounding (a sigmoid saturated to exactly 1).
        usable = [s for s, why in steps if why is None and (s != 0 or analytic == 0)]
        for s in usable:
            if relative_error(s, analytic) <= AGREE:
                return "agrees", s, ""
        # Neighbouring steps that agree with each other measure the slope to within their gap;
        # a wrong rule is one that misses it by far more than that.
        pairs = [(abs(s1 - s2), s2) for s1, s2 in zip(usable, usable[1:], strict=False)]
        if pairs:
            gap, best = min(pairs)
            if relative_error(best, best + gap) <= AGREE and abs(best - analytic) > 100 * gap:
                return "disagrees", best, ""
            return "unreliable", best, "rounding"
        if any(why == "crossed" for _, why in steps):
            return "kink", steps[-1][0], "kink"
        if any(why == "domain" for _, why in steps):
            return "unreliable", None, "domain"
        return "unreliable", usable[-1] if usable else None, "rounding"


def _shaped(flat, shape):
    return flat.reshape(shape) if shape else flat[0]


def _where(node, shape, k):
    if not shape:
        return node.id
    return f"{node.id}[{', '.join(str(i) for i in np.unravel_index(k, shape))}]"


def _reason(verdict, why, node, shape, k, analytic, numeric):
    at = _where(node, shape, k)
    if verdict == "disagrees":
        return (
            f"At {at} the finite differences agree with each other on {format_number(numeric)}, "
            f"but the analytic gradient is {format_number(analytic)}: a local-gradient rule on "
            "the way is wrong."
        )
    if verdict == "kink":
        return (
            f"At {at} a relu sits exactly at 0 or a max at a tie downstream, so the slopes on the "
            "two sides differ and there is no derivative; the engine uses PyTorch's convention "
            "(0 for relu, half each for a tie) and a finite difference averages the two sides."
        )
    if why == "domain":
        return (
            f"At {at} every step leaves the domain of an operation (a log or a power of a "
            "number that must stay positive, a prediction that must stay between 0 and 1), so no "
            "finite difference can be taken."
        )
    if why == "rounding":
        return (
            f"At {at} the loss changes by less than its own rounding error over every usable step "
            "(a saturated sigmoid inside the loss, or a difference of nearly equal numbers), so "
            "the finite difference says nothing here; the analytic value stands."
        )
    return f"At {at} {why}."


def _check_input(graph, node, quota, budget):
    value = graph.values[node.index]
    shape = np.shape(value)
    downstream = graph.downstream(frozenset((node.index,)))
    rerun_cost = sum(np.size(graph.values[i]) + 500 for i in downstream) + 1
    analytic = np.asarray(graph.grads[node.index], dtype=float).ravel()
    flat = np.asarray(value, dtype=float).ravel()
    numeric = [None] * flat.size
    worst_error, checked = 0.0, 0
    verdict, reason = "agrees", None
    base_branches = graph.rerun(downstream, {})[1]
    for k in range(min(quota, flat.size)):
        element = _Element(graph, node, downstream, base_branches, flat, k)
        ladder_allowed = budget[0] > 2 * len(LADDER) * rerun_cost
        found, slope, why = element.judge(float(analytic[k]), ladder_allowed)
        budget[0] -= max(0, element.reruns - 2) * rerun_cost  # the first step is in the quota
        if slope is not None:
            numeric[k] = slope
            checked += 1
            if found in ("agrees", "disagrees"):
                worst_error = max(worst_error, relative_error(float(analytic[k]), slope))
        if SEVERITY.index(found) > SEVERITY.index(verdict):
            verdict = found
            reason = _reason(found, why, node, shape, k, float(analytic[k]), slope)
    numeric = np.array(numeric, dtype=object).reshape(shape).tolist() if shape else numeric[0]
    return {
        "input": node.id,
        "analytic": graph.grads[node.index],
        "numeric": numeric,
        "rel_error": float(worst_error) if checked else None,
        "checked": checked,
        "elements": int(flat.size),
        "verdict": verdict,
        "reason": reason,
    }


def gradient_check(graph):
    """Every element of every input checked by central differences, with a verdict per input.

    Returns one dict per input: input, analytic (the grad), numeric (same shape, null where not
    checked), rel_error (the largest over the elements that agree or disagree, or null), checked,
    elements, verdict ("agrees", "disagrees", "kink", "unreliable") and reason (a sentence, null
    when it agrees).
    """
    program = graph.program
    inputs = [program.nodes[i] for i in program.inputs]
    cost = {}
    for node in inputs:
        downstream = graph.downstream(frozenset((node.index,)))
        cost[node.index] = 2 * sum(np.size(graph.values[i]) + 500 for i in downstream) + 1
    budget = CHECK_WORK
    quota = {}
    by_size = sorted(inputs, key=lambda n: np.size(graph.values[n.index]))
    for k, node in enumerate(by_size):
        share = budget / (len(by_size) - k)
        n = min(int(np.size(graph.values[node.index])), max(1, int(share // cost[node.index])))
        quota[node.index] = n
        budget -= n * cost[node.index]
    ladder_budget = [CHECK_WORK]  # shared by every input: the ladder is for the hard elements
    with np.errstate(all="ignore"):
        return [_check_input(graph, node, quota[node.index], ladder_budget) for node in inputs]
