"""A small autodiff engine: parse a program into a graph, run it forward, then backward.

    z = w*x + b
    a = sigmoid(z)
    L = bce(a, y)

Names never assigned are inputs; their values (numbers, vectors, matrices) come with the request.
The program is parsed with `ast` and a whitelist of node types: nothing is ever evaluated by
`eval`. Local gradients live in one table (`lessonengine.ops.OPS`); this module only plumbs.
"""

import ast
import functools
import json
import math
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from lessonengine.errors import (
    EvaluationError,
    GraphError,
    InputError,
    LimitError,
    NotFoundError,
    ProgramError,
)
from lessonengine.ops import (
    BINARY_OPERATORS,
    CONST_ROLE,
    ELEMENTWISE,
    FUNCTIONS,
    INPUT_ROLE,
    MATMUL,
    OPS,
    REDUCTION,
    format_number,
    render_rule,
    unbroadcast,
)

# Limits that keep the server safe; each one is answered with a clear error.
MAX_PROGRAM_CHARS = 4000
MAX_ASSIGNMENTS = 64
MAX_NODES = 200
MAX_DEPTH = 32  # brackets and expressions nested inside each other
MAX_TENSOR_ELEMENTS = 4096  # per value, inputs and intermediate results alike
MAX_TOTAL_ELEMENTS = 16384  # all the values of a graph together
MAX_DIMENSIONS = 2
MAX_EXPONENT = 16
MAX_MAGNITUDE = 1e6  # numbers in the program and in the values
CHECK_WORK = 4_000_000  # budget of the gradient check, in element-operations

INPUT = "input"
CONST = "const"

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
MAX_NAME_LENGTH = 32
GREEK = frozenset(
    ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")
    + ("lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi")
    + ("omega",)
)

_OPERATOR_SYMBOLS = {
    "FloorDiv": "//",
    "Mod": "%",
    "LShift": "<<",
    "RShift": ">>",
    "BitOr": "|",
    "BitXor": "^ (use ** for powers)",
    "BitAnd": "&",
    "Not": "not",
    "Invert": "~",
}
_FORBIDDEN = {
    "Attribute": "attribute access (a.b) is not allowed",
    "Subscript": "subscripts (a[i]) are not allowed; give vectors and matrices as input values",
    "Lambda": "lambda is not allowed",
    "ListComp": "comprehensions are not allowed",
    "SetComp": "comprehensions are not allowed",
    "DictComp": "comprehensions are not allowed",
    "GeneratorExp": "comprehensions are not allowed",
    "List": "lists are not allowed in the program; give vectors and matrices as input values",
    "Tuple": "tuples are not allowed in the program",
    "Dict": "dictionaries are not allowed in the program",
    "Set": "sets are not allowed in the program",
    "Compare": "comparisons are not allowed",
    "BoolOp": "and/or are not allowed",
    "IfExp": "if-expressions are not allowed",
    "JoinedStr": "strings are not allowed",
    "NamedExpr": "the := operator is not allowed",
    "Starred": "* unpacking is not allowed",
    "Await": "await is not allowed",
    "Yield": "yield is not allowed",
    "YieldFrom": "yield is not allowed",
    "Slice": "slices are not allowed",
}
_GRAMMAR = "use numbers, names, + - * / ** @, parentheses and the functions " + ", ".join(FUNCTIONS)


@dataclass(frozen=True, slots=True)
class Node:
    """A node of a parsed program: what it computes, from which parents, where it was written."""

    index: int
    id: str
    op: str  # "input", "const" or the name of a row of OPS
    label: str  # what the widget writes on the node: its name, its symbol, or the number
    parents: tuple  # indices of the parent nodes, in argument order
    line: int | None
    column: int | None
    const: float | None  # the number, for a constant
    tex: str  # how the node reads in TeX: its name, the number, or its expression
    named: bool


@dataclass(frozen=True)
class Program:
    """A parsed program: nodes in topological order (parents first). Independent of the values."""

    text: str
    nodes: tuple
    ids: dict  # id -> index
    inputs: tuple  # indices of the input nodes, in order of first use
    output: int
    order: tuple  # the nodes the output depends on, parents first (for backward)
    children: tuple  # per node: ((child index, argument slot), ...)

    def node(self, node_id):
        """The node with this id, or NotFoundError."""
        index = self.ids.get(node_id) if isinstance(node_id, str) else None
        if index is None:
            raise NotFoundError(f"there is no node {node_id!r} in this graph")
        return self.nodes[index]

    @property
    def input_names(self):
        return tuple(self.nodes[i].id for i in self.inputs)


def topological_order(parents, root):
    """The nodes `root` depends on, each after all of its parents.

    Iterative depth-first search: a recursive one hits Python's recursion limit on deep graphs.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        index, expanded = stack.pop()
        if expanded:  # all its parents are already in `order`
            order.append(index)
            continue
        if index in seen:
            continue
        seen.add(index)
        stack.append((index, True))
        stack.extend((p, False) for p in reversed(parents[index]) if p not in seen)
    return order


# --- Parsing -------------------------------------------------------------------------------------


def _check_brackets(text):
    # ast.parse itself recurses: refuse deep nesting before it sees the text.
    depth = 0
    line, column = 1, 0
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise LimitError(
                    f"brackets are nested more than {MAX_DEPTH} deep", line=line, column=column
                )
        elif char in ")]}":
            depth = max(0, depth - 1)


def _check_depth(tree):
    # Iterative, so that a deep tree is refused before anything recurses into it.
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH + 2:  # Module and Assign are the first two levels
            raise LimitError(
                f"the expression nests more than {MAX_DEPTH} levels deep; split it over "
                "several lines",
                line=getattr(node, "lineno", None),
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def name_tex(name):
    """A name in TeX: W1 is W_{1}, alpha is \\alpha, loss is \\mathit{loss}."""
    match = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    base, sub = (match.group(1), match.group(2)) if match else (name, None)
    if len(base) == 1:
        tex = base
    elif base in GREEK:
        tex = "\\" + base
    else:
        tex = r"\mathit{" + base.replace("_", r"\_") + "}"
    return tex if sub is None else tex + "_{" + sub + "}"


# Precedence of a node's TeX, to know when it needs parentheses inside another expression.
_ATOM, _POW, _NEG, _PRODUCT, _SUM = 9, 8, 6, 5, 4
_PRECEDENCE = {
    "add": _SUM,
    "sub": _SUM,
    "mul": _PRODUCT,
    "matmul": _PRODUCT,
    "neg": _NEG,
    "pow": _POW,
}
_FUNCTION_TEX = {
    "sigmoid": r"\sigma(%s)",
    "relu": r"\operatorname{relu}(%s)",
    "tanh": r"\tanh(%s)",
    "exp": r"e^{%s}",
    "log": r"\log(%s)",
    "sum": r"\sum %s",
    "mean": r"\operatorname{mean}(%s)",
    "max": r"\max(%s, %s)",
    "bce": r"\operatorname{bce}(%s, %s)",
    "mse": r"\operatorname{mse}(%s, %s)",
    "identity": r"%s",
    "div": r"\frac{%s}{%s}",
}
MAX_TEX = 80


def _precedence(node):
    if node.named:
        return _ATOM
    if node.op == CONST:
        return _NEG if node.const < 0 else _ATOM
    return _PRECEDENCE.get(node.op, _ATOM)


def _wrap(node, below):
    return _parenthesized(node.tex) if _precedence(node) < below else node.tex


def _parenthesized(tex):
    return r"\left(" + tex + r"\right)"


def _expression_tex(op, parents, node_id):
    if op in _FUNCTION_TEX:
        tex = _FUNCTION_TEX[op] % tuple(p.tex for p in parents)
    elif op in ("add", "sub"):
        a, b = parents
        right = _wrap(b, _PRODUCT) if op == "sub" or _precedence(b) == _NEG else b.tex
        tex = a.tex + (" + " if op == "add" else " - ") + right
    elif op in ("mul", "matmul"):
        a, b = parents
        joint = r" \cdot " if b.op == CONST else r"\,"
        tex = _wrap(a, _PRODUCT) + joint + _wrap(b, _POW)
    elif op == "pow":
        tex = _wrap(parents[0], _ATOM) + "^{" + parents[1].tex + "}"
    elif op == "neg":
        tex = "-" + _wrap(parents[0], _PRODUCT)
    else:  # pragma: no cover - every op of the table is listed above
        tex = op
    if len(tex) > MAX_TEX:  # a long expression is referred to by its id
        tex = r"\mathrm{" + node_id.replace("_", r"\_") + "}"
    return tex


class _Builder:
    """Turns the statements of a program into nodes, parents before children."""

    def __init__(self, text):
        self.text = text
        self.lines = text.split("\n")
        self.nodes = []
        self.ids = {}
        self.assigned = {}  # name -> line
        self.inputs = []
        self.counters = {}

    def position(self, expr):
        # ast columns count UTF-8 bytes; report characters, 1-based.
        line = getattr(expr, "lineno", None)
        offset = getattr(expr, "col_offset", None)
        if line is None or offset is None:
            return line, None
        source = self.lines[line - 1] if line <= len(self.lines) else ""
        return line, len(source.encode()[:offset].decode(errors="ignore")) + 1

    def fail(self, message, expr, kind=ProgramError):
        line, column = self.position(expr)
        raise kind(message, line=line, column=column)

    def add(self, op, parents, expr, name=None, label=None, const=None):
        if len(self.nodes) >= MAX_NODES:
            self.fail(f"the graph would have more than {MAX_NODES} nodes", expr, LimitError)
        if name is not None:
            node_id = name
        else:
            self.counters[op] = self.counters.get(op, 0) + 1
            node_id = f"_{op}{self.counters[op]}"
        parent_nodes = [self.nodes[p] for p in parents]
        if name is not None:
            tex = name_tex(name)
        elif op == CONST:
            tex = label
        else:
            tex = _expression_tex(op, parent_nodes, node_id)
        if label is None:
            label = name if name is not None else OPS[op].symbol
        line, column = self.position(expr)
        node = Node(
            index=len(self.nodes),
            id=node_id,
            op=op,
            label=label,
            parents=tuple(parents),
            line=line,
            column=column,
            const=const,
            tex=tex,
            named=name is not None,
        )
        self.nodes.append(node)
        self.ids[node_id] = node.index
        return node.index

    def check_name(self, name, expr):
        if name.startswith("_"):
            self.fail(f"{name}: names starting with _ are reserved", expr)
        if not NAME_PATTERN.match(name) or len(name) > MAX_NAME_LENGTH:
            self.fail(
                f"{name!r} is not a valid name: use letters, digits and _, starting with a letter, "
                f"at most {MAX_NAME_LENGTH} characters",
                expr,
            )
        if name in FUNCTIONS:
            self.fail(f"{name} is a function: call it, as in {name}(z)", expr)

    def number(self, expr):
        """The value of a number literal, with an optional sign; None for anything else."""
        sign = 1.0
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub | ast.UAdd):
            sign = -1.0 if isinstance(expr.op, ast.USub) else 1.0
            expr = expr.operand
        if not isinstance(expr, ast.Constant):
            return None
        value = expr.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail("only numbers can be written in the program", expr)
        if abs(value) > MAX_MAGNITUDE:
            self.fail(
                f"numbers are limited to ±{MAX_MAGNITUDE:,.0f}; this one is too large",
                expr,
                LimitError,
            )
        return sign * float(value)

    def constant(self, expr, name=None):
        value = self.number(expr)
        label = ast.get_source_segment(self.text, expr) or format_number(value)
        label = "".join(label.split())
        return self.add(
            CONST,
            (),
            expr,
            name=name,
            label=label if name is None else None,
            const=np.float64(value),
        )

    def statement(self, stmt):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self.fail("imports are not allowed", stmt)
        if isinstance(stmt, ast.AugAssign):
            self.fail(
                "augmented assignment (+= and the like) is not allowed; write a new name, "
                "as in z2 = z + 1",
                stmt,
            )
        if not isinstance(stmt, ast.Assign):
            self.fail("each line must be an assignment, as in z = w*x + b", stmt)
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            self.fail("assign exactly one name per statement, as in z = w*x + b", stmt)
        target = stmt.targets[0]
        name = target.id
        self.check_name(name, target)
        if name in self.assigned:
            self.fail(
                f"{name} is already assigned on line {self.assigned[name]}; give each value its "
                "own name",
                target,
            )
        if name in self.ids:  # used as an input above
            node = self.nodes[self.ids[name]]
            self.fail(f"{name} is used on line {node.line} before it is assigned", target)
        index = self.expression(stmt.value, name=name)
        self.assigned[name] = target.lineno
        return index

    def expression(self, expr, name=None):
        """Build the node of `expr` (named `name` when it is the right side of an assignment)."""
        if isinstance(expr, ast.Constant) or (
            isinstance(expr, ast.UnaryOp)
            and isinstance(expr.op, ast.USub | ast.UAdd)
            and isinstance(expr.operand, ast.Constant)
        ):
            return self.constant(expr, name)
        if isinstance(expr, ast.Name):
            index = self.reference(expr)
            if name is None:
                return index
            return self.add("identity", (index,), expr, name=name)  # y = x copies x
        if isinstance(expr, ast.BinOp):
            op = BINARY_OPERATORS.get(type(expr.op).__name__)
            if op is None:
                symbol = _OPERATOR_SYMBOLS.get(type(expr.op).__name__, type(expr.op).__name__)
                self.fail(f"the operator {symbol} is not allowed; {_GRAMMAR}", expr)
            left = self.expression(expr.left)
            if op == "pow":
                exponent = self.number(expr.right)
                if exponent is None:
                    self.fail("the exponent must be a number, as in x ** 2", expr.right)
                if abs(exponent) > MAX_EXPONENT:
                    self.fail(f"exponents are limited to ±{MAX_EXPONENT}", expr.right, LimitError)
            right = self.expression(expr.right)
            return self.add(op, (left, right), expr, name=name)
        if isinstance(expr, ast.UnaryOp):
            if isinstance(expr.op, ast.UAdd):
                return self.expression(expr.operand, name=name)
            if not isinstance(expr.op, ast.USub):
                symbol = _OPERATOR_SYMBOLS.get(type(expr.op).__name__, type(expr.op).__name__)
                self.fail(f"the operator {symbol} is not allowed; {_GRAMMAR}", expr)
            operand = self.expression(expr.operand)
            return self.add("neg", (operand,), expr, name=name)
        if isinstance(expr, ast.Call):
            return self.call(expr, name)
        kind = type(expr).__name__
        self.fail(_FORBIDDEN.get(kind, f"{kind} is not allowed here") + f"; {_GRAMMAR}", expr)

    def call(self, expr, name):
        if not isinstance(expr.func, ast.Name):
            self.fail(f"only the functions {', '.join(FUNCTIONS)} can be called", expr)
        function = expr.func.id
        if function not in FUNCTIONS:
            self.fail(
                f"unknown function {function}; the functions are {', '.join(FUNCTIONS)}", expr.func
            )
        if expr.keywords:
            self.fail(f"{function} takes no keyword arguments", expr)
        arity = OPS[function].arity
        if len(expr.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            self.fail(f"{function} takes {arity} {plural}, got {len(expr.args)}", expr)
        args = tuple(self.expression(arg) for arg in expr.args)
        return self.add(function, args, expr, name=name)

    def reference(self, expr):
        name = expr.id
        if name in self.ids:
            return self.ids[name]
        self.check_name(name, expr)
        index = self.add(INPUT, (), expr, name=name)
        self.inputs.append(index)
        return index


def parse(text):
    """Parse a program into a `Program` (cached by its text); raises a GraphError subclass."""
    if not isinstance(text, str):
        raise ProgramError("the program must be a string")
    return _parse(text)


@functools.lru_cache(maxsize=256)
def _parse(text):
    if len(text) > MAX_PROGRAM_CHARS:
        raise LimitError(f"the program is longer than {MAX_PROGRAM_CHARS:,} characters")
    _check_brackets(text)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ProgramError(f"syntax error: {exc.msg}", line=exc.lineno, column=exc.offset) from None
    except (RecursionError, MemoryError):
        raise LimitError(f"the program nests more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # null bytes
        raise ProgramError(f"the program cannot be read: {exc}") from None
    _check_depth(tree)
    if not tree.body:
        raise ProgramError("the program is empty: write one assignment per line, as in L = x*x")
    if len(tree.body) > MAX_ASSIGNMENTS:
        raise LimitError(
            f"the program has more than {MAX_ASSIGNMENTS} assignments",
            line=tree.body[MAX_ASSIGNMENTS].lineno,
        )
    builder = _Builder(text)
    for stmt in tree.body:
        output = builder.statement(stmt)
    nodes = tuple(builder.nodes)
    if nodes[output].op == CONST:
        node = nodes[output]
        raise ProgramError(
            f"the output {node.id} is a number: compute it from inputs", line=node.line
        )
    children = [[] for _ in nodes]
    for node in nodes:
        for slot, parent in enumerate(node.parents):
            children[parent].append((node.index, slot))
    order = topological_order([node.parents for node in nodes], output)
    return Program(
        text=text,
        nodes=nodes,
        ids=dict(builder.ids),
        inputs=tuple(builder.inputs),
        output=output,
        order=tuple(order),
        children=tuple(tuple(c) for c in children),
    )


# --- Values --------------------------------------------------------------------------------------


def _number(name, x):
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise InputError(
            f"the value of {name} must be a number or a (nested) list of numbers, not "
            f"{json.dumps(x)[:40] if _jsonable(x) else type(x).__name__}"
        )
    if isinstance(x, float | np.floating) and not math.isfinite(x):
        raise InputError(f"the value of {name} must be finite (no inf or NaN)")
    if abs(x) > MAX_MAGNITUDE:
        raise InputError(f"the numbers of {name} are limited to ±{MAX_MAGNITUDE:,.0f}")
    return np.float64(x)  # IEEE arithmetic: 1/0 is inf (reported at its node), not an exception


def _jsonable(x):
    try:
        json.dumps(x)
        return True
    except (TypeError, ValueError):
        return False


def convert_value(name, raw):
    """An input's value as a float or a float array; an InputError for anything else."""
    if not isinstance(raw, list):
        if isinstance(raw, np.ndarray):  # engine callers may pass arrays
            raw = raw.tolist()
            if not isinstance(raw, list):
                return _number(name, raw)
        else:
            return _number(name, raw)
    if not raw:
        raise InputError(f"the value of {name} is an empty list")
    if isinstance(raw[0], list):
        columns = len(raw[0])
        if len(raw) * max(columns, 1) > MAX_TENSOR_ELEMENTS:
            raise LimitError(f"{name} has more than {MAX_TENSOR_ELEMENTS:,} elements")
        for row in raw:
            if not isinstance(row, list) or len(row) != columns:
                raise InputError(f"the rows of {name} must all be lists of the same length")
            if columns == 0:
                raise InputError(f"the value of {name} has an empty row")
            for x in row:
                if isinstance(x, list):
                    raise InputError(
                        f"{name} has more than {MAX_DIMENSIONS} dimensions; values are numbers, "
                        "vectors or matrices"
                    )
                _number(name, x)
    else:
        if len(raw) > MAX_TENSOR_ELEMENTS:
            raise LimitError(f"{name} has more than {MAX_TENSOR_ELEMENTS:,} elements")
        for x in raw:
            if isinstance(x, list):
                raise InputError(f"the rows of {name} must all be lists of the same length")
            _number(name, x)
    return np.array(raw, dtype=float)


def _finite(value):
    """True when every number of the value is finite (math.isfinite is fast on a scalar)."""
    if isinstance(value, np.ndarray):
        return bool(np.isfinite(value).all())
    return math.isfinite(value)


def broadcast_shape(shapes):
    """numpy's broadcasting rule for the shapes of a node's parents (faster than numpy's own
    for a few small shapes); ValueError when they do not combine."""
    ndim = max(len(shape) for shape in shapes)
    result = []
    for axis in range(-ndim, 0):
        sizes = {shape[axis] for shape in shapes if len(shape) >= -axis} - {1}
        if len(sizes) > 1:
            raise ValueError("shapes do not broadcast")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


# --- The graph: forward, backward, gradient check ------------------------------------------------


class Graph:
    """A program run on values: every node's value and grad, and the signals between them."""

    def __init__(self, program, values):
        self.program = program if isinstance(program, Program) else parse(program)
        if not isinstance(values, dict):
            raise InputError("values must be an object mapping input names to values")
        self._views = {}  # memoized JSON-ready dicts and texts, filled on first use
        with np.errstate(all="ignore"):
            self.values = self._forward(self._read_values(values))
            self.grads, self.signals = self._backward()

    @property
    def nodes(self):
        return self.program.nodes

    @property
    def output(self):
        return self.program.nodes[self.program.output].id

    def _read_values(self, values):
        program = self.program
        names = program.input_names
        unknown = sorted(set(values) - set(names))
        if unknown:
            listed = ", ".join(names) or "none"
            raise InputError(
                f"values given for names that are not inputs of the program: {', '.join(unknown)}"
                f" (the inputs are: {listed})"
            )
        read = {}
        for index in program.inputs:
            node = program.nodes[index]
            if node.id not in values:
                raise InputError(
                    f"no value given for the input {node.id}",
                    line=node.line,
                    column=node.column,
                    node=node.id,
                )
            read[index] = convert_value(node.id, values[node.id])
        return read

    def _fail(self, node, message, kind=EvaluationError):
        raise kind(
            f"{message} at node {node.id}" + (f" (line {node.line})" if node.line else ""),
            line=node.line,
            column=node.column,
            node=node.id,
        )

    def _out_shape(self, node, row, shapes):
        """The shape of the node's value, checked before any memory is spent on it."""
        if row.kind == MATMUL:
            if not shapes[0] or not shapes[1]:
                self._fail(
                    node,
                    "@ needs vectors or matrices, not numbers: "
                    f"{_shape_text(shapes[0])} @ {_shape_text(shapes[1])}",
                )
            if shapes[0][-1] != shapes[1][0]:
                self._fail(
                    node,
                    "@ needs as many columns on its left as rows on its right: "
                    f"{_shape_text(shapes[0])} @ {_shape_text(shapes[1])}",
                )
            return shapes[0][:-1] + shapes[1][1:]
        try:
            shape = broadcast_shape(shapes)
        except ValueError:
            self._fail(
                node,
                f"{row.name} cannot combine shapes {' and '.join(map(_shape_text, shapes))}",
            )
        return () if row.kind == REDUCTION else shape

    def _forward(self, inputs):
        program = self.program
        values = [None] * len(program.nodes)
        total = 0
        for node in program.nodes:
            if node.op == INPUT:
                value = inputs[node.index]
            elif node.op == CONST:
                value = node.const
            else:
                row = OPS[node.op]
                args = [values[p] for p in node.parents]
                shapes = [np.shape(a) for a in args]
                if any(shapes) or row.kind == MATMUL:
                    shape = self._out_shape(node, row, shapes)
                    if math.prod(shape) > MAX_TENSOR_ELEMENTS:
                        self._fail(
                            node,
                            f"the value would have more than {MAX_TENSOR_ELEMENTS:,} "
                            f"elements ({_shape_text(shape)})",
                            LimitError,
                        )
                try:
                    value = row.forward(*args)
                except (ArithmeticError, ValueError):
                    value = math.nan
                if not _finite(value):
                    why = f": {row.domain}" if row.domain else ""
                    self._fail(node, f"the value is not finite (inf or NaN){why}")
            total += np.size(value)
            if total > MAX_TOTAL_ELEMENTS:
                self._fail(
                    node, f"the graph holds more than {MAX_TOTAL_ELEMENTS:,} numbers", LimitError
                )
            values[node.index] = value
        output = program.nodes[program.output]
        if np.ndim(values[output.index]):
            raise EvaluationError(
                f"the output {output.id} has shape {_shape_text(np.shape(values[output.index]))}: "
                "it must be a single number (a loss); reduce it with sum, mean or a loss such as "
                "bce or mse",
                line=output.line,
                node=output.id,
            )
        return values

    def _backward(self):
        program, values = self.program, self.values
        nodes = program.nodes
        grads = [None] * len(nodes)
        signals = [()] * len(nodes)
        grads[program.output] = 1.0  # dL/dL
        reached = set(program.order)
        # Walk the graph from the output back to the inputs: by then a node has received the
        # signals of every child, added up, because it feeds them all and comes before them.
        for index in reversed(program.order):
            node = nodes[index]
            if node.op in (INPUT, CONST):
                continue
            g = grads[index]
            signals[index] = self._signals(node, g)
            for parent, signal in zip(node.parents, signals[index], strict=True):
                if signal is None:  # a number written in the program: nothing flows back
                    continue
                # A node that feeds several others gets the sum of their signals.
                grads[parent] = signal if grads[parent] is None else grads[parent] + signal
        if not all(grads[i] is None or _finite(grads[i]) for i in program.order):
            self._fail_backward(signals)
        # Nodes the output does not depend on: nothing arrives there.
        for node in nodes:
            if node.index in reached or node.op == CONST:
                continue
            grads[node.index] = (
                np.zeros(np.shape(values[node.index])) if np.ndim(values[node.index]) else 0.0
            )
            if node.op != INPUT:
                signals[node.index] = tuple(
                    None
                    if nodes[p].op == CONST
                    else (np.zeros(np.shape(values[p])) if np.ndim(values[p]) else 0.0)
                    for p in node.parents
                )
        return grads, signals

    def _signals(self, node, g):
        """What `node` sends back to each parent: upstream gradient `g` times the local gradient."""
        row = OPS[node.op]
        values = self.values
        args = [values[p] for p in node.parents]
        out = values[node.index]
        sent = []
        for slot, parent in enumerate(node.parents):
            if self.program.nodes[parent].op == CONST:
                sent.append(None)
                continue
            vjp = row.vjps[slot]
            if vjp is not None:
                signal = vjp(g, out, *args)
            else:
                signal = unbroadcast(g * row.local_grads[slot](out, *args), np.shape(args[slot]))
            sent.append(signal)
        return tuple(sent)

    def _fail_backward(self, signals):
        # Some grad is inf or NaN: name the first node, from the output back, that sent one.
        nodes = self.program.nodes
        for index in reversed(self.program.order):
            for parent, signal in zip(nodes[index].parents, signals[index], strict=False):
                if signal is not None and not _finite(signal):
                    self._fail(
                        nodes[index],
                        f"the gradient sent back to {nodes[parent].id} is not finite (inf or NaN)",
                    )
        raise EvaluationError("a gradient is not finite (inf or NaN)")  # pragma: no cover

    # --- Looking at one node ---------------------------------------------------------------------

    def node(self, node_id):
        return self.program.node(node_id)

    def value(self, node_id):
        return self.values[self.node(node_id).index]

    def grad(self, node_id):
        return self.grads[self.node(node_id).index]

    def local_grad(self, node_id, parent_slot):
        """d node / d parent: elementwise derivative (shaped like the node), a reduction's gradient
        (shaped like the parent), a matrix product's 2-D Jacobian; None for a Jacobian of more
        dimensions and for a constant parent."""
        node = self.node(node_id)
        parent = self.program.nodes[node.parents[parent_slot]]
        if parent.op == CONST:
            return None
        row = OPS[node.op]
        args = [self.values[p] for p in node.parents]
        out = self.values[node.index]
        with np.errstate(all="ignore"):
            local = row.local_grads[parent_slot](out, *args)
            if local is None:
                return None
            if row.kind == REDUCTION:
                local = unbroadcast(local, np.shape(args[parent_slot]))
            elif row.kind == ELEMENTWISE and np.shape(local) != np.shape(out):
                local = np.broadcast_to(local, np.shape(out))
        return local

    def rule(self, node_id, parent_slot):
        """The TeX rule of the local gradient of the node for one parent, with their names."""
        node = self.node(node_id)
        parent = self.program.nodes[node.parents[parent_slot]]
        if parent.op == CONST:
            return r"\text{" + parent.label + " is a number: nothing flows back into it}"
        row = OPS[node.op]
        texs = [_as_operand(self.program.nodes[p]) for p in node.parents]
        args = [self.values[p] for p in node.parents]
        size = int(np.broadcast(*args).size) if row.kind == REDUCTION else 1
        exponent = self.program.nodes[node.parents[1]].const if node.op == "pow" else None
        return render_rule(
            row.rule_templates[parent_slot],
            z=_as_operand(node),
            a=texs[0],
            b=texs[1] if len(texs) > 1 else "",
            size=size,
            exponent=exponent,
        )

    def loss_with(self, overrides):
        """The output's value when some nodes take other values (by id): for finite differences.

        Only the nodes downstream of the overridden ones are recomputed. Returns nan when the
        forward pass fails on the way.
        """
        program = self.program
        changed = frozenset(program.node(node_id).index for node_id in overrides)
        values = {program.node(node_id).index: value for node_id, value in overrides.items()}
        return self._rerun(self._downstream(changed), values)

    def _rerun(self, downstream, overrides):
        values = list(self.values)
        for index, value in overrides.items():
            values[index] = value
        nodes = self.program.nodes
        with np.errstate(all="ignore"):
            for index in downstream:
                node = nodes[index]
                try:
                    values[index] = OPS[node.op].forward(*[values[p] for p in node.parents])
                except (ArithmeticError, ValueError):
                    return math.nan
            return float(values[self.program.output])

    def _downstream(self, changed):
        """Indices of the nodes that depend on `changed`, in topological order."""
        hit = set(changed)
        result = []
        for node in self.program.nodes:
            if node.index not in hit and any(p in hit for p in node.parents):
                hit.add(node.index)
                result.append(node.index)
        return result

    def gradient_check(self):
        """Central finite differences for every element of every input, next to the analytic grad.

        The number of elements checked is bounded by a work budget (CHECK_WORK): for large inputs
        the elements past it are reported as null, and `checked` says how many were checked.
        rel_error is |analytic - numeric| / max(|analytic|, |numeric|, 1e-4), the largest over
        the checked elements.
        """
        program = self.program
        inputs = [program.nodes[i] for i in program.inputs]
        cost = {}
        for node in inputs:
            downstream = self._downstream(frozenset((node.index,)))
            cost[node.index] = 2 * sum(np.size(self.values[i]) + 500 for i in downstream) + 1
        budget = CHECK_WORK
        quota = {}
        by_size = sorted(inputs, key=lambda n: np.size(self.values[n.index]))
        for k, node in enumerate(by_size):
            share = budget / (len(by_size) - k)
            n = min(int(np.size(self.values[node.index])), max(1, int(share // cost[node.index])))
            quota[node.index] = n
            budget -= n * cost[node.index]
        return [self._check_input(node, quota[node.index]) for node in inputs]

    def _check_input(self, node, quota):
        value = self.values[node.index]
        shape = np.shape(value)
        downstream = self._downstream(frozenset((node.index,)))
        analytic = np.asarray(self.grads[node.index], dtype=float).ravel()
        flat = np.asarray(value, dtype=float).ravel()
        numeric = [None] * flat.size
        worst, checked = 0.0, 0
        for k in range(min(quota, flat.size)):
            x = flat[k]
            h = 1e-5 * max(1.0, abs(x))
            plus, minus = flat.copy(), flat.copy()
            plus[k], minus[k] = x + h, x - h
            if shape:
                up = self._rerun(downstream, {node.index: plus.reshape(shape)})
                down = self._rerun(downstream, {node.index: minus.reshape(shape)})
            else:
                up = self._rerun(downstream, {node.index: plus[0]})
                down = self._rerun(downstream, {node.index: minus[0]})
            slope = (up - down) / (plus[k] - minus[k])
            if not math.isfinite(slope):  # the step left the function's domain: not checked
                continue
            numeric[k] = slope
            checked += 1
            a = float(analytic[k])
            worst = max(worst, abs(a - slope) / max(abs(a), abs(slope), 1e-4))
        numeric = np.array(numeric, dtype=object).reshape(shape).tolist() if shape else numeric[0]
        return {
            "input": node.id,
            "analytic": _plain(self.grads[node.index]),
            "numeric": numeric,
            "rel_error": float(worst) if checked else None,
            "checked": checked,
            "elements": int(flat.size),
        }

    # --- JSON views (plain dicts, memoized: repeated clicks cost almost nothing) ------------------

    def to_dict(self):
        """The answer of POST /api/graph: every node, in topological order, and the check."""
        view = self._views.get("graph")
        if view is None:
            nodes = self.program.nodes
            view = {
                "output": self.output,
                "nodes": [
                    {
                        "id": node.id,
                        "op": node.op,
                        "label": node.label,
                        "parents": [nodes[p].id for p in node.parents],
                        "value": _plain(self.values[node.index]),
                        "grad": _plain(self.grads[node.index]),
                        "shape": list(np.shape(self.values[node.index])),
                        "line": node.line,
                        "tex": node.tex,
                    }
                    for node in nodes
                ],
                "check": self.gradient_check(),
            }
            self._views["graph"] = view
        return view

    def node_dict(self, node_id):
        """The answer of POST /api/graph/node: one node's value, grad, local grads and signals."""
        node = self.node(node_id)
        key = ("node", node.id)
        view = self._views.get(key)
        if view is not None:
            return view
        nodes = self.program.nodes
        is_op = node.op not in (INPUT, CONST)
        children = []
        for child, _slot in self.program.children[node.index]:
            if nodes[child].id not in children:
                children.append(nodes[child].id)
        incoming = []
        if node.op != CONST:
            for child, slot in self.program.children[node.index]:
                signal = self.signals[child][slot] if self.signals[child] else None
                incoming.append({"child": nodes[child].id, "value": _plain(signal)})
        local_grads, signals = [], []
        if is_op:
            for slot, parent in enumerate(node.parents):
                local = self.local_grad(node.id, slot)
                local_grads.append(
                    {
                        "parent": nodes[parent].id,
                        "value": _plain(local, finite_only=True),
                        "rule": self.rule(node.id, slot),
                        "shape": list(np.shape(self.values[parent])),
                    }
                )
                signals.append(
                    {"parent": nodes[parent].id, "value": _plain(self.signals[node.index][slot])}
                )
        role = OPS[node.op].role if is_op else (INPUT_ROLE if node.op == INPUT else CONST_ROLE)
        view = {
            "node": node.id,
            "op": node.op,
            "label": node.label,
            "shape": list(np.shape(self.values[node.index])),
            "value": _plain(self.values[node.index]),
            "grad": _plain(self.grads[node.index]),
            "parents": [nodes[p].id for p in node.parents],
            "children": children,
            "local_grads": local_grads,
            "signals": signals,
            "incoming": incoming,
            "role": role,
            "line": node.line,
            "tex": node.tex,
        }
        self._views[key] = view
        return view

    def json_text(self, node_id=None):
        """to_dict() or node_dict(node_id) as compact JSON text, memoized."""
        key = ("json", node_id)
        text = self._views.get(key)
        if text is None:
            view = self.to_dict() if node_id is None else self.node_dict(node_id)
            text = json.dumps(view, separators=(",", ":"), allow_nan=False)
            self._views[key] = text
        return text


def _as_operand(node):
    """The node's TeX, in parentheses when it is a compound expression or a negative number."""
    return node.tex if _precedence(node) == _ATOM else _parenthesized(node.tex)


def _plain(value, finite_only=False):
    """A number or nested lists, for JSON; None stays None (and so does a non-finite local)."""
    if value is None:
        return None
    if finite_only and not np.all(np.isfinite(value)):
        return None
    if np.ndim(value):
        return (np.asarray(value, dtype=float) + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0
    return float(value) + 0.0


# --- A cache of computed graphs ------------------------------------------------------------------


class _GraphCache:
    """LRU of computed graphs, bounded by count and by an estimate of their memory."""

    # Measured with tracemalloc once every view of a graph is built: about 4 KB per node
    # (dicts, TeX, JSON text) and 450 bytes per number (values, grads, signals, their JSON).
    BYTES_PER_NODE = 4000
    BYTES_PER_NUMBER = 450

    def __init__(self, max_entries=256, max_bytes=24 * 2**20):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def weight(self, graph):
        numbers = sum(int(np.size(v)) for v in graph.values)
        return len(graph.values) * self.BYTES_PER_NODE + numbers * self.BYTES_PER_NUMBER

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                return item[0]
            return None

    def put(self, key, graph):
        weight = self.weight(graph)
        if weight > self.max_bytes // 4:  # one large graph must not push out all the others
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (graph, weight)
            self._bytes += weight
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self):
        with self._lock:
            self._items.clear()
            self._bytes = 0


_CACHE = _GraphCache()
# LESSONENGINE_CACHE=0 turns the cache of computed graphs off (the benchmark measures the engine
# itself that way); parsed programs stay cached.
cache_enabled = os.environ.get("LESSONENGINE_CACHE", "1") != "0"


def compute(program, values, key=None):
    """The Graph of `program` on `values`, from a cache of recent ones when possible.

    `key` names the pair when the caller knows a cheaper name (a preset's id); by default it is
    the program and a canonical JSON of the values.
    """
    if key is None:
        try:
            key = (program, json.dumps(values, sort_keys=True, separators=(",", ":")))
        except (TypeError, ValueError):
            key = None
    if key is not None and cache_enabled:
        graph = _CACHE.get(key)
        if graph is not None:
            return graph
    graph = Graph(program, values)
    if key is not None and cache_enabled:
        _CACHE.put(key, graph)
    return graph


def clear_cache():
    """Forget every computed graph and parsed program."""
    _CACHE.clear()
    _parse.cache_clear()


__all__ = [
    "Graph",
    "GraphError",
    "Node",
    "Program",
    "clear_cache",
    "compute",
    "convert_value",
    "parse",
    "topological_order",
]
