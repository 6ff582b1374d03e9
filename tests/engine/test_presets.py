"""The lesson's presets: their graphs and the gradients the lesson talks about."""

import numpy as np
import pytest

from lessonengine import graph as engine
from lessonengine.errors import InputError, NotFoundError
from lessonengine.graph import Graph
from lessonengine.presets import PRESETS, compute_preset, get_preset, preset_list, resolve


def graph(preset_id, **overrides):
    program, values = resolve(preset_id, overrides or None)
    return Graph(program, values)


def test_preset_ids_and_fields():
    assert list(PRESETS) == ["neuron", "chain", "gears", "gates", "fork", "two-layer"]
    for preset in preset_list():
        assert set(preset) == {"id", "title", "description", "program", "values"}
        assert preset["title"] and preset["description"]


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_every_preset_runs_and_passes_its_gradient_check(preset_id):
    view = graph(preset_id).to_dict()
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
    assert g.grad("x") == 6.0 and g.grad("y") == 3.0 and g.value("z") == 6.0


def test_gates_add_multiply_and_max():
    g = graph("gates")
    assert g.grad("x") == g.grad("y") == g.value("r")  # add: unchanged to both
    assert g.grad("q") == g.value("r") and g.grad("r") == g.value("q")  # multiply: swapped
    assert g.grad("z") == g.grad("r") and g.grad("w") == 0.0  # max: to the larger only


def test_fork_gradient_is_the_sum_of_two_signals():
    g = graph("fork")
    x = g.value("x")
    assert g.grad("x") == pytest.approx(3 + 2 * x)
    incoming = g.node_dict("x")["incoming"]
    assert [i["child"] for i in incoming] == ["a", "b"]
    assert sorted(i["value"] for i in incoming) == pytest.approx(sorted([3.0, 2 * x]))


def test_two_layer_signal_to_hidden_is_w2_transpose_times_upstream():
    g = graph("two-layer")
    w2 = np.array(g.value("W2"))
    upstream = np.asarray(g.grad("_matmul2"))
    view = g.node_dict("_matmul2")
    to_h = next(s["value"] for s in view["signals"] if s["parent"] == "h")
    np.testing.assert_allclose(to_h, w2.T @ upstream, rtol=1e-12)
    np.testing.assert_allclose(g.grad("h"), w2.T @ upstream, rtol=1e-12)
    to_w2 = next(s["value"] for s in view["signals"] if s["parent"] == "W2")
    np.testing.assert_allclose(to_w2, np.outer(upstream, g.value("h")), rtol=1e-12)
    assert "W_{2}^{T}" in view["local_grads"][1]["rule"]
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
