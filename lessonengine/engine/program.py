"""Programs: parse the text a student writes into nodes in topological order, within limits.

    z = w*x + b
    a = sigmoid(z)
    L = bce(a, y)

Names never assigned are inputs; their values come with the request. The text is parsed with
`ast` and a whitelist of node types: nothing is ever evaluated by `eval`.
"""

import ast
import functools
import io
import re
import tokenize
from dataclasses import dataclass

import numpy as np

from lessonengine.engine.ops import BINARY_OPERATORS, FUNCTIONS, OPS
from lessonengine.engine.tex import format_number, write_nodes
from lessonengine.errors import LimitError, NotFoundError, ProgramError

# Limits that keep the server safe; each one is answered with a clear error that says where.
MAX_PROGRAM_CHARS = 4000
MAX_ASSIGNMENTS = 64
MAX_NODES = 200
MAX_DEPTH = 32  # brackets and calls nested inside each other, as written
MAX_TENSOR_ELEMENTS = 4096  # per value, inputs and intermediate results alike
MAX_TOTAL_ELEMENTS = 16384  # all the values of a graph together
MAX_DIMENSIONS = 2
MAX_MAGNITUDE = 1e6  # numbers in the program and in the values

INPUT = "input"
CONST = "const"

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_NAME_LENGTH = 32

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
GRAMMAR = "use numbers, names, + - * / ** @, parentheses and the functions " + ", ".join(FUNCTIONS)


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
    named: bool


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: parse() caches by text
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


_SOURCE = {
    "add": "{} + {}",
    "sub": "{} - {}",
    "mul": "{}*{}",
    "div": "{}/{}",
    "pow": "{}**{}",
    "matmul": "{} @ {}",
    "neg": "-{}",
    "identity": "{}",
}


def _source_number(const):
    text = format_number(const)
    return f"({text})" if const < 0 else text


@functools.lru_cache(maxsize=256)
def _sources(program):
    return write_nodes(program, _SOURCE, _source_number)


def source(program, index):
    """A node written in the program grammar: its name, or its expression with every compound
    operand in brackets ((w*x) + b); it parses back to the same value."""
    return _sources(program)[index]


def check_brackets(text):
    """Refuse brackets and calls nested more than MAX_DEPTH deep (a LimitError with a place)."""
    # What the student nests is brackets (calls included): refuse deep nesting before ast.parse,
    # which recurses, sees the text. A flat chain such as x + x + ... + x is not nesting.
    depth = 0
    for token in _tokens(text):
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = token.start
                raise LimitError(
                    f"brackets and calls are nested more than {MAX_DEPTH} deep; split the "
                    "expression over several lines",
                    line=line,
                    column=column + 1,
                )
        elif token.string in ")]}":
            depth = max(0, depth - 1)


def _tokens(text):
    """The tokens of the text, stopping quietly at the first one tokenize cannot read."""
    try:
        yield from tokenize.generate_tokens(io.StringIO(text).readline)
    except (tokenize.TokenError, SyntaxError):
        return


def _deepest_operator_run(text):
    """(line, column) where the longest run of operators without an operand starts (- - - x)."""
    best, run_start, run = (1, 1), None, 0
    longest = 0
    for token in _tokens(text):
        if token.type == tokenize.OP and token.string in ("-", "+", "**", "~"):
            if run == 0:
                run_start = (token.start[0], token.start[1] + 1)
            run += 1
            if run > longest:
                longest, best = run, run_start
        else:
            run = 0
    return best


def _check_size(tree, lines):
    # Each operation, call and number becomes a node: refuse a graph past MAX_NODES before the
    # builder (which recurses along the expression) sees it.
    count = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call | ast.Constant):
            count += 1
            if count > MAX_NODES:
                line = node.lineno
                column = len(lines[line - 1].encode()[: node.col_offset].decode(errors="ignore"))
                raise LimitError(
                    f"the graph would have more than {MAX_NODES} nodes",
                    line=line,
                    column=column + 1,
                )
        stack.extend(ast.iter_child_nodes(node))


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
            named=name is not None,
        )
        self.nodes.append(node)
        self.ids[node_id] = node.index
        return node.index

    def check_name(self, name, expr):
        if name.startswith("_"):
            self.fail(f"{name}: names starting with _ are reserved", expr)
        if not NAME_PATTERN.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
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
        # The label is the number itself, never the source text, which may hold a comment.
        label = format_number(value) if name is None else None
        return self.add(CONST, (), expr, name=name, label=label, const=np.float64(value))

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
                self.fail(f"the operator {symbol} is not allowed; {GRAMMAR}", expr)
            left = self.expression(expr.left)
            right = self.expression(expr.right)
            return self.add(op, (left, right), expr, name=name)
        if isinstance(expr, ast.UnaryOp):
            if isinstance(expr.op, ast.UAdd):
                return self.expression(expr.operand, name=name)
            if not isinstance(expr.op, ast.USub):
                symbol = _OPERATOR_SYMBOLS.get(type(expr.op).__name__, type(expr.op).__name__)
                self.fail(f"the operator {symbol} is not allowed; {GRAMMAR}", expr)
            operand = self.expression(expr.operand)
            return self.add("neg", (operand,), expr, name=name)
        if isinstance(expr, ast.Call):
            return self.call(expr, name)
        kind = type(expr).__name__
        self.fail(_FORBIDDEN.get(kind, f"{kind} is not allowed here") + f"; {GRAMMAR}", expr)

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


def _position_of_char(text, index):
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


@functools.lru_cache(maxsize=256)
def _parse(text):
    if len(text) > MAX_PROGRAM_CHARS:
        line, column = _position_of_char(text, MAX_PROGRAM_CHARS)
        raise LimitError(
            f"the program is longer than {MAX_PROGRAM_CHARS:,} characters", line=line, column=column
        )
    check_brackets(text)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ProgramError(f"syntax error: {exc.msg}", line=exc.lineno, column=exc.offset) from None
    except (RecursionError, MemoryError):
        line, column = _deepest_operator_run(text)
        raise LimitError(
            "too many operators in a row without brackets (such as - - - x); simplify the "
            "expression",
            line=line,
            column=column,
        ) from None
    except ValueError as exc:  # null bytes
        raise ProgramError(f"the program cannot be read: {exc}") from None
    if not tree.body:
        raise ProgramError("the program is empty: write one assignment per line, as in L = x*x")
    if len(tree.body) > MAX_ASSIGNMENTS:
        raise LimitError(
            f"the program has more than {MAX_ASSIGNMENTS} assignments",
            line=tree.body[MAX_ASSIGNMENTS].lineno,
            column=tree.body[MAX_ASSIGNMENTS].col_offset + 1,
        )
    _check_size(tree, text.split("\n"))
    builder = _Builder(text)
    for stmt in tree.body:
        output = builder.statement(stmt)
    nodes = tuple(builder.nodes)
    if nodes[output].op == CONST:
        node = nodes[output]
        raise ProgramError(
            f"the output {node.id} is a number: compute it from inputs",
            line=node.line,
            column=node.column,
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
