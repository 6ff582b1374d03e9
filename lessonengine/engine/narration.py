"""The graph widget's narration of each step, as the graph's JSON sends it: a node's forward step
(its formula with its numbers) and its backward step (the gradient arriving, and from where).

A sentence is a list of parts, each plain text or {"tex": ...} (typeset by the browser's KaTeX).
Numbers are written as the widget writes them (format.js): 4 significant digits, a true minus.
"""

import math
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from lessonengine.engine.program import CONST, INPUT
from lessonengine.engine.tex import node_tex, node_text


def display_number(value):
    """A number as the widget shows it: 4 significant digits (ties away from zero, as
    JavaScript's toPrecision), an exponent below 1e-3 or from 1e5, a true minus sign."""
    if value is None:
        return "—"
    x = float(value)
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "−Infinity")
    if x and (abs(x) >= 1e5 or abs(x) < 1e-3):
        digits = Decimal(x).scaleb(-math.floor(math.log10(abs(x))))
        exponent = math.floor(math.log10(abs(x)))
        mantissa = digits.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if abs(mantissa) >= 10:  # 9.995 rounds up to the next power of ten
            mantissa, exponent = (mantissa / 10).quantize(Decimal("0.01")), exponent + 1
        text = f"{format(mantissa.normalize(), 'f')}e{exponent}"
    else:
        exponent = math.floor(math.log10(abs(x))) if x else 0
        rounded = Decimal(x).quantize(Decimal(1).scaleb(exponent - 3), rounding=ROUND_HALF_UP)
        text = format(rounded.normalize(), "f") if rounded else "0"
    return text.replace("-", "−", 1)  # as format.js: the sign, or an exponent's


def _tex(tex):
    return {"tex": tex}


def _name_tex(node, tex):
    # A result the student did not name is an expression: brackets around it, ∂L/∂(w·x).
    return rf"\left({tex}\right)" if node.id.startswith("_") and tex else tex or node.id


def _grad_tex(node, tex):
    return r"\frac{\partial L}{\partial " + _name_tex(node, tex) + "}"


def _shown(value):
    shape = np.shape(value)
    return f"a {'×'.join(map(str, shape))} array" if shape else display_number(value)


def _written(program, node):
    # The right-hand side the student wrote for a named node (z = w*x + b), read: w·x + b.
    lines = program.text.split("\n")
    line = lines[node.line - 1] if node.line and node.line <= len(lines) else ""
    match = re.match(rf"^\s*{re.escape(node.id)}\s*=(?!=)(.*)$", line.split("#")[0])
    if not match:
        return ""
    return match.group(1).strip().replace("**", "^").replace("*", "·").replace("-", "−")


def forward_parts(graph, node):
    """One sentence for a node's forward step: its formula with its numbers."""
    program = graph.program
    tex = node_tex(program, node.index)
    name = _tex(tex or node.id)
    value = graph.values[node.index]
    if node.op == CONST:
        return ["Forward: the constant ", name, "."]
    if node.op == INPUT:
        return ["Forward: ", name, " is an input, ", name, f" = {_shown(value)}."]
    parents = [program.nodes[p] for p in node.parents]
    if node.id.startswith("_") and tex:
        head = ["Forward: ", _tex(tex)]
    else:
        written = _written(program, node)
        if not written:
            names = ", ".join(_name_tex(p, node_tex(program, p.index)) for p in parents)
            written = _tex(rf"\operatorname{{{node.op}}}\left({names}\right)")
        head = ["Forward: ", name, " = ", written]
    numbers = ", ".join(
        f"{node_text(program, p.index)} = {_shown(graph.values[p.index])}" for p in parents
    )
    return [*head, f" = {_shown(value)}", f", with {numbers}." if parents else "."]


def backward_parts(graph, node):
    """One sentence for a node's backward step: the gradient arriving at it, and from where."""
    program = graph.program
    tex = node_tex(program, node.index)
    name = _tex(tex or node.id)
    if node.op == CONST:
        return ["Backward: ", name, " is a constant; it needs no gradient."]
    if node.index == program.output:
        one = _tex(r"\frac{\partial L}{\partial L} = 1")
        return ["Backward: start at the loss ", name, ", ", one, "."]
    kids = []
    for child, _slot in program.children[node.index]:
        if child not in kids:
            kids.append(child)
    kids.sort()
    sources = []
    for i, child in enumerate(kids):
        if i:
            sources.append(" and " if i == len(kids) - 1 else ", ")
        kid = program.nodes[child]
        sources.append(_tex(_name_tex(kid, node_tex(program, child))))
    how = ", the sum of the signals from " if len(kids) > 1 else ", arriving from "
    grad = f" = {_shown(graph.grads[node.index])}"
    return ["Backward: ", _tex(_grad_tex(node, tex)), grad, how, *sources, "."]
