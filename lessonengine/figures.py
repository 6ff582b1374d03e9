"""The lesson's plots as plotly figures, built from the engine that answers the graph's node clicks.

Three figures, each answered as {"figure": plotly JSON, "alt", "caption", ...}:

- ``sigmoid``: sigma(z) and sigma(z)(1 - sigma(z)), the neuron's z marked on both curves;
- ``loss-tangent``: the neuron's loss L as w varies (x, b, y held), the tangent at the current w;
- ``cost``: operations to compute every gradient, backprop against finite differences, as a network
  grows (counted on the engine's graph by ``lessonengine.cost``).

The curves are evaluated with numpy; every number marked or written on a chart (z, a, a(1 - a), L,
the tangent's slope dL/dw) is the engine's, from the `neuron` preset run on the given values.
Colours are a fixed light palette (Okabe-Ito for data); the browser swaps each one for the CSS
custom property of the same role, so the plots follow dark mode (static/js/plots/theme.js). The
look the figures share (palette, axes, layout, traces, number formats) is lessonengine.plotstyle.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lessonengine.cost import MLP_OUTPUTS, MLP_PROGRAM, mlp_costs
from lessonengine.engine import compute
from lessonengine.engine.graph import convert_value
from lessonengine.engine.ops import Range
from lessonengine.engine.presets import get_preset, resolve
from lessonengine.engine.program import MAX_MAGNITUDE
from lessonengine.errors import InputError
from lessonengine.plotstyle import (
    PALETTE,
    answer,
    fmt,
    fmt_count,
    label,
    plot_layout,
    round_values,
    scatter,
)

CURVE_POINTS = 241


NEURON_PRESET = "neuron"


@dataclass(frozen=True)
class Input:
    """One value of the neuron that the student can change: a number input on the page.

    `range` is the engine's rule for the value (the op table's, as the graph's `range` of the same
    input), or None when any number within the engine's limit (``min``, ``max``) will do.
    """

    name: str
    label: str
    min: float
    max: float
    step: float
    range: Range | None

    def to_dict(self):
        return {
            "name": self.name,
            "label": self.label,
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "range": self.range.to_dict() if self.range is not None else None,
        }


def _neuron_inputs():
    """The neuron's inputs, each with the engine's rule (the one the graph's controls apply).

    The rule is the op table's range where the op an input feeds has one, else the engine's limit.
    """
    program, values = resolve(NEURON_PRESET)
    graph = compute(program, values)
    labels = {"w": "w (weight)", "x": "x (input)", "b": "b (bias)", "y": "y (label)"}
    specs = []
    for name, text in labels.items():
        allowed = graph.input_range(graph.node(name))
        low, high = (allowed.low, allowed.high) if allowed else (-MAX_MAGNITUDE, MAX_MAGNITUDE)
        specs.append(Input(name, text, low, high, 0.1, allowed))
    return tuple(specs)


INPUTS = _neuron_inputs()
INPUTS_BY_NAME = {spec.name: spec for spec in INPUTS}


class UnknownFigure(LookupError):
    """No figure by that name (the API answers 404)."""

    def __init__(self, name):
        self.message = f"there is no figure {name!r}; the figures are: {', '.join(FIGURES)}"
        super().__init__(self.message)


class FigureInputError(ValueError):
    """A value for the figure is empty, not a number, not finite or out of range (400)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def read_values(raw: Mapping):
    """The neuron's values from request arguments (strings), defaults from the preset.

    Raises FigureInputError naming the field for an empty, non-numeric or non-finite value, or one
    past the engine's limit (in the engine's words). A value outside its input's `range` is refused
    by `neuron`, with the engine's note.
    """
    values = dict(get_preset(NEURON_PRESET).values)
    for spec in INPUTS:
        if spec.name not in raw:
            continue
        text = raw[spec.name]
        text = text.strip() if isinstance(text, str) else text
        if text == "" or text is None:
            raise FigureInputError(spec.name, f"Enter a number for {spec.name}.")
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise FigureInputError(spec.name, f"{spec.name} must be a number.") from None
        if not math.isfinite(value):
            raise FigureInputError(spec.name, f"{spec.name} must be a finite number.")
        try:
            convert_value(spec.name, value)  # the engine's limit, as the graph meets it
        except InputError as exc:
            raise FigureInputError(spec.name, exc.message) from None
        values[spec.name] = value + 0.0  # no -0.0
    return values


@dataclass(frozen=True)
class NeuronState:
    """The engine's answer for the neuron on some values: what the plots mark and write."""

    values: dict
    z: float
    a: float
    sigmoid_slope: float  # the local gradient da/dz = a(1 - a)
    loss: float
    dL_dw: float  # the grad of w: (a - y) x


def neuron(values):
    """Run the `neuron` preset forward and backward on `values` (the engine; raises GraphError).

    A value outside the range its op allows (a label y of the cross-entropy outside [0, 1]) is a
    FigureInputError with the note the engine writes at that input in the graph.
    """
    program, merged = resolve(NEURON_PRESET, {k: float(v) for k, v in values.items()})
    graph = compute(program, merged)
    for name in INPUTS_BY_NAME:
        for note in graph.notes(graph.node(name)):
            if note["id"] == "out-of-range":
                raise FigureInputError(name, note["text"])
    return NeuronState(
        values={name: float(merged[name]) for name in INPUTS_BY_NAME},
        z=float(graph.value("z")),
        a=float(graph.value("a")),
        sigmoid_slope=float(graph.local_grad("a", 0)),
        loss=float(graph.value("L")),
        dL_dw=float(graph.grad("w")),
    )


def window(low, high, point):
    """An axis from `low` to `high`, widened to show `point` with a margin around it."""
    margin = 0.06 * (max(high, point) - min(low, point))
    return min(low, point - margin), max(high, point + margin)


def samples(low, high, point):
    """Points for a curve from `low` to `high`, `point` among them (its marker is on the curve)."""
    return np.union1d(np.linspace(low, high, CURVE_POINTS), [point])


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the same function, without overflow for large |z|


# --- 1. The sigmoid and its derivative ---------------------------------------------------------


def _sigmoid_labels(z, a, slope, lo, hi):
    """The labels of the two marks, each with an arrow, where no curve goes."""
    a_text, slope_text = f"a = {fmt(a)}", f"a(1 − a) = {fmt(slope)}"
    gap = 0.04 * (hi - lo)
    if z < -8 or z > 8:
        # A z far out (the axis widened to it): both curves are flat there, at 0 or 1, so the
        # labels sit beside the marks, on the side towards the middle, and the arrows stay short.
        side, x = ("left", z + gap) if z < 0 else ("right", z - gap)
        top, low = (0.45, 0.25) if z < 0 else (0.8, 0.2)
        return [label(z, a, a_text, x, top, side), label(z, slope, slope_text, x, low, side)]
    # Top left (sigma is below 1/2 there) and the middle of the right side (sigma near 1, its
    # derivative near 0).
    return [
        label(z, a, a_text, lo + 0.02 * (hi - lo), 0.97, "left"),
        label(z, slope, slope_text, hi - 0.02 * (hi - lo), 0.55, "right"),
    ]


def sigmoid_figure(values):
    """sigma(z) and sigma'(z), the neuron's z marked on both with the engine's a and a(1 - a)."""
    state = neuron(values)
    z, a, slope = state.z, state.a, state.sigmoid_slope
    lo, hi = window(-8.0, 8.0, z)
    zs = samples(lo, hi, z)
    s = _sigmoid(zs)
    blue, vermillion, muted = PALETTE["blue"], PALETTE["vermillion"], PALETTE["muted"]
    data = [
        scatter(
            x=round_values(zs),
            y=round_values(s),
            name="σ(z)",
            mode="lines",
            line={"color": blue, "width": 3},
            hovertemplate="z = %{x:.2f}<br>σ(z) = %{y:.3f}<extra></extra>",
        ),
        scatter(
            x=round_values(zs),
            y=round_values(s * (1.0 - s)),
            name="σ′(z) = σ(z)(1 − σ(z))",
            mode="lines",
            line={"color": vermillion, "width": 3, "dash": "dash"},
            hovertemplate="z = %{x:.2f}<br>σ′(z) = %{y:.3f}<extra></extra>",
        ),
        scatter(
            x=[z, z],
            y=[a, slope],
            name="the neuron's z",
            mode="markers",
            marker={
                "color": [blue, vermillion],
                "symbol": ["circle", "diamond"],
                "size": 12,
                "line": {"color": PALETTE["ink"], "width": 1.5},
            },
            customdata=["a", "a(1 − a)"],
            hovertemplate="z = %{x:.3f}<br>%{customdata} = %{y:.3f}<extra></extra>",
            showlegend=False,
        ),
    ]
    layout = plot_layout(
        "z = w·x + b",
        "",
        x_extra={"range": [lo, hi]},
        y_extra={"range": [-0.05, 1.08]},
        shapes=[
            {
                "type": "line",
                "x0": z,
                "x1": z,
                "y0": 0,
                "y1": 1,
                "yref": "y",
                "line": {"color": muted, "width": 1.5, "dash": "dot"},
            }
        ],
        annotations=_sigmoid_labels(z, a, slope, lo, hi),
    )
    alt = (
        f"The sigmoid at z = w·x + b = {fmt(z, 2)} is a = {fmt(a)}, and its slope there is "
        f"a(1 − a) = {fmt(slope)}; the slope is largest, 0.25, at z = 0 and fades on both sides."
    )
    caption = (
        "The sigmoid σ(z) (solid) and its derivative σ(z)(1 − σ(z)) (dashed), with the neuron's "
        "current z marked on both curves. The marked values are the engine's a and its local "
        "gradient a(1 − a). A small slope does not make a small gradient here: the "
        "cross-entropy's ∂L/∂a cancels it, and ∂L/∂z = a − y."
    )
    return answer(data, layout, alt, caption, values=state.values, inputs=_inputs())


def _inputs():
    return [spec.to_dict() for spec in INPUTS]


# --- 2. The loss against w, with its tangent ---------------------------------------------------


def loss_curve(ws, x, b, y):
    """bce(sigmoid(w x + b), y) for each w, computed stably as softplus(z) - y z."""
    z = np.asarray(ws, dtype=float) * x + b
    return np.logaddexp(0.0, z) - y * z


def tangent_points(w, loss, slope, half_width):
    """The two ends of the tangent segment at (w, loss) with the given slope."""
    ends = [w - half_width, w + half_width]
    return ends, [loss + slope * (end - w) for end in ends]


def loss_tangent_figure(values):
    """L(w) with x, b, y held; the engine's (w, L) marked and its dL/dw drawn as the tangent."""
    state = neuron(values)
    v = state.values
    w_lo, w_hi = window(-5.0, 5.0, v["w"])
    ws = samples(w_lo, w_hi, v["w"])
    ls = loss_curve(ws, v["x"], v["b"], v["y"])
    top = float(max(ls.max(), state.loss))
    pad = 0.08 * max(top, 0.5)
    y_range = [-pad, top + 2.5 * pad]  # room at the top for the slope's label
    w, loss, slope = v["w"], state.loss, state.dL_dw
    tx, ty = tangent_points(w, loss, slope, half_width=0.2 * (w_hi - w_lo))
    blue, vermillion = PALETTE["blue"], PALETTE["vermillion"]
    data = [
        scatter(
            x=round_values(ws),
            y=round_values(ls),
            name="L(w)",
            mode="lines",
            line={"color": blue, "width": 3},
            hovertemplate="w = %{x:.2f}<br>L = %{y:.3f}<extra></extra>",
        ),
        scatter(
            x=tx,
            y=ty,
            name="tangent at the current w",
            mode="lines",
            line={"color": vermillion, "width": 3, "dash": "dash"},
            hoverinfo="skip",
            uid="tangent",
        ),
        scatter(
            x=[w],
            y=[loss],
            name="the current w",
            mode="markers",
            marker={
                "color": blue,
                "size": 12,
                "line": {"color": PALETTE["ink"], "width": 1.5},
            },
            hovertemplate="w = %{x:.3f}<br>L = %{y:.3f}<extra></extra>",
            showlegend=False,
        ),
    ]
    layout = plot_layout(
        "weight w",
        "loss L",
        x_extra={"range": [w_lo, w_hi]},
        y_extra={"range": y_range},
        annotations=[
            {
                # In the top corner where the curve is lower, out of its way.
                "x": 1 if ls[-1] <= ls[0] else 0,
                "xref": "paper",
                "xanchor": "right" if ls[-1] <= ls[0] else "left",
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "text": f"slope dL/dw = {fmt(slope)}",
                "showarrow": False,
                "font": {"color": PALETTE["ink"]},
                "bgcolor": PALETTE["surface"],
                "bordercolor": PALETTE["vermillion"],
                "borderpad": 4,
            }
        ],
    )
    if slope < 0:
        effect = "increasing w a little lowers the loss"
    elif slope > 0:
        effect = "increasing w a little raises the loss"
    else:
        effect = "a small change of w leaves the loss as it is"
    alt = (
        f"At w = {fmt(w, 2)} (with x = {fmt(v['x'], 2)}, b = {fmt(v['b'], 2)}, "
        f"y = {fmt(v['y'], 2)}) the neuron outputs a = {fmt(state.a)} and the loss is "
        f"L = {fmt(loss)}. The tangent's slope is dL/dw = (a − y)·x = {fmt(slope)}: {effect}."
    )
    caption = (
        "The loss L as the weight w varies, with x, b and y held. The dashed tangent touches the "
        "curve at the current w; its slope is the engine's gradient dL/dw = (a − y)·x."
    )
    return answer(data, layout, alt, caption, values=v, inputs=_inputs())


# --- 3. The cost of every gradient: backprop against finite differences -------------------------


@lru_cache(maxsize=1)
def cost_figure():
    """Operations for every gradient as the network grows, on log axes (computed once)."""
    points = mlp_costs()
    params = [p.parameters for p in points]
    series = [
        (
            "finite differences (P + 1 forward passes)",
            [p.finite_differences for p in points],
            "vermillion",
            "dash",
            "square",
        ),
        (
            "backpropagation (one forward + one backward pass)",
            [p.backprop for p in points],
            "blue",
            "solid",
            "circle",
        ),
        ("one forward pass", [p.forward for p in points], "muted", "dot", "triangle-up"),
    ]
    data = [
        scatter(
            x=params,
            y=counts,
            name=name,
            mode="lines+markers",
            line={"color": PALETTE[colour], "width": 3 if colour != "muted" else 2, "dash": dash},
            marker={"color": PALETTE[colour], "symbol": symbol, "size": 8},
            hovertemplate="%{x:,} parameters<br>%{y:,} operations<extra>" + name + "</extra>",
        )
        for name, counts, colour, dash, symbol in series
    ]
    layout = plot_layout(
        "parameters P (log scale)",
        "operations (log scale)",
        x_extra={"type": "log", "dtick": 1},
        y_extra={"type": "log", "exponentformat": "power"},
    )
    small, large = points[0], points[-1]
    alt = (
        "Operations to compute all P partial derivatives of the loss of a growing two-layer "
        f"network, on log scales. With P = {small.parameters}, backpropagation takes "
        f"{fmt_count(small.backprop)} operations (as much as {small.backprop / small.forward:.1f} "
        f"forward passes) and finite differences {fmt_count(small.finite_differences)} "
        f"({small.parameters + 1} forward passes). With P = {large.parameters:,}, "
        f"backpropagation takes {fmt_count(large.backprop)} (still "
        f"{large.backprop / large.forward:.1f} forward passes) and finite differences "
        f"{fmt_count(large.finite_differences)} ({large.parameters + 1:,} forward passes), "
        f"{large.finite_differences / large.backprop:,.0f} times as many. Backpropagation stays a "
        "small constant multiple of one forward pass, so it grows like P; finite differences "
        "grow like P squared."
    )
    caption = (
        "All P partial derivatives of the loss of the network z1 = W1 @ x + b1, a1 = relu(z1), "
        f"z2 = W2 @ a1 + b2, L = mse(z2, y) (input and hidden widths equal, {MLP_OUTPUTS} "
        "outputs), counted in scalar operations on the engine's graph as the width grows. "
        "Backpropagation is one forward and one backward pass for all of them; one-sided finite "
        "differences, like forward mode, take one parameter at a time: one forward pass for the "
        "loss and one more per parameter, P + 1 in all."
    )
    table = [
        {
            "parameters": p.parameters,
            "forward": p.forward,
            "backprop": p.backprop,
            "finite_differences": p.finite_differences,
        }
        for p in points
    ]
    return answer(data, layout, alt, caption, program=MLP_PROGRAM, points=table)


FIGURES = {
    "sigmoid": sigmoid_figure,
    "loss-tangent": loss_tangent_figure,
    "cost": cost_figure,
}
NEURON_FIGURES = ("sigmoid", "loss-tangent")


def build(name, raw_values: Mapping | None = None):
    """The answer for figure `name` on raw (string) values; UnknownFigure, FigureInputError or the
    engine's GraphError otherwise."""
    if name not in FIGURES:
        raise UnknownFigure(name)
    if name not in NEURON_FIGURES:
        return FIGURES[name]()
    return FIGURES[name](read_values(raw_values or {}))


__all__ = [
    "FIGURES",
    "INPUTS",
    "PALETTE",
    "FigureInputError",
    "NeuronState",
    "UnknownFigure",
    "build",
    "cost_figure",
    "loss_curve",
    "loss_tangent_figure",
    "neuron",
    "read_values",
    "sigmoid_figure",
]
