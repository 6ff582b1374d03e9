"""The lesson's words: every number it prints is the engine's, the corrected statements stay
corrected, one notation throughout, and the reading time follows the length of the core text."""

import re

import numpy as np
import pytest
import yaml

from lessonengine.engine.presets import resolve
from lessonengine.engine.views import node_view
from lessonengine.graph import compute
from tests.conftest import ROOT

LESSON_FILE = ROOT / "content" / "chain-rule-in-networks.md"
QUIZ_FILE = ROOT / "content" / "chain-rule-in-networks.quiz.yaml"


def source():
    """(front matter, body) of the lesson file, read without the app's loader."""
    _, front, body = LESSON_FILE.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def core(body):
    """The core text: the body without its Going deeper blocks (the part every student reads)."""
    return re.sub(r"^(:{3,}) deeper\b.*?\n\1\n", "", body, flags=re.S | re.M)


def squash(text):
    return " ".join(text.split())


def block(body, opening):
    """The Markdown inside the block whose opening line starts with `opening` (a widget's line
    may go on with more keys)."""
    line = re.search("^" + re.escape(opening) + "(?=[ \n])", body, flags=re.M)
    start = body.index("\n", line.start()) + 1
    closing = "\n" + opening.split(" ")[0] + "\n"  # ':::' or ':::::', as the block opened
    return body[start : body.index(closing, start)]


def engine(preset_id):
    """The preset's graph computed by the engine, forward and backward."""
    program, values = resolve(preset_id)
    return compute(program, values)


def numbers(markdown):
    """The numbers the text states, in order: not the digits of names, indices and exponents
    (W^{(2)}, z_i, x^2, `W1`), of list markers, of 'layer 2' or of the formula a(1-a)."""
    text = re.sub(r"`[^`]*`", " ", markdown)
    text = re.sub(r"[\^_]\{[^{}]*\}|[\^_]\w", " ", text)
    text = re.sub(r"^\s*\d+\.\s", " ", text, flags=re.M)
    text = re.sub(r"[Ll]ayer \d|a\(1\s*-\s*a\)|\(2x\s*\+\s*1\)", " ", text)
    return [m.group() for m in re.finditer(r"(?<![\w.])-?\d+(?:\.\d+)?", text)]


def assert_numbers_are(markdown, expected):
    """Each written number equals the engine's value to the decimals it is written with."""
    written = numbers(markdown)
    values = [float(v) for v in np.concatenate([np.ravel(v) for v in expected])]
    assert len(written) == len(values), (written, values)
    for text, value in zip(written, values, strict=True):
        decimals = len(text.partition(".")[2])
        assert abs(float(text) - value) <= 0.5 * 10.0**-decimals + 1e-12, (text, value)


def test_the_backward_pass_by_hand_prints_the_engines_numbers():
    _, body = source()
    g = engine("two-layer")
    delta1 = g.grad("z1")
    expected = [
        g.value("x"),
        g.value("b1"),
        g.value("b2"),
        g.value("y"),
        g.value("W1"),
        g.value("W2"),
        np.shape(g.value("W1")),  # the legend: 3 x 2
        np.shape(g.value("W2")),  # 1 x 3
        g.value("z1"),
        g.value("a1"),
        g.value("z2"),
        g.value("z2"),  # sigma(1.01)
        g.value("a2"),
        g.value("L"),
        g.grad("z2"),  # delta^(2) = a^(2) - y
        g.grad("W2"),
        g.grad("b2"),
        g.grad("a1"),  # W^(2)T delta^(2)
        g.local_grad("a1", 0),  # the ReLU's local gradients
        g.grad("a1"),
        g.local_grad("a1", 0),
        delta1,
        g.grad("W1"),  # delta^(1) x^T
        [np.size(delta1), 1, 1, np.size(g.value("x"))],  # a 3 x 1 column times a 1 x 2 row
    ]
    assert_numbers_are(
        block(body, "::::: deeper A backward pass by hand, with the graph's numbers"), expected
    )
    # What the text says in words about these numbers.
    np.testing.assert_allclose(g.grad("z2"), g.value("a2") - g.value("y"), rtol=1e-12)
    np.testing.assert_allclose(delta1, g.grad("a1") * g.local_grad("a1", 0), rtol=1e-12)
    np.testing.assert_allclose(g.grad("W1"), np.outer(delta1, g.value("x")), rtol=1e-12)
    np.testing.assert_allclose(g.grad("b1"), delta1, rtol=1e-12)
    assert g.value("z1")[1] < 0 and g.grad("z1")[1] == 0, "the second unit is off"


def test_the_graphs_text_without_javascript_prints_the_engines_numbers():
    _, body = source()
    g = engine("neuron")
    expected = [
        g.value("w"),
        g.value("x"),
        g.value("b"),
        g.value("y"),
        g.value("_mul1"),
        g.value("z"),
        g.value("a"),
        g.value("L"),
        g.grad("a"),
        g.local_grad("a", 0),
        g.grad("z"),  # a - y
        g.grad("z"),
        g.value("x"),
        g.grad("w"),
        g.grad("z"),
        g.value("w"),
        g.grad("x"),
    ]
    fallback = block(body, "::: widget graph preset=neuron")
    assert_numbers_are(fallback, expected)
    assert "Coming soon" not in fallback and "coming soon" not in fallback


def test_the_fork_paragraph_and_its_going_deeper_block_print_the_engines_numbers():
    _, body = source()
    g = engine("fork")
    signals = {s["child"]: s["value"] for s in node_view(g, "x")["incoming"]}
    opening = "::::: deeper The chain rule for several variables"
    paragraph = body[body.index('The graph "An input used twice"') : body.index(opening)]
    expected = [
        g.value("_const1"),  # u = 3x
        g.value("x"),
        signals["u"],
        signals["v"],
        g.grad("x"),
    ]
    assert_numbers_are(paragraph, expected)
    expected = [
        g.grad("u"),
        g.local_grad("u", 1),  # 1 . 3
        g.grad("v"),
        g.value("_const2"),  # 1 . 2x
        g.value("_const1"),
        g.value("_const2"),  # 3 + 2x
        g.grad("u"),  # both 1
        g.value("x"),
        signals["u"],
        signals["v"],
        g.grad("x"),
        g.value("_const1"),  # L = 3x + x^2
    ]
    assert_numbers_are(block(body, opening), expected)
    assert g.grad("x") == signals["u"] + signals["v"], "the gradient is the sum of the signals"
    assert g.grad("x") == g.value("_const1") + g.value("_const2") * g.value("x"), "3 + 2x"


# --- The statements the review corrected stay corrected -------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [
        "That is all the mathematics backpropagation needs",  # Jacobians in order; paths add
        "product of every layer's local derivative",
        "total gradient = incoming gradient",  # wrong at every fork
        "layer 0's",  # a^(0) is the input: no weights, no z^(0)
        "This factor is $a^{(0)}$",  # a derivative with three indices
        "instead",  # the transpose is derived, not a patch
        r"\sigma'(z^{(1)})",  # f', since layer 1 may be a ReLU
        "rare property",  # tanh and exp share it
        "Coming soon",
        r"\bar",  # no bar notation
        "incoming gradient",  # one name: the upstream gradient
    ],
)
def test_a_corrected_statement_is_gone(wrong):
    _, body = source()
    assert wrong not in body


@pytest.mark.parametrize(
    "right",
    [
        r"\frac{\partial L}{\partial W^{(l)}} = \delta^{(l)}\, a^{(l-1)\top}",
        r"\frac{\partial L}{\partial b^{(l)}} = \delta^{(l)}",
        r"\partial L / \partial a^{(1)}_j = \sum_i W^{(2)}_{ij}\, \delta^{(2)}_i",
        r"\delta^{(1)} = \bigl(W^{(2)\top} \delta^{(2)}\bigr) \odot f'(z^{(1)})",
        ": the elementwise product: multiply entry by entry",
        "Every gradient has the shape of its variable",
        "**signal to an input = upstream gradient × local gradient**",
        "**a node's gradient = the sum of the signals it receives**",
        "in a deeper network every\n$\\delta^{(l)}$ is built from $\\delta^{(l+1)}$",
        "a convenient property",
        "the input $x$ and the label $y$, but those are data",
        "$P + 1$ in all",
        "one backward pass delivers all $P$ partial derivatives",
        # What issue 17 asks the core to teach first, in short form (depth in Going deeper):
        "its gradient is the sum over the paths",  # forks, on the fork preset
        r"\frac{\partial L}{\partial a^{(l-1)}} = W^{(l)\top} \delta^{(l)}",  # the signal
        "marks a *partial* derivative",  # for a reader who knows one variable only
        "each link is a [Jacobian](term:jacobian)",
        "Why backward?",
    ],
)
def test_a_corrected_statement_is_there_in_the_core_text(right):
    _, body = source()
    assert squash(right) in squash(core(body)), "in the core text, not only in a Going deeper block"


def test_the_prediction_is_a_except_where_y_hat_is_introduced():
    _, body = source()
    assert body.count(r"\hat{y}") == 3, "the seed's formula and its legend only"
    legend = body[body.index(r"(\hat{y} - y) \cdot x$$") :]
    assert legend.index(r"which is $a$") < legend.index("::: key")


def test_the_upstream_gradient_is_defined_once_and_the_glossary_names_both_uses_of_delta():
    meta, body = source()
    assert body.count("(term:upstream-gradient)") == 1
    error_signal = meta["glossary"]["error-signal"]["definition"]
    assert r"\delta^{(l)} a^{(l-1)\top}" in error_signal and "layer below" in error_signal


def test_the_quiz_says_the_same_thing():
    quiz = yaml.safe_load(QUIZ_FILE.read_text(encoding="utf-8"))
    questions = {q["id"]: q for q in quiz["questions"]}
    squared = next(
        c for c in questions["neuron-dw"]["choices"] if c["text"].startswith("$(a - y)\\,a")
    )
    assert "squared error" in squared["feedback"]
    cost = questions["error-reuse"]
    assert "small constant multiple" in cost["prompt"] and "about as much" not in cost["prompt"]
    assert "outer product" in cost["explanation"] and "f'(z^{(l)})" in cost["explanation"]
    assert r"\sigma'" not in cost["explanation"]


# --- Reading time ---------------------------------------------------------------------------------

# The seed page's core (968 words, 13 display formulas, 4 widgets to try) read in 14 minutes: one
# unit is a word, a display formula counts as 20 and a widget as 100, so about 116 units a minute.
UNITS_PER_MINUTE = (968 + 20 * 13 + 100 * 4) / 14


def core_units(body):
    """The reading units of the core text: no Going deeper block, no widget fallback text."""
    text = core(body)
    widgets = len(re.findall(r"^::: widget (?!quiz)", text, flags=re.M))
    text = re.sub(r"::: widget.*?\n:::\n", "", text, flags=re.S)
    display = len(re.findall(r"\$\$.*?\$\$", text, flags=re.S))
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$]+\$", "M", text)  # an inline formula reads like a word
    text = re.sub(r"^:::.*$", "", text, flags=re.M)
    return len(text.split()) + 20 * display + 100 * widgets


def test_the_reading_time_follows_the_core_text():
    meta, body = source()
    assert meta["minutes"] == round(core_units(body) / UNITS_PER_MINUTE)
    # Issue 17 kept the core at 14 min; issue 16 adds the two-layer graph to it (a widget, 100).
    assert meta["minutes"] <= 15, "depth goes into Going deeper; the core stays 15 min"


def test_every_going_deeper_block_is_left_out_of_the_core_as_a_whole():
    """Each closes before the next part or section opens (so core() drops each whole), and the
    core keeps every section and the widgets a reader tries on the way."""
    _, body = source()
    openings = re.findall(r"^(:{3,} deeper .+)$", body, flags=re.M)
    assert len(openings) == 8
    for opening in openings:
        inside = block(body, opening)
        assert " deeper " not in inside and "\n## " not in inside
    text = core(body)
    assert "deeper" not in re.findall(r"^:::+ ?(\w+)", text, flags=re.M)
    assert re.findall(r"^## .+$", text, flags=re.M) == re.findall(r"^## .+$", body, flags=re.M)
    assert re.findall(r"^::: widget (\S+(?: \S+)?)", text, flags=re.M) == [
        "plot figure=sigmoid",
        "plot figure=loss-tangent",
        "graph preset=neuron",
        "graph preset=two-layer",
        "plot figure=cost",
        "quiz",
    ]
