"""The lesson's graphs: each a program with default values, a title and one line of description."""

from dataclasses import dataclass, field

from lessonengine.errors import InputError, NotFoundError
from lessonengine.graph import compute


@dataclass(frozen=True)
class Preset:
    """A program the lesson starts from, with the values of its inputs."""

    id: str
    title: str
    description: str
    program: str
    values: dict = field(default_factory=dict)

    def to_dict(self):
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "program": self.program,
            "values": self.values,
        }


PRESETS = {
    preset.id: preset
    for preset in [
        Preset(
            "neuron",
            "A single neuron",
            "The lesson's neuron: a weighted input plus a bias, squashed by a sigmoid and scored "
            "by binary cross-entropy. Its gradient for w is (a − y) x.",
            "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)",
            {"w": 0.8, "x": 1.5, "b": -0.5, "y": 1.0},
        ),
        Preset(
            "chain",
            "The chain rule: (2x + 1)³",
            "The refresher's composition: the inner function u = 2x + 1, the outer L = u³, and "
            "dL/dx = 3u² · 2.",
            "u = 2*x + 1\nL = u ** 3",
            {"x": 0.5},
        ),
        Preset(
            "gears",
            "A lever and two gears",
            "A lever doubles the motion (y = 2x) and a pair of gears triples it (z = 3y): turning "
            "x by a little turns z 2 × 3 = 6 times as much.",
            "y = 2*x\nz = 3*y",
            {"x": 1.0},
        ),
        Preset(
            "gates",
            "Add, multiply and max gates",
            "A small circuit: add hands its gradient to both inputs, max routes it to the larger "
            "input only, multiply swaps its inputs.",
            "q = x + y\nr = max(z, w)\nf = q * r",
            {"x": 3.0, "y": -1.0, "z": 2.0, "w": -4.0},
        ),
        Preset(
            "fork",
            "An input used twice",
            "x feeds two nodes, so two signals arrive at it and its gradient is their sum: "
            "dL/dx = 3 + 2x.",
            "a = 3*x\nb = x ** 2\nL = a + b",
            {"x": 2.0},
        ),
        Preset(
            "two-layer",
            "A two-layer network",
            "Weight matrices, a ReLU hidden layer and a sigmoid output: the signal to the hidden "
            "activation h is W2 transposed times the upstream gradient.",
            "z1 = W1 @ x + b1\nh = relu(z1)\nz2 = W2 @ h + b2\np = sigmoid(z2)\nL = bce(p, y)",
            {
                "W1": [[0.5, -0.3], [0.2, 0.8], [0.4, -0.1]],
                "x": [1.0, -2.0],
                "b1": [0.1, 0.0, -0.2],
                "W2": [[0.7, -0.5, 0.3]],
                "b2": [0.05],
                "y": [1.0],
            },
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
