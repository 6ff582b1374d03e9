"""The plots' data: every marked number is the engine's, the cost counts grow as the lesson says."""

import math
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from lessonengine import figures
from lessonengine.cost import MLP_PROGRAM, count_operations, mlp_costs
from lessonengine.engine.presets import get_preset
from lessonengine.engine.program import MAX_MAGNITUDE
from lessonengine.errors import GraphError
from lessonengine.graph import Graph, compute

ROOT = Path(__file__).resolve().parents[2]

NEURONS = [
    {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0},  # the preset
    {"w": -2.0, "x": 0.7, "b": 1.2, "y": 0.0},
    {"w": 3.3, "x": -4.1, "b": 0.25, "y": 1.0},
    {"w": 0.0, "x": 0.0, "b": 0.0, "y": 0.5},
    {"w": 5.0, "x": 5.0, "b": 5.0, "y": 0.0},  # z = 30
    {"w": -5.0, "x": 5.0, "b": -5.0, "y": 1.0},  # z = -30
    # Past the old ±5: any number the engine takes (and so the graph), y a label in [0, 1].
    {"w": 7.0, "x": 1.5, "b": -0.5, "y": 1.0},
    {"w": 0.8, "x": -40.0, "b": -0.5, "y": 1.0},
    {"w": 1.0, "x": -998.0, "b": 1e3, "y": 0.25},
    {"w": -1e5, "x": 1e-4, "b": 0.5, "y": 0.0},
]


def engine(values):
    """The engine's graph for the neuron preset on `values` (not through lessonengine.figures)."""
    preset = get_preset("neuron")
    return compute(preset.program, {**preset.values, **values})


def as_args(values):
    return {name: repr(value) for name, value in values.items()}


def trace(answer, **match):
    """The one trace of a figure whose fields equal `match`."""
    found = [t for t in answer["figure"]["data"] if all(t.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one trace with {match}, found {len(found)}"
    return found[0]


# --- The tangent and the markers are the engine's numbers ---------------------------------------


@pytest.mark.parametrize("values", NEURONS)
def test_tangent_slope_is_the_engines_dL_dw(values):
    answer = figures.build("loss-tangent", as_args(values))
    graph = engine(values)
    tangent = trace(answer, uid="tangent")
    (x0, x1), (y0, y1) = tangent["x"], tangent["y"]
    slope = (y1 - y0) / (x1 - x0)
    assert slope == pytest.approx(float(graph.grad("w")), abs=1e-9), "tangent slope vs engine"
    # And the engine agrees with the lesson's formula dL/dw = (a - y) x.
    a = float(graph.value("a"))
    assert float(graph.grad("w")) == pytest.approx((a - values["y"]) * values["x"], abs=1e-9)


@pytest.mark.parametrize("values", NEURONS)
def test_tangent_touches_the_curve_at_the_engines_loss(values):
    answer = figures.build("loss-tangent", as_args(values))
    graph = engine(values)
    w, loss = values["w"], float(graph.value("L"))
    tangent = trace(answer, uid="tangent")
    (x0, x1), (y0, y1) = tangent["x"], tangent["y"]
    at_w = y0 + (y1 - y0) * (w - x0) / (x1 - x0)
    assert at_w == pytest.approx(loss, abs=1e-9), "the tangent passes through (w, L)"
    marker = trace(answer, mode="markers")
    assert marker["x"] == [w] and marker["y"][0] == pytest.approx(loss, abs=1e-12)
    # The curve, computed with numpy, is the same function the engine computes. The engine's bce
    # takes log(1 - a) after rounding a, which costs digits as |z| nears 30 (about 1e-3 at
    # z = 30 in 30, invisible on the chart); the curve uses softplus(z) - y z.
    curve = figures.loss_curve([w], values["x"], values["b"], values["y"])[0]
    assert curve == pytest.approx(loss, rel=1e-4), "numpy curve vs engine at w"
    if abs(float(graph.value("z"))) <= 10:
        assert curve == pytest.approx(loss, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("values", NEURONS)
def test_sigmoid_marker_sits_at_the_engines_a(values):
    answer = figures.build("sigmoid", as_args(values))
    graph = engine(values)
    z, a = float(graph.value("z")), float(graph.value("a"))
    marker = trace(answer, mode="markers")
    assert marker["x"] == [pytest.approx(z, abs=1e-12)] * 2
    assert marker["y"][0] == pytest.approx(a, abs=1e-12), "marker on sigma at the engine's a"
    local = float(graph.local_grad("a", 0))
    assert marker["y"][1] == pytest.approx(local, abs=1e-12), "marker on sigma' at a(1 - a)"
    assert local == pytest.approx(a * (1 - a), abs=1e-12)
    assert f"a = {figures.fmt(a)}" in answer["alt"]


def test_the_sigmoid_curves_are_sigma_and_its_derivative():
    answer = figures.build("sigmoid", {})
    curve, derivative = answer["figure"]["data"][:2]
    z = np.array(curve["x"])
    reference = 1.0 / (1.0 + np.exp(-z))
    assert np.allclose(curve["y"], reference, atol=1e-6), "sigma(z)"
    assert np.allclose(derivative["y"], reference * (1 - reference), atol=1e-6), "sigma'(z)"
    assert min(curve["x"]) <= -8 and max(curve["x"]) >= 8


def test_the_sigmoid_range_follows_a_far_z():
    answer = figures.build("sigmoid", {"w": "5", "x": "5", "b": "5"})
    assert max(answer["figure"]["data"][0]["x"]) >= 30
    assert answer["figure"]["layout"]["xaxis"]["range"][1] >= 31


def test_defaults_are_the_neuron_preset():
    answer = figures.build("loss-tangent", {})
    assert answer["values"] == get_preset("neuron").values
    assert [spec["name"] for spec in answer["inputs"]] == ["w", "x", "b", "y"]


@pytest.mark.parametrize("values", NEURONS[:3])
def test_alt_text_states_the_current_numbers(values):
    graph = engine(values)
    tangent = figures.build("loss-tangent", as_args(values))
    assert f"w = {figures.fmt(values['w'], 2)}" in tangent["alt"]
    assert f"L = {figures.fmt(float(graph.value('L')))}" in tangent["alt"]
    assert f"(a − y)·x = {figures.fmt(float(graph.grad('w')))}" in tangent["alt"]
    sigmoid = figures.build("sigmoid", as_args(values))
    assert f"z = w·x + b = {figures.fmt(float(graph.value('z')), 2)}" in sigmoid["alt"]


# --- Bad values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"w": ""}, "w", "Enter a number"),
        ({"x": "  "}, "x", "Enter a number"),
        ({"b": "abc"}, "b", "must be a number"),
        ({"w": "0x10"}, "w", "must be a number"),
        ({"w": "nan"}, "w", "finite"),
        ({"x": "-inf"}, "x", "finite"),
        # Past the engine's limit, in the words the graph's API uses for the same value.
        ({"w": "1000000.5"}, "w", "the numbers of w are limited to ±1,000,000"),
        ({"b": "-1e9"}, "b", "the numbers of b are limited to ±1,000,000"),
        # Outside the label's range: the note the engine writes at y in the graph.
        ({"y": "3"}, "y", "y = 3 lies outside [0, 1], but a label of a cross-entropy loss"),
        ({"y": "1.5"}, "y", "y = 1.5 lies outside [0, 1]"),
        ({"y": "-0.1"}, "y", "y = -0.1 lies outside [0, 1]"),
    ],
)
@pytest.mark.parametrize("figure", figures.NEURON_FIGURES)
def test_bad_values_name_their_field(figure, raw, field, words):
    with pytest.raises(figures.FigureInputError) as caught:
        figures.build(figure, raw)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize("y", ["3", "-0.5", "1.01"])
def test_a_refused_label_is_refused_in_the_engines_words_at_the_graphs_node(y):
    """The plots refuse a label with the very note the graph shows at y for the same value."""
    preset = get_preset("neuron")
    graph = compute(preset.program, {**preset.values, "y": float(y)})
    (note,) = graph.notes(graph.node("y"))
    with pytest.raises(figures.FigureInputError) as caught:
        figures.build("loss-tangent", {"y": y})
    assert caught.value.message == note["text"]


def test_each_input_carries_the_engines_rule_for_it():
    """One rule: the graph's `range` of each input of the neuron, and the engine's limit."""
    preset = get_preset("neuron")
    graph = compute(preset.program, preset.values)
    answer = figures.build("loss-tangent", {})
    for spec in answer["inputs"]:
        allowed = graph.input_range(graph.node(spec["name"]))
        assert spec["range"] == (allowed.to_dict() if allowed else None), spec["name"]
    by_name = {spec["name"]: spec for spec in answer["inputs"]}
    assert by_name["y"]["range"] == {"min": 0, "max": 1, "min_open": False, "max_open": False}
    for name in "wxb":
        assert by_name[name]["range"] is None
        assert (by_name[name]["min"], by_name[name]["max"]) == (-MAX_MAGNITUDE, MAX_MAGNITUDE)


def test_values_the_engine_cannot_score_are_refused_as_the_graph_refuses_them():
    """b = 1000 with w·x = 1.2: the sigmoid rounds to 1 and bce has no value (no clipping)."""
    preset = get_preset("neuron")
    with pytest.raises(GraphError) as engine_says:
        compute(preset.program, {**preset.values, "b": 1e3})
    with pytest.raises(GraphError) as plots_say:
        figures.build("sigmoid", {"b": "1e3"})
    assert plots_say.value.message == engine_says.value.message


def test_unknown_figure():
    with pytest.raises(figures.UnknownFigure):
        figures.build("nope", {})


@pytest.mark.parametrize(
    "change",
    [{"w": 7.0}, {"w": -12.5}, {"x": -40.0}, {"b": 3.5}, {"w": 1e5, "x": 1e-5}],
)
def test_the_axes_widen_to_show_the_chosen_point(change):
    values = {**get_preset("neuron").values, **change}
    z = float(engine(values).value("z"))
    loss = figures.build("loss-tangent", as_args(values))["figure"]["layout"]
    sigmoid = figures.build("sigmoid", as_args(values))["figure"]["layout"]
    lo, hi = loss["xaxis"]["range"]
    assert lo < values["w"] < hi and lo <= -5 and hi >= 5, "w inside the loss plot, and ±5"
    assert (values["w"] - lo) > 0.05 * (hi - lo) and (hi - values["w"]) > 0.05 * (hi - lo)
    lo, hi = sigmoid["xaxis"]["range"]
    assert lo < z < hi and lo <= -8 and hi >= 8, "z inside the sigmoid plot"


def test_values_at_the_edges_of_the_old_ranges_never_fail():
    for w in (-5, 5):
        for x in (-5, 5):
            for b in (-5, 5):
                for y in (0, 1):
                    args = {"w": str(w), "x": str(x), "b": str(b), "y": str(y)}
                    for name in figures.NEURON_FIGURES:
                        answer = figures.build(name, args)
                        assert all(
                            math.isfinite(v)
                            for t in answer["figure"]["data"]
                            for v in t["y"]
                            if isinstance(v, float)
                        )


# --- The figures are valid plotly figures and speak the palette theme.js knows ------------------


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_figures_are_valid_plotly(name):
    answer = figures.build(name, {})
    go.Figure(answer["figure"])  # validates every property; raises on a mistake
    layout = answer["figure"]["layout"]
    assert layout["xaxis"]["fixedrange"] and layout["yaxis"]["fixedrange"]
    assert answer["caption"] and answer["alt"]


def test_palette_matches_theme_js():
    text = (ROOT / "static" / "js" / "plots" / "theme.js").read_text()
    roles = dict(re.findall(r'"(#[0-9a-f]{6})": "(--plot-[a-z]+)"', text))
    assert set(roles) == set(figures.PALETTE.values())
    for role, colour in figures.PALETTE.items():
        assert roles[colour] == f"--plot-{role}"
    css = (ROOT / "static" / "css" / "plots.css").read_text()
    for role in figures.PALETTE:
        assert f"--plot-{role}:" in css, f"plots.css defines --plot-{role}"


# --- Counting operations on the engine's graph ---------------------------------------------------


def test_counts_of_the_neuron_by_hand():
    graph = engine({"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0})
    count = count_operations(graph)
    # forward: mul, add, sigmoid, bce on numbers; backward: 2 per signal, 7 signals.
    assert count.forward == 4
    assert count.backward == 2 * 7


def test_counts_of_a_matrix_product_by_hand():
    graph = Graph("L = sum(W @ x)", {"W": np.ones((3, 2)).tolist(), "x": [1.0, 2.0]})
    count = count_operations(graph)
    assert count.forward == 3 * 2 + 3  # multiply-adds, then the sum of 3
    assert count.backward == 2 * (3 * 2) + 2 * 3  # a matmul per parent, the sum's signal


def test_a_node_used_twice_adds_its_signals():
    one = count_operations(Graph("L = x * y", {"x": 2.0, "y": 3.0}))
    twice = count_operations(Graph("L = x * x", {"x": 2.0}))
    assert twice.backward == one.backward + 1


def test_costs_grow_as_the_lesson_says():
    points = mlp_costs()
    params = np.array([p.parameters for p in points], dtype=float)
    forward = np.array([p.forward for p in points], dtype=float)
    backprop = np.array([p.backprop for p in points], dtype=float)
    fd = np.array([p.finite_differences for p in points], dtype=float)
    assert params[0] <= 20 and params[-1] >= 4000, "from a few to thousands of parameters"
    # Backprop: a small constant times one forward pass, at every size.
    assert np.all((backprop / forward >= 2) & (backprop / forward <= 4))
    # ... so linear in P: a bounded number of operations per parameter.
    assert np.all(backprop / params <= 5)
    # Finite differences: (P + 1) forward passes, one-sided.
    assert np.array_equal(fd, (params + 1) * forward)
    # Slopes on log axes over the larger networks: 1 for backprop, 2 for finite differences.
    large = params >= 100
    slope_bp = np.polyfit(np.log(params[large]), np.log(backprop[large]), 1)[0]
    slope_fd = np.polyfit(np.log(params[large]), np.log(fd[large]), 1)[0]
    assert slope_bp == pytest.approx(1.0, abs=0.05), "backprop is linear in P"
    assert slope_fd == pytest.approx(2.0, abs=0.05), "finite differences are quadratic in P"
    assert fd[-1] / backprop[-1] > 1000


def test_the_sigmoid_caption_tells_the_lessons_story_of_the_fading_slope():
    caption = figures.build("sigmoid")["caption"]
    assert "cancels" in caption and "∂L/∂z = a − y" in caption


def test_cost_figure_shows_the_counts():
    answer = figures.build("cost")
    names = [t["name"] for t in answer["figure"]["data"]]
    assert names == [
        "finite differences (P + 1 forward passes)",
        "backpropagation (one forward + one backward pass)",
        "one forward pass",
    ]
    points = mlp_costs()
    fd, bp, fwd = answer["figure"]["data"]
    assert fd["y"] == [p.finite_differences for p in points]
    assert bp["y"] == [p.backprop for p in points]
    assert fwd["y"] == [p.forward for p in points]
    assert answer["figure"]["layout"]["xaxis"]["type"] == "log"
    assert answer["figure"]["layout"]["yaxis"]["type"] == "log"
    assert answer["program"] == MLP_PROGRAM
    assert "one-sided" in answer["caption"] and "P + 1" in answer["caption"]
    # One story with the lesson and the quiz: all P partials in one backward pass, a small
    # constant multiple of one forward pass, against P + 1 forward passes.
    assert "All P partial derivatives" in answer["caption"]
    assert f"P = {points[-1].parameters:,}" in answer["alt"]
    assert "small constant multiple of one forward pass" in answer["alt"]
    ratios = [p.backprop / p.forward for p in points]
    assert all(2.5 <= r < 4 for r in ratios), "the lesson says: about three forward passes"
    for p in (points[0], points[-1]):
        assert f"{p.backprop / p.forward:.1f} forward passes" in answer["alt"]
