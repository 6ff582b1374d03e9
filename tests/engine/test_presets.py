"""The lesson's presets: their graphs and the gradients the lesson talks about."""

import re

import numpy as np
import pytest

from lessonengine.engine import cache as engine
from lessonengine.engine.presets import PRESETS, compute_preset, get_preset, preset_list, resolve
from lessonengine.engine.views import graph_view, node_view
from lessonengine.errors import InputError, NotFoundError
from lessonengine.graph import Graph


def graph(preset_id, **overrides):
    program, values = resolve(preset_id, overrides or None)
    return Graph(program, values)


def test_preset_ids_and_fields():
    assert list(PRESETS) == ["neuron", "chain", "gears", "gates", "fork", "two-layer"]
    for preset in preset_list():
        assert set(preset) == {"id", "title", "description", "program", "values", "parameters"}
        assert preset["title"] and preset["description"]


@pytest.mark.parametrize(
    ("preset_id", "parameters"),
    [
        ("neuron", ["w", "b"]),
        ("chain", ["x"]),
        ("gears", ["lever"]),
        ("gates", ["u", "v", "s", "t"]),
        ("fork", ["x"]),
        ("two-layer", ["W1", "b1", "W2", "b2"]),
    ],
)
def test_parameters_are_the_inputs_a_training_step_moves(preset_id, parameters):
    preset = next(p for p in preset_list() if p["id"] == preset_id)
    assert preset["parameters"] == parameters
    inputs = graph(preset_id).program.input_names
    assert set(parameters) <= set(inputs)
    assert "y" not in parameters, "a label is data: training never moves it"


# --- Every number a description states is the engine's ------------------------------------------

NUMBER = re.compile(r"(?<![\w.⁽])[−-]?\d+(?:\.\d+)?")


def signal(g, child, parent):
    """What node `child` sends back to its input `parent` (upstream times local)."""
    view = node_view(g, child)
    return next(s["value"] for s in view["signals"] if s["parent"] == parent)


# Per preset: the numbers its description writes, in order, each as the engine computes it (or
# as the program writes it, for a constant of the program).
STATED = {
    "neuron": lambda g: [
        g.value("w"),
        g.value("x"),
        g.value("b"),
        g.value("y"),
        g.value("z"),
        g.value("a"),
        g.grad("w"),
    ],
    "chain": lambda g: [
        g.value("_const1"),
        g.value("_const2"),
        g.value("x"),
        g.value("u"),
        g.value("L"),
        g.value("_const3"),
        g.local_grad("_mul1", 1),
        g.grad("x"),
    ],
    "gears": lambda g: [
        g.local_grad("gear1", 1),
        g.value("_const1"),
        g.local_grad("gear2", 1),
        g.value("_const2"),
        g.value("lever"),
        g.value("gear2"),
        g.local_grad("gear1", 1),
        g.local_grad("gear2", 1),
        g.grad("lever"),
    ],
    "gates": lambda g: [
        g.value("u"),
        g.value("v"),
        g.value("s"),
        g.value("t"),
        g.grad("q"),
        g.grad("r"),
        g.grad("u"),
        g.grad("s"),
        g.grad("t"),
    ],
    "fork": lambda g: [
        g.value("_const1"),
        g.value("x"),
        signal(g, "u", "x"),
        signal(g, "v", "x"),
        g.local_grad("u", 1),
        g.value("_const2"),
        g.grad("x"),
    ],
    "two-layer": lambda g: [
        np.size(g.value("z1")),
        g.value("a2")[0],
        g.grad("z2")[0],
        *g.grad("a1"),
        g.value("z1")[1],
    ],
}


def written_numbers(text):
    """The numbers of a description, in order, with the decimals each one is written to."""
    found = []
    for match in NUMBER.finditer(text):
        written = match.group().replace("−", "-")
        decimals = len(written.partition(".")[2])
        found.append((written, float(written), decimals))
    return found


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_number_a_description_states_is_the_engines(preset_id):
    g = graph(preset_id)
    expected = [float(np.asarray(v)) for v in STATED[preset_id](g)]
    written = written_numbers(get_preset(preset_id).description)
    assert len(written) == len(expected), [w for w, _, _ in written]
    for (text, number, decimals), value in zip(written, expected, strict=True):
        assert abs(number - value) <= 0.5 * 10.0**-decimals + 1e-12, (text, value)


def test_the_descriptions_claims_hold():
    """The relations the descriptions state in words and symbols, checked on the engine."""
    neuron = graph("neuron")
    assert neuron.grad("w") == pytest.approx((neuron.value("a") - neuron.value("y")) * 1.5)
    gates = graph("gates")
    assert gates.grad("u") == gates.grad("v") == gates.grad("q")
    assert gates.grad("q") == gates.value("r") and gates.grad("r") == gates.value("q")
    fork = graph("fork")
    assert fork.grad("x") == pytest.approx(3 + 2 * fork.value("x"))
    two = graph("two-layer")
    assert two.grad("z2")[0] == pytest.approx(two.value("a2")[0] - two.value("y")[0])
    assert two.value("z1")[1] < 0 and two.grad("z1")[1] == 0


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_preset_runs_and_passes_its_gradient_check(preset_id):
    view = graph_view(graph(preset_id))
    assert view["nodes"][-1]["id"] == view["output"]
    for check in view["check"]:
        assert check["rel_error"] < 1e-6, check
        assert check["checked"] == check["elements"]


def test_neuron_is_the_lessons_neuron():
    preset = get_preset("neuron")
    assert preset.program == "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"
    g = graph("neuron")
    assert [n.id for n in g.nodes] == ["w", "x", "_mul1", "b", "z", "a", "y", "L"]


@pytest.mark.parametrize(("w", "x", "b", "y"), [(0.8, 1.5, -0.5, 1.0), (-2.0, 0.3, 1.0, 0.0)])
def test_neuron_dl_dw_is_a_minus_y_times_x(w, x, b, y):
    g = graph("neuron", w=w, x=x, b=b, y=y)
    a = g.value("a")
    assert g.grad("w") == pytest.approx((a - y) * x, rel=1e-12)
    assert g.grad("z") == pytest.approx(a - y, rel=1e-12)


def test_chain_is_three_u_squared_times_two():
    g = graph("chain")
    u = g.value("u")
    assert g.value("L") == 8.0 and g.grad("x") == pytest.approx(3 * u**2 * 2)
    assert graph("chain", x=-2.0).grad("x") == pytest.approx(6 * (2 * -2.0 + 1) ** 2)


def test_gears_multiply_two_by_three():
    g = graph("gears")
    assert g.grad("lever") == 6.0 and g.grad("gear1") == 3.0 and g.value("gear2") == 6.0


def test_gears_and_gates_use_none_of_the_lessons_names():
    """The lesson's y, z, w, a and b each mean one thing; these presets use other names."""
    for preset_id in ("gears", "gates", "fork"):
        ids = {node.id for node in graph(preset_id).nodes}
        assert not ids & {"y", "z", "w", "a", "b"}, preset_id


def test_gates_add_multiply_and_max():
    g = graph("gates")
    assert g.grad("u") == g.grad("v") == g.value("r")  # add: unchanged to both
    assert g.grad("q") == g.value("r") and g.grad("r") == g.value("q")  # multiply: swapped
    assert g.grad("s") == g.grad("r") and g.grad("t") == 0.0  # max: to the larger only


def test_fork_gradient_is_the_sum_of_two_signals():
    g = graph("fork")
    x = g.value("x")
    assert g.grad("x") == pytest.approx(3 + 2 * x)
    incoming = node_view(g, "x")["incoming"]
    assert [i["child"] for i in incoming] == ["u", "v"]
    assert sorted(i["value"] for i in incoming) == pytest.approx(sorted([3.0, 2 * x]))


def test_two_layer_signal_to_a1_is_w2_transpose_times_upstream():
    g = graph("two-layer")
    w2 = np.array(g.value("W2"))
    upstream = np.asarray(g.grad("_matmul2"))
    view = node_view(g, "_matmul2")
    to_a1 = next(s["value"] for s in view["signals"] if s["parent"] == "a1")
    np.testing.assert_allclose(to_a1, w2.T @ upstream, rtol=1e-12)
    np.testing.assert_allclose(g.grad("a1"), w2.T @ upstream, rtol=1e-12)
    to_w2 = next(s["value"] for s in view["signals"] if s["parent"] == "W2")
    np.testing.assert_allclose(to_w2, np.outer(upstream, g.value("a1")), rtol=1e-12)
    assert r"W_{2}^{\top}" in view["local_grads"][1]["rule"]
    # ReLU blocks the gradient of the hidden unit that was off.
    z1 = np.asarray(g.value("z1"))
    assert (np.asarray(g.grad("z1"))[z1 <= 0] == 0).all()


def test_overrides_and_errors():
    program, values = resolve("neuron", {"w": 2.0})
    assert values["w"] == 2.0 and values["x"] == 1.5
    assert get_preset("neuron").values["w"] == 0.8  # the defaults are untouched
    with pytest.raises(NotFoundError):
        resolve("nope")
    with pytest.raises(NotFoundError):
        get_preset(3)
    with pytest.raises(InputError):
        resolve("neuron", [1])
    with pytest.raises(InputError, match="not inputs"):
        compute_preset("neuron", {"q": 1.0})


def test_compute_preset_reuses_the_graph(monkeypatch):
    monkeypatch.setattr(engine, "cache_enabled", True)
    assert compute_preset("gears") is compute_preset("gears")
