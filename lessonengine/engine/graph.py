"""A program run on values: the forward pass, the backward pass, local gradients and notes.

The backward pass walks the nodes in reverse topological order. Each node sends every parent a
signal, the upstream gradient times its local gradient (the vector-Jacobian product), reduced to
the parent's shape; a node's gradient is the sum of the signals it receives.
"""

import json
import math

import numpy as np

from lessonengine.engine.ops import (
    ELEMENTWISE,
    MATMUL,
    OPS,
    PIECEWISE,
    REDUCTION,
    TRANSPOSE,
    unbroadcast,
)
from lessonengine.engine.program import (
    CONST,
    INPUT,
    MAX_DIMENSIONS,
    MAX_MAGNITUDE,
    MAX_TENSOR_ELEMENTS,
    MAX_TOTAL_ELEMENTS,
    Program,
    parse,
)
from lessonengine.engine.tex import format_number, node_text
from lessonengine.errors import EvaluationError, InputError, LimitError


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


def finite(value):
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


def shape_text(shape):
    """A shape as Python writes it: (3,), (2, 3), () for a number."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


class Graph:
    """A program run on values: every node's value and grad, and the signals between them."""

    def __init__(self, program, values, backward=True):
        """Run `program` on `values` (input name -> number or nested lists); backward=False
        runs the forward pass alone and allows an output of any shape (an answer's value)."""
        self.program = program if isinstance(program, Program) else parse(program)
        if not isinstance(values, dict):
            raise InputError("values must be an object mapping input names to values")
        self.texts = {}  # JSON views by node id (None: the whole graph), see views.json_text
        self.charge = None  # set by the cache: charge(nbytes) counts a memoized view
        with np.errstate(all="ignore"):
            self.values = self._forward(self._read_values(values), scalar_output=backward)
            self.grads, self.signals = self._backward() if backward else (None, None)

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
            try:
                read[index] = convert_value(node.id, values[node.id])
            except LimitError as exc:  # say where the input is used
                raise LimitError(
                    exc.message, line=node.line, column=node.column, node=node.id
                ) from None
        return read

    def fail(self, node, message, kind=EvaluationError):
        """Raise `kind` with the message, naming the node and where it was written."""
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
                self.fail(
                    node,
                    "@ needs vectors or matrices, not numbers: "
                    f"{shape_text(shapes[0])} @ {shape_text(shapes[1])}",
                )
            if shapes[0][-1] != shapes[1][0]:
                self.fail(
                    node,
                    "@ needs as many columns on its left as rows on its right: "
                    f"{shape_text(shapes[0])} @ {shape_text(shapes[1])}",
                )
            return shapes[0][:-1] + shapes[1][1:]
        if row.kind == TRANSPOSE:
            return shapes[0][::-1]
        try:
            shape = row.out_shape(shapes) if row.out_shape else broadcast_shape(shapes)
        except ValueError:
            self.fail(
                node, f"{row.name} cannot combine shapes {' and '.join(map(shape_text, shapes))}"
            )
        return () if row.kind == REDUCTION else shape

    def _forward(self, inputs, scalar_output=True):
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
                if any(shapes) or row.kind == MATMUL or row.out_shape:
                    shape = self._out_shape(node, row, shapes)
                    if math.prod(shape) > MAX_TENSOR_ELEMENTS:
                        self.fail(
                            node,
                            f"the value would have more than {MAX_TENSOR_ELEMENTS:,} "
                            f"elements ({shape_text(shape)})",
                            LimitError,
                        )
                try:
                    value = row.forward(*args)
                except (ArithmeticError, ValueError):
                    value = math.nan
                if isinstance(value, np.ndarray) and value.ndim == 0:
                    value = np.float64(value)
                if not finite(value):
                    self._fail_forward(node, row, args, value)
            total += np.size(value)
            if total > MAX_TOTAL_ELEMENTS:
                self.fail(
                    node, f"the graph holds more than {MAX_TOTAL_ELEMENTS:,} numbers", LimitError
                )
            values[node.index] = value
        output = program.nodes[program.output]
        if scalar_output and np.ndim(values[output.index]):
            raise EvaluationError(
                f"the output {output.id} has shape {shape_text(np.shape(values[output.index]))}: "
                "it must be a single number (a loss); reduce it with sum, mean or a loss such as "
                "bce or mse",
                line=output.line,
                column=output.column,
                node=output.id,
            )
        return values

    def _fail_forward(self, node, row, args, value):
        # NaN is a domain error; inf is either a pole (log 0, 1/0) or an overflow: a true value
        # too large for a float, as in a power tower.
        if np.isnan(value).any():
            why = f": {row.domain}" if row.domain else ""
            self.fail(node, f"the value is not finite (NaN){why}")
        if row.pole and row.pole[0](*args):
            self.fail(node, f"the value is not finite (infinite): {row.pole[1]}")
        self.fail(
            node,
            "the value is not finite: it overflows, larger in size than the largest float "
            "(about 1.8e308)",
        )

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
            signals[index] = tuple(
                None if nodes[parent].op == CONST else self.signal(node, slot, g)
                for slot, parent in enumerate(node.parents)
            )
            for parent, signal in zip(node.parents, signals[index], strict=True):
                if signal is None:  # a number written in the program: nothing flows back
                    continue
                # A node that feeds several others gets the sum of their signals.
                grads[parent] = signal if grads[parent] is None else grads[parent] + signal
        if not all(grads[i] is None or finite(grads[i]) for i in program.order):
            self._fail_backward(signals)
        # Nodes the output does not depend on: nothing arrives there.
        for node in nodes:
            if node.index in reached or node.op == CONST:
                continue
            grads[node.index] = _zeros_like(values[node.index])
            if node.op != INPUT:
                signals[node.index] = tuple(
                    None if nodes[p].op == CONST else _zeros_like(values[p]) for p in node.parents
                )
        return grads, signals

    def signal(self, node, slot, g):
        """What `node` sends back to parent `slot`: upstream `g` times the local gradient."""
        row = OPS[node.op]
        args = [self.values[p] for p in node.parents]
        out = self.values[node.index]
        vjp = row.vjp(slot)
        if vjp is not None:
            return vjp(g, out, *args)
        return unbroadcast(g * row.local_grads[slot](out, *args), np.shape(args[slot]))

    def _fail_backward(self, signals):
        # Some grad is inf or NaN: name the first node, from the output back, that sent one.
        nodes = self.program.nodes
        for index in reversed(self.program.order):
            for slot, (parent, signal) in enumerate(
                zip(nodes[index].parents, signals[index], strict=False)
            ):
                if signal is not None and not finite(signal):
                    why = OPS[nodes[index].op].grad_domain(slot)
                    self.fail(
                        nodes[index],
                        f"the gradient sent back to {nodes[parent].id} is not finite (inf or NaN)"
                        + (f": {why}" if why else ""),
                    )
        raise EvaluationError("a gradient is not finite (inf or NaN)")  # pragma: no cover

    def remember(self, key, text):
        """Memoize a JSON view while the graph is cached (the cache counts its bytes)."""
        if self.charge is not None and key not in self.texts:
            self.texts[key] = text
            self.charge(len(text) + 200)

    def json_text(self, node_id=None):
        """The graph's JSON view, or one node's (see lessonengine.engine.views)."""
        from lessonengine.engine.views import json_text

        return json_text(self, node_id)

    # --- Looking at one node ---------------------------------------------------------------------

    def node(self, node_id):
        return self.program.node(node_id)

    def value(self, node_id):
        return self.values[self.node(node_id).index]

    def grad(self, node_id):
        return self.grads[self.node(node_id).index]

    def local_grad(self, node_id, parent_slot):
        """d node / d parent: an elementwise derivative (shaped like the node), a reduction's
        gradient (shaped like the parent), a matrix product's 2-D Jacobian where one operand is a
        vector; None where the Jacobian has more dimensions and for a constant parent."""
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
            if np.ndim(local) == 0:
                local = float(local)
        return local

    def operand_ndims(self, node):
        """The number of dimensions of each parent's value (a matmul's rule depends on it)."""
        return tuple(np.ndim(self.values[p]) for p in node.parents)

    def input_range(self, node):
        """The Range an input's values must lie in, from the ops it feeds directly; or None."""
        for child, slot in self.program.children[node.index]:
            allowed = OPS[self.program.nodes[child].op].range(slot)
            if allowed is not None:
                return allowed
        return None

    def notes(self, node):
        """What a student should know about this node at these values: [{"id", "text"}]."""
        if node.op == CONST:
            return []
        if node.op == INPUT:
            return [
                note
                for child, slot in self.program.children[node.index]
                for note in self._range_notes(self.program.nodes[child], only=slot)
            ]
        notes = self._range_notes(node)
        row = OPS[node.op]
        values = [self.values[p] for p in node.parents]
        out = self.values[node.index]
        if row.kind == ELEMENTWISE and len(values) > 1:
            notes.extend(self._broadcast_notes(node, values, out))
        if node.op == "relu" and np.any(np.asarray(values[0]) == 0):
            notes.append(
                {
                    "id": "kink",
                    "text": "The input is exactly 0, where ReLU has a kink: the slope is 0 on the "
                    "left and 1 on the right, so there is no derivative. The engine uses 0 there, "
                    "as PyTorch does.",
                }
            )
        if node.op == "max" and np.any(np.asarray(values[0]) == np.asarray(values[1])):
            notes.append(
                {
                    "id": "tie",
                    "text": "The two inputs are equal: max has a tie here and no derivative. The "
                    "engine splits the upstream gradient evenly, half to each input, as PyTorch "
                    "does.",
                }
            )
        return notes

    def _broadcast_notes(self, node, values, out):
        # The most common bug of a first network: a (3,) vector plus a (3, 1) bias gives (3, 3).
        if not all(np.size(out) > np.size(v) for v in values):
            return []
        names = " and ".join(
            f"{node_text(self.program, p)} {shape_text(np.shape(v))}"
            for p, v in zip(node.parents, values, strict=True)
        )
        return [
            {
                "id": "broadcast-grows",
                "text": f"Broadcasting made this result bigger than each of its inputs: {names} "
                f"give {shape_text(np.shape(out))}. In a network this is usually a mistake, such "
                "as a bias of shape (3, 1) added to a vector of shape (3,); give both the same "
                "shape if you meant one value per unit.",
            }
        ]

    def _range_notes(self, node, only=None):
        row = OPS[node.op]
        notes = []
        for slot, parent in enumerate(node.parents):
            allowed = row.range(slot)
            if allowed is None or (only is not None and slot != only):
                continue
            value = self.values[parent]
            if not allowed.contains(value):
                shown = format_number(value) if np.ndim(value) == 0 else "a value"
                notes.append(
                    {
                        "id": "out-of-range",
                        "text": f"{node_text(self.program, parent)} = {shown} lies outside "
                        f"{allowed.tex()}, but {allowed.why}: the {row.name} loss and its gradient "
                        "mean nothing here.",
                    }
                )
        return notes

    # --- Re-running part of the graph (finite differences) ---------------------------------------

    def downstream(self, changed):
        """Indices of the nodes that depend on `changed`, in topological order."""
        hit = set(changed)
        result = []
        for node in self.program.nodes:
            if node.index not in hit and any(p in hit for p in node.parents):
                hit.add(node.index)
                result.append(node.index)
        return result

    def rerun(self, downstream, overrides):
        """The output when some nodes take other values, and the branch each relu and max of
        `downstream` takes (their signs), so that a caller can tell when a step crossed a kink.

        Returns (nan, None) when the forward pass fails on the way.
        """
        values = list(self.values)
        for index, value in overrides.items():
            values[index] = value
        nodes = self.program.nodes
        branches = []
        with np.errstate(all="ignore"):
            for index in downstream:
                node = nodes[index]
                args = [values[p] for p in node.parents]
                if node.op in PIECEWISE:
                    gap = args[0] if node.op == "relu" else np.subtract(args[0], args[1])
                    branches.append(np.sign(gap).tobytes())
                try:
                    values[index] = OPS[node.op].forward(*args)
                except (ArithmeticError, ValueError):
                    return math.nan, None
            return float(values[self.program.output]), tuple(branches)


def _zeros_like(value):
    return np.zeros(np.shape(value)) if np.ndim(value) else 0.0
