"""Reading a student's answer: a number, a vector or matrix, or an expression over the graph.

    0.147    -1.5e-3    1/4    [0.1, -0.2]    [[1, 0], [0, 1]]    a*(1-a)    transpose(W2) @ g
    outer(g, x)   (the outer product g xᵀ: a weight matrix's gradient)

An expression is read with the engine's own whitelist parser (never `eval`): it is the program
`answer = <text>`, whose inputs must be names of the graph. How it was read is given back in TeX
(`Answer.tex`), so the student sees it typeset before it is graded, as STACK does.
"""

import ast
import math
import re
from dataclasses import dataclass

import numpy as np

from lessonengine.engine.graph import Graph
from lessonengine.engine.program import CONST, check_brackets, parse
from lessonengine.engine.tex import expression_tex, format_number
from lessonengine.errors import GraphError

OUTER_HINT = (
    "vectors here have one axis, so u @ v is their dot product; write the outer product u vᵀ "
    "as outer(u, v)"
)
MAX_ANSWER_CHARS = 1000
MAX_ELEMENTS = 4096
# The engine's messages that speak of a program, as said to a student typing an answer.
_FOR_ANSWERS = {
    "lists are not allowed": "a vector can be typed alone, [0.1, -0.2], not inside an "
    "expression: write the expression with the graph's names, not their numbers",
    "subscripts (a[i]) are not allowed": "subscripts (a[i]) are not allowed: write the "
    "expression with whole vectors and matrices, by the graph's names",
}
_TARGET = "answer_value_"  # the name the answer is assigned to; never a name students use
_PREFIX = f"{_TARGET} = "


class AnswerError(ValueError):
    """An answer that cannot be read or evaluated; `column` (1-based) says where, when known."""

    def __init__(self, message, column=None):
        super().__init__(message)
        self.message = message
        self.column = column

    def to_dict(self):
        return {"message": self.message, "column": self.column or 1}


@dataclass(frozen=True, eq=False)
class Answer:
    """A read answer: `kind` is "number", "array" or "expression"; `tex` is how it was read."""

    text: str
    kind: str
    tex: str
    value: object = None  # the number or array, for a number or an array
    program: object = None  # the parsed `answer = ...`, for an expression
    names: tuple = ()  # the graph's names the expression uses

    def evaluate(self, values):
        """The answer's value, given the values of the names it uses (name -> array or float)."""
        if self.program is None:
            return self.value
        try:
            graph = Graph(self.program, {name: values[name] for name in self.names}, False)
        except GraphError as exc:
            message = f"your expression cannot be evaluated: {_plain(exc)}"
            if re.search(r"\(\d+,\) @ \(\d+,\)", message):  # g @ transpose(x) as on paper
                message += f" ({OUTER_HINT})"
            raise AnswerError(message) from None
        return graph.values[self.program.output]


def read_answer(text, names):
    """Read `text` as an answer over `names` (the graph's names); raises AnswerError."""
    if not isinstance(text, str):
        raise AnswerError("the answer must be text")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(
            f"the answer is longer than {MAX_ANSWER_CHARS:,} characters", MAX_ANSWER_CHARS + 1
        )
    if "\n" in text or "\r" in text:
        raise AnswerError("an answer is one line", min(_find(text, "\n"), _find(text, "\r")))
    stripped = text.strip()
    if not stripped:
        raise AnswerError(
            "type a number (0.25 or 1/4), a vector ([0.1, -0.2]) or an expression (a*(1 - a))", 1
        )
    try:
        check_brackets(stripped)
    except GraphError as exc:
        raise AnswerError(exc.message, _column(text, stripped, exc.column)) from None
    literal = _literal(text, stripped)
    if literal is not None:
        return literal
    return _expression(text, stripped, frozenset(names))


def _find(text, char):
    index = text.find(char)
    return index + 1 if index >= 0 else len(text) + 1


def _column(text, stripped, column):
    """A column of `stripped` as a column of the text the student typed."""
    if column is None:
        return None
    # Python's parser may point just before or past the typed text (`2 +` ends too soon): the
    # column stays on the text, 1 to one past its end.
    column = min(max(column, 1), len(stripped) + 1)
    return column + (len(text) - len(text.lstrip()))


def _literal(text, stripped):
    """A number or a (nested) list of numbers; None when the text is something else."""
    try:
        tree = ast.parse(stripped, mode="eval").body
    except SyntaxError as exc:
        raise AnswerError(
            f"the answer cannot be read: {exc.msg}", _column(text, stripped, exc.offset)
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise AnswerError("the answer cannot be read", 1) from None
    number = _number(tree)
    if number is not None:
        return Answer(text, "number", format_number(number), value=number)
    if not isinstance(tree, ast.List):
        return None
    rows = [_row(text, stripped, item) for item in tree.elts] if tree.elts else None
    if rows is None:
        raise AnswerError("the list is empty", _column(text, stripped, tree.col_offset + 1))
    if all(isinstance(row, list) for row in rows):
        if len({len(row) for row in rows}) != 1:
            raise AnswerError("the rows of the matrix must all have the same length", 1)
        value = np.array(rows, dtype=float)
    elif any(isinstance(row, list) for row in rows):
        raise AnswerError("mix of numbers and rows: write a vector or a matrix", 1)
    else:
        value = np.array(rows, dtype=float)
    if value.size > MAX_ELEMENTS:
        raise AnswerError(f"the answer has more than {MAX_ELEMENTS:,} numbers", 1)
    return Answer(text, "array", _matrix_tex(value), value=value)


def _row(text, stripped, item):
    number = _number(item)
    if number is not None:
        return number
    if isinstance(item, ast.List) and item.elts:
        row = [_number(x) for x in item.elts]
        if all(x is not None for x in row):
            return row
    raise AnswerError(
        "a vector or matrix holds numbers only, as in [0.1, -0.2] or [[1, 0], [0, 1]]",
        _column(text, stripped, getattr(item, "col_offset", 0) + 1),
    )


def _number(node):
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            value = sign * float(node.value)
        except OverflowError:  # a whole number of hundreds of digits
            value = math.inf
        if not math.isfinite(value):
            raise AnswerError(
                "this number is too large for a float (about 1.8e308 at most)",
                getattr(node, "col_offset", 0) + 1,
            )
        return value
    return None


def _matrix_tex(value):
    if value.ndim == 1:
        value = value[:, None]  # a vector is a column, as the lesson writes it
    rows = [" & ".join(format_number(x) for x in row) for row in value]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _expression(text, stripped, names):
    try:
        program = parse(_PREFIX + stripped)
    except GraphError as exc:
        column = exc.column - len(_PREFIX) if exc.column and exc.line in (1, None) else None
        message = next(
            (said for engine, said in _FOR_ANSWERS.items() if exc.message.startswith(engine)),
            _plain(exc),
        )
        raise AnswerError(message, _column(text, stripped, column)) from None
    if len(program.nodes) and program.nodes[program.output].id != _TARGET:
        raise AnswerError("write one expression, as in a*(1 - a)", 1)
    used = program.input_names
    unknown = [name for name in used if name not in names]
    if unknown:
        node = program.node(unknown[0])
        listed = ", ".join(sorted(names)) or "none"
        raise AnswerError(
            f"{unknown[0]} is not a name of this graph; its names are {listed}",
            _column(text, stripped, (node.column or len(_PREFIX) + 1) - len(_PREFIX)),
        )
    output = program.nodes[program.output]
    if output.op == CONST:
        return Answer(text, "number", format_number(output.const), value=float(output.const))
    tex = expression_tex(program, output.index)
    if not used:  # arithmetic on numbers, such as 1/4: a number
        value = Answer(text, "expression", tex, program=program).evaluate({})
        kind = "number" if np.ndim(value) == 0 else "array"
        return Answer(text, kind, tex, value=value)
    return Answer(text, "expression", tex, program=program, names=used)


def _plain(exc):
    """The engine's message without the internal names of the answer and its parts."""
    message = re.sub(r" at node _?[A-Za-z]\w*", "", exc.message).replace(_TARGET, "the answer")
    return message.replace(" (line 1)", "")
