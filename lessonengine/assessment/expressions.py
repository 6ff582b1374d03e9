"""Each step of the backward pass as an expression in the program grammar, over the graph's names.

Built by a symbolic backward pass with the op table's `exprs` (each op's local gradient in the
grammar): the signal to a parent is (upstream)*(local), a node's gradient the sum of its signals.
Used to check that the grader accepts the right answer written as an expression, and to show it.
A weight matrix's gradient, upstream times the input transposed, is written outer(g, x) (the
lesson's g xᵀ for vectors of one axis). Steps the grammar cannot write (a sum over some axes
only) are None.
"""

from string import Template

import numpy as np

from lessonengine.engine.ops import OPS
from lessonengine.engine.program import CONST, INPUT, source


def _local(graph, node, slot):
    program = graph.program
    row = OPS[node.op]
    a, b = (node.parents + (None,))[:2]
    shapes = [np.shape(graph.values[p]) for p in node.parents]
    if node.op == "matmul":
        A, B = (f"({source(program, p)})" for p in node.parents)
        if len(shapes[1]) == 1 and slot == 1:
            return A if len(shapes[0]) == 2 else source(program, a)
        if len(shapes[0]) == 1 and slot == 0:
            return f"transpose({B})" if len(shapes[1]) == 2 else B
        return None
    if not row.exprs or row.exprs[slot] is None:
        return None
    fields = {
        "z": f"({source(program, node.index)})",
        "a": f"({source(program, a)})",
        "b": f"({source(program, b)})" if b is not None else "",
        "N": str(int(np.broadcast(*[graph.values[p] for p in node.parents]).size)),
    }
    return Template(row.exprs[slot]).substitute(fields)


def _signal(graph, node, slot, upstream):
    if upstream is None:
        return None
    program = graph.program
    shapes = [np.shape(graph.values[p]) for p in node.parents]
    if node.op == "transpose":
        return f"transpose({upstream})"
    if node.op == "outer":  # u vᵀ sends u the upstream times v, v the transposed upstream times u
        other = f"({source(program, node.parents[1 - slot])})"
        return f"({upstream}) @ {other}" if slot == 0 else f"transpose({upstream}) @ {other}"
    if node.op == "matmul":
        other = f"({source(program, node.parents[1 - slot])})"
        if len(shapes[0]) == 2 and len(shapes[1]) == 1:
            return (
                f"transpose({other}) @ ({upstream})" if slot == 1 else f"outer({upstream}, {other})"
            )
        if len(shapes[0]) == 2 and len(shapes[1]) == 2:
            return (
                f"({upstream}) @ transpose({other})"
                if slot == 0
                else (f"transpose({other}) @ ({upstream})")
            )
        if len(shapes[0]) == 1 and len(shapes[1]) == 2:
            return f"{other} @ ({upstream})" if slot == 0 else f"outer({other}, {upstream})"
        return f"({upstream})*{other}"
    local = _local(graph, node, slot)
    if local is None:
        return None
    product = f"({upstream})*({local})"
    parent_shape, out_shape = shapes[slot], np.shape(graph.values[node.index])
    if OPS[node.op].kind == "reduction" or parent_shape == out_shape:
        return product
    if parent_shape == ():
        return f"sum({product})"  # a number broadcast against a tensor gets the sum
    return None


def backward_expressions(graph):
    """(grads, signals): per node, dL/d node in the grammar; per node, per parent, the signal."""
    program = graph.program
    nodes = program.nodes
    grads = [None] * len(nodes)
    parts = [[] for _ in nodes]
    signals = [()] * len(nodes)
    grads[program.output] = "1"
    complete = [True] * len(nodes)
    for index in reversed(program.order):
        node = nodes[index]
        if index != program.output:
            grads[index] = " + ".join(f"({p})" for p in parts[index]) if complete[index] else None
        if node.op in (INPUT, CONST):
            continue
        sent = []
        for slot, parent in enumerate(node.parents):
            if nodes[parent].op == CONST:
                sent.append(None)
                continue
            signal = _signal(graph, node, slot, grads[index])
            sent.append(signal)
            if signal is None:
                complete[parent] = False
            else:
                parts[parent].append(signal)
        signals[index] = tuple(sent)
    return grads, signals


def expression_for(step):
    """The step's right value as an expression in the grammar, or None where it has none."""
    graph = step.graph
    if step.quantity == "local_grad":
        return _local(graph, step.node, step.slot)
    grads, signals = backward_expressions(graph)
    if step.quantity == "grad":
        return grads[step.node.index]
    return signals[step.node.index][step.slot]
