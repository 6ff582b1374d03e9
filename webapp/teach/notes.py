"""A short title for each note the grader gives (lessonengine.assessment.mistakes.NOTES)."""

from lessonengine.assessment.mistakes import NOTES

# The catalogue's sentences need a step's numbers; the dashboard names a note in a few words.
NOTE_TITLES = {
    "correct": "Right",
    "forgot-upstream": "Local gradient alone, not times upstream",
    "upstream-only": "Upstream gradient passed on, local gradient left out",
    "swapped-inputs": "Product: own input instead of the other one",
    "extra-sigmoid-derivative": "Sigmoid's slope counted twice before cross-entropy",
    "sigmoid-output": "Sigmoid's output instead of a(1 \u2212 a)",
    "relu-side": "ReLU: gradient passed on the wrong side",
    "add-split": "Add node: gradient shared out instead of copied",
    "mean-factor": "Mean: the 1/N missed or repeated",
    "no-transpose": "Matrix product: transpose missed",
    "missed-fork": "Fork: signals not added up",
    "forward-value": "Forward value instead of a gradient",
    "sign": "Wrong sign",
    "wrong-shape": "Wrong shape",
    "rounding": "Close, but rounded too early",
    "carried-forward": "Right from an earlier wrong value",
    "unrecognised": "Not a known mistake",
}


def note_titles() -> dict[str, str]:
    """Every note's title: the catalogue's ids, each with its words (the id when it has none)."""
    return {note: NOTE_TITLES.get(note, note) for note in NOTES}
