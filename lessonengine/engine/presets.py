"""The lesson's graphs: each a program with default values, a title and one line of description."""

from dataclasses import dataclass, field

from lessonengine.engine.cache import compute
from lessonengine.errors import InputError, NotFoundError


@dataclass(frozen=True)
class Preset:
    """A program the lesson starts from, with the values of its inputs.

    `parameters` are the inputs a training step updates (a gradient-descent step moves these and
    leaves the others, data such as x and labels such as y, as they are). The numbers written in
    `description` are the engine's on `values` (tests/engine/test_presets.py recomputes them).
    """

    id: str
    title: str
    description: str
    program: str
    values: dict = field(default_factory=dict)
    parameters: tuple[str, ...] = ()

    def to_dict(self):
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "program": self.program,
            "values": self.values,
            "parameters": list(self.parameters),
        }


PRESETS = {
    preset.id: preset
    for preset in [
        Preset(
            "neuron",
            "A single neuron",
            "The lesson's neuron: z = w·x + b, a = σ(z), scored by binary cross-entropy against "
            "the label y. At w = 0.8, x = 1.5, b = −0.5 and y = 1 it gives z = 0.7, a = 0.668 "
            "and ∂L/∂w = (a − y)·x = −0.498. Training moves w and b; x and y are data.",
            "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)",
            {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0},
            ("w", "b"),
        ),
        Preset(
            "chain",
            "The chain rule: (2x + 1)³",
            "The refresher's composition: the inner function u = 2x + 1 and the outer L = u³. "
            "At x = 0.5, u = 2, L = 8 and dL/dx = 3u² · 2 = 24.",
            "u = 2*x + 1\nL = u ** 3",
            {"x": 0.5},
            ("x",),
        ),
        Preset(
            "gears",
            "A lever and two gears",
            "The intuition's machine: each centimetre of lever turns the first gear 2 degrees "
            "(gear1 = 2·lever), and each degree of that gear turns the second 3 degrees "
            "(gear2 = 3·gear1). At lever = 1, gear2 = 6, and d gear2 / d lever = 2 × 3 = 6.",
            "gear1 = 2*lever\ngear2 = 3*gear1",
            {"lever": 1.0},
            ("lever",),
        ),
        Preset(
            "gates",
            "Add, multiply and max gates",
            "A small circuit, out = q·r with q = u + v and r = max(s, t), at u = 3, v = −4, s = 2 "
            "and t = −1. Multiply sends each input the other one's value times the upstream "
            "gradient: ∂out/∂q = r = 2 and ∂out/∂r = q = −1. Add hands "
            "its upstream gradient to both inputs unchanged: ∂out/∂u = ∂out/∂v = 2. Max routes "
            "it to the larger input only: ∂out/∂s = −1 and ∂out/∂t = 0.",
            "q = u + v\nr = max(s, t)\nout = q * r",
            {"u": 3.0, "v": -4.0, "s": 2.0, "t": -1.0},
            ("u", "v", "s", "t"),
        ),
        Preset(
            "fork",
            "An input used twice",
            "x feeds two nodes, u = 3x and v = x², and L = u + v. At x = 2 two signals arrive at "
            "x, 3 from u and 4 from v, and its gradient is their sum: ∂L/∂x = 3 + 2x = 7.",
            "u = 3*x\nv = x ** 2\nL = u + v",
            {"x": 2.0},
            ("x",),
        ),
        Preset(
            "two-layer",
            "A two-layer network",
            "The multi-layer section's network, with the input x as a⁽⁰⁾: a ReLU hidden layer "
            "a1 = relu(W1·x + b1) of 3 units and a sigmoid output a2 = σ(W2·a1 + b2). Here "
            "a2 = 0.733 and δ⁽²⁾ = a2 − y = −0.267; the signal to a1 is W2ᵀδ⁽²⁾ = "
            "(−0.187, 0.133, −0.08), and the ReLU stops it at the second unit, whose "
            "z1 = −1.4 is negative. Training moves W1, b1, W2 and b2.",
            "z1 = W1 @ x + b1\na1 = relu(z1)\nz2 = W2 @ a1 + b2\na2 = sigmoid(z2)\nL = bce(a2, y)",
            {
                "W1": [[0.5, -0.3], [0.2, 0.8], [0.4, -0.1]],
                "x": [1.0, -2.0],
                "b1": [0.1, 0.0, -0.2],
                "W2": [[0.7, -0.5, 0.3]],
                "b2": [0.05],
                "y": [1.0],
            },
            ("W1", "b1", "W2", "b2"),
        ),
    ]
}


def preset_list():
    """Every preset as a plain dict, in the lesson's order (GET /api/presets)."""
    return [preset.to_dict() for preset in PRESETS.values()]


def get_preset(preset_id):
    """The preset with this id, or NotFoundError."""
    preset = PRESETS.get(preset_id) if isinstance(preset_id, str) else None
    if preset is None:
        raise NotFoundError(
            f"there is no preset {preset_id!r}; the presets are: {', '.join(PRESETS)}"
        )
    return preset


def resolve(preset_id, overrides=None):
    """The program and values of a preset, with some of its defaults overridden."""
    preset = get_preset(preset_id)
    if overrides is None:
        return preset.program, preset.values
    if not isinstance(overrides, dict):
        raise InputError("values must be an object mapping input names to values")
    return preset.program, {**preset.values, **overrides}


def compute_preset(preset_id, overrides=None):
    """The computed Graph of a preset (cached like any other; by id when nothing is overridden)."""
    program, values = resolve(preset_id, overrides)
    return compute(program, values, key=("preset", preset_id) if overrides is None else None)
