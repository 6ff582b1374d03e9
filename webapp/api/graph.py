"""The graph endpoints: the presets, a whole computed graph, and one node of it."""

import json
import threading

from flask import current_app

from lessonengine.engine.presets import compute_preset, preset_list
from lessonengine.errors import GraphError, NotFoundError
from lessonengine.graph import compute
from webapp.api import bp
from webapp.errors import ApiError, read_json

# Engine work at once in one process: a graph of large arrays briefly holds many megabytes, so
# a worker's threads take turns (the GIL would serialise most of this work anyway) and its
# memory stays within budget however many such requests arrive together.
ENGINE_SLOTS = threading.BoundedSemaphore(2)

GRAPH_FIELDS = frozenset(("preset", "program", "values"))
NODE_FIELDS = GRAPH_FIELDS | {"node"}
_PRESETS_TEXT = json.dumps({"presets": preset_list()}, separators=(",", ":"))


def _json(text, status=200):
    # The engine's views are already JSON text (memoized per graph): send them as they are.
    return current_app.response_class(text, status=status, mimetype="application/json")


def _graph(body, fields):
    """The computed graph a request body asks for; ApiError 400/404 for anything wrong."""
    unknown = sorted(set(body) - fields)
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}; the fields are {allowed}")
    for key in fields:
        if key in body and not isinstance(body[key], dict if key == "values" else str):
            kind = "an object" if key == "values" else "a string"
            raise ApiError(400, f"{key} must be {kind}")
    values = body.get("values")
    try:
        if "preset" in body:
            if "program" in body:
                raise ApiError(400, "send either a preset or a program, not both")
            return compute_preset(body["preset"], values)
        if "program" in body:
            return compute(body["program"], values if values is not None else {})
        raise ApiError(400, 'send a preset (as in {"preset": "neuron"}) or a program')
    except NotFoundError as exc:
        raise ApiError(404, exc.message) from None
    except GraphError as exc:
        raise ApiError(400, **exc.to_dict()) from None


@bp.get("/presets")
def presets():
    """Every preset: id, title, description, program and default values."""
    return _json(_PRESETS_TEXT)


@bp.post("/graph")
def graph():
    """Run a program (or a preset) forward and backward; every node and a gradient check."""
    body = read_json()
    with ENGINE_SLOTS:
        return _json(_graph(body, GRAPH_FIELDS).json_text())


@bp.post("/graph/node")
def graph_node():
    """One node of a graph: value, grad, local gradients, signals and its role."""
    body = read_json()
    node = body.get("node")
    if "node" not in body:
        raise ApiError(400, 'send the id of a node as node, as in {"node": "w"}')
    if not isinstance(node, str):
        raise ApiError(400, "node must be a string: the id of a node of the graph")
    with ENGINE_SLOTS:
        computed = _graph(body, NODE_FIELDS)
        try:
            return _json(computed.json_text(node))
        except NotFoundError as exc:
            raise ApiError(404, exc.message) from None
        except GraphError as exc:  # a view too large to send
            raise ApiError(400, **exc.to_dict()) from None
