"""The JSON views of a graph: the whole graph (POST /api/graph) and one node (/api/graph/node).

Views are plain dicts of numbers, lists and strings; `json_text` turns one into compact JSON and
memoizes it on the graph, where the cache counts it against its memory budget.
"""

import json

import numpy as np

from lessonengine.engine.gradcheck import gradient_check
from lessonengine.engine.narration import backward_parts, forward_parts
from lessonengine.engine.ops import CONST_ROLE, INPUT_ROLE, OPS
from lessonengine.engine.program import CONST, INPUT
from lessonengine.engine.tex import node_tex, operand_tex, render_rule
from lessonengine.errors import LimitError

MAX_VIEW_NUMBERS = 65_536  # numbers in one response; a node that feeds many large ones says so


def plain(value, finite_only=False):
    """A number or nested lists, for JSON; None stays None (and so does a non-finite local)."""
    if value is None:
        return None
    if finite_only and not np.all(np.isfinite(value)):
        return None
    if np.ndim(value):
        return (np.asarray(value, dtype=float) + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0
    return float(value) + 0.0


def rule(graph, node, slot):
    """The TeX rule of the node's local gradient for one parent, with the program's names."""
    program = graph.program
    parent = program.nodes[node.parents[slot]]
    if parent.op == CONST:
        return r"\text{" + parent.label + " is a number: nothing flows back into it}"
    row = OPS[node.op]
    texs = [operand_tex(program, p) for p in node.parents]
    args = [graph.values[p] for p in node.parents]
    size = int(np.broadcast(*args).size) if row.kind == "reduction" else 1
    exponent = None
    if node.op == "pow" and program.nodes[node.parents[1]].op == CONST:
        exponent = program.nodes[node.parents[1]].const
    template = row.rule(slot, graph.operand_ndims(node), exponent)
    return render_rule(
        template,
        z=operand_tex(program, node.index),
        a=texs[0],
        b=texs[1] if len(texs) > 1 else "",
        size=size,
    )


def graph_view(graph):
    """Every node, in topological order, with its notes and the narration of its forward and
    backward steps, and the gradient check."""
    out = [
        {
            "id": node.id,
            **_node_fields(graph, node),
            "forward": forward_parts(graph, node),
            "backward": backward_parts(graph, node),
        }
        for node in graph.program.nodes
    ]
    check = gradient_check(graph)
    for entry in check:
        entry["analytic"] = plain(entry["analytic"])
    return {"output": graph.output, "nodes": out, "check": check}


def _count_numbers(graph, node):
    program = graph.program
    count = 2 * np.size(graph.values[node.index])
    for parent in node.parents:
        count += 3 * np.size(graph.values[parent])  # local gradient (at most), signal
    for _child, _slot in program.children[node.index]:
        count += np.size(graph.values[node.index])  # the signal that child sends back
    return int(count)


def node_view(graph, node_id):
    """One node: value, grad, local gradients (rule, value, shape), signals, incoming, role."""
    program = graph.program
    node = graph.node(node_id)
    count = _count_numbers(graph, node)
    if count > MAX_VIEW_NUMBERS:
        raise LimitError(
            f"the view of node {node.id} would list about {count:,} numbers (the limit is "
            f"{MAX_VIEW_NUMBERS:,}): it feeds or reads too many large values; use smaller inputs",
            line=node.line,
            column=node.column,
            node=node.id,
        )
    nodes = program.nodes
    is_op = node.op not in (INPUT, CONST)
    children = []
    for child, _slot in program.children[node.index]:
        if nodes[child].id not in children:
            children.append(nodes[child].id)
    incoming = []
    if node.op != CONST:
        for child, slot in program.children[node.index]:
            signal = graph.signals[child][slot] if graph.signals[child] else None
            incoming.append({"child": nodes[child].id, "value": plain(signal)})
    local_grads, signals = [], []
    if is_op:
        for slot, parent in enumerate(node.parents):
            local = graph.local_grad(node.id, slot)
            local_grads.append(
                {
                    "parent": nodes[parent].id,
                    "value": plain(local, finite_only=True),
                    "rule": rule(graph, node, slot),
                    "shape": list(np.shape(local)) if local is not None else None,
                }
            )
            signals.append(
                {"parent": nodes[parent].id, "value": plain(graph.signals[node.index][slot])}
            )
    if is_op:
        role = OPS[node.op].role_for(graph.operand_ndims(node))
    else:
        role = INPUT_ROLE if node.op == INPUT else CONST_ROLE
    return {
        "node": node.id,
        **_node_fields(graph, node),
        "children": children,
        "local_grads": local_grads,
        "signals": signals,
        "incoming": incoming,
        "role": role,
    }


def _node_fields(graph, node):
    # What the graph's list and one node's view both say of a node.
    fields = {
        "op": node.op,
        "label": node.label,
        "parents": [graph.program.nodes[p].id for p in node.parents],
        "value": plain(graph.values[node.index]),
        "grad": plain(graph.grads[node.index]),
        "shape": list(np.shape(graph.values[node.index])),
        "line": node.line,
        "tex": node_tex(graph.program, node.index),
        "notes": graph.notes(node),
    }
    if node.op == INPUT:
        allowed = graph.input_range(node)
        fields["range"] = allowed.to_dict() if allowed is not None else None
    return fields


def json_text(graph, node_id=None):
    """graph_view (node_id None) or node_view as compact JSON text, memoized on the graph."""
    text = graph.texts.get(node_id)
    if text is None:
        view = graph_view(graph) if node_id is None else node_view(graph, node_id)
        text = json.dumps(view, separators=(",", ":"), allow_nan=False)
        graph.remember(node_id, text)
    return text
