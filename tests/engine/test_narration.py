"""The narration the graph's JSON carries: each node's forward and backward sentence, with its
numbers written exactly as the browser writes every other number (format.js)."""

import json
import random
import subprocess
from pathlib import Path

import pytest

from lessonengine.engine.cache import compute
from lessonengine.engine.narration import display_number
from lessonengine.engine.presets import compute_preset
from lessonengine.engine.views import graph_view

FORMAT_JS = Path(__file__).resolve().parents[2] / "static/js/graph/format.js"


def sentences(graph_json, field):
    """Each node's sentence as plain text, formulas as their TeX."""
    return {
        n["id"]: "".join(p if isinstance(p, str) else "$" + p["tex"] + "$" for p in n[field])
        for n in graph_json["nodes"]
    }


def test_the_neurons_steps_in_words():
    view = graph_view(compute_preset("neuron"))
    forward, backward = sentences(view, "forward"), sentences(view, "backward")
    assert forward["w"] == "Forward: $w$ is an input, $w$ = 0.8."
    # A named node reads the line the student wrote; an unnamed one is its own formula.
    assert forward["z"] == "Forward: $z$ = w·x + b = 0.7, with w·x = 1.2, b = −0.5."
    assert forward["_mul1"] == r"Forward: $w\,x$ = 1.2, with w = 0.8, x = 1.5."
    assert forward["a"].startswith("Forward: $a$ = sigmoid(z) = 0.6682, with z = 0.7")
    # The gradient of the node w·x, never (∂L/∂w)·x.
    assert backward["_mul1"] == (
        r"Backward: $\frac{\partial L}{\partial \left(w\,x\right)}$ = −0.3318, arriving from $z$."
    )
    assert backward["L"].startswith("Backward: start at the loss $L$")


def test_a_fork_sums_the_signals_and_a_constant_needs_no_gradient():
    view = graph_view(compute("u = 2*x\nv = x*x\nL = u + v", {"x": 3.0}))
    backward = sentences(view, "backward")
    assert backward["x"] == (
        r"Backward: $\frac{\partial L}{\partial x}$ = 8, the sum of the signals from $u$ and $v$."
    )
    constant = next(n["id"] for n in view["nodes"] if n["op"] == "const")
    assert sentences(view, "forward")[constant] == "Forward: the constant $2$."
    assert backward[constant] == "Backward: $2$ is a constant; it needs no gradient."


def test_an_array_is_named_by_its_shape():
    view = graph_view(compute("L = sum(W @ x)", {"W": [[1.0, 2.0]], "x": [3.0, 4.0]}))
    assert sentences(view, "forward")["x"] == "Forward: $x$ is an input, $x$ = a 2 array."


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.8, "0.8"),
        (-0.4977, "−0.4977"),
        (1234.5, "1235"),
        (12345, "12350"),
        (2e5, "2e5"),
        (1.5e-4, "1.5e−4"),
        (-1.5e-4, "−1.5e-4"),
        (99999.9, "100000"),
        (-0.0, "0"),
        (None, "—"),
    ],
)
def test_numbers_as_the_widget_writes_them(value, text):
    assert display_number(value) == text


def test_numbers_match_the_browsers_formatter_exactly():
    rng = random.Random(14)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-9, 9) for _ in range(2000)]
    values += [round(rng.uniform(-100, 100), rng.randint(0, 5)) for _ in range(2000)]
    values += [0.125, -0.0625, 2.5, 99995, 0.00099995, 9.9999e-4, 1e300, 5e-324]
    script = (
        f'import {{ formatNumber }} from "{FORMAT_JS.as_uri()}";'
        "console.log(JSON.stringify(JSON.parse(process.argv[1]).map(formatNumber)));"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(values)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    browser = json.loads(result.stdout)
    assert [display_number(v) for v in values] == browser
