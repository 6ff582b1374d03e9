"""The graph endpoints: the presets, a whole computed graph, and one node of it."""

import json
import threading

from flask import current_app

from lessonengine.engine.cache import compute
from lessonengine.engine.ops import OPS
from lessonengine.engine.presets import compute_preset, preset_list
from lessonengine.engine.program import MAX_PROGRAM_CHARS
from lessonengine.engine.views import json_text
from lessonengine.errors import GraphError, NotFoundError
from webapp.api import bp
from webapp.api.openapi import error_responses, json_body, ok, ref
from webapp.errors import ApiError, read_json

# Engine work at once in one process: a graph of large arrays briefly holds many megabytes, so
# a worker's threads take turns (the GIL would serialise most of this work anyway) and its
# memory stays within budget however many such requests arrive together.
ENGINE_SLOTS = threading.BoundedSemaphore(1)

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
        return _json(json_text(_graph(body, GRAPH_FIELDS)))


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
            return _json(json_text(computed, node))
        except NotFoundError as exc:
            raise ApiError(404, exc.message) from None
        except GraphError as exc:  # a view too large to send
            raise ApiError(400, **exc.to_dict()) from None


# --- The OpenAPI section of these routes ---------------------------------------------------


def openapi_section():
    """These routes' part of the OpenAPI document: (paths, schemas)."""
    number_or_null = {"type": ["number", "null"]}
    schemas = {
        "Value": {
            "description": "A number, a vector (list) or a matrix (list of rows).",
            "anyOf": [
                {"type": "number"},
                {"type": "array", "items": {"type": "number"}},
                {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            ],
        },
        "ValueOrNull": {
            "description": "A value, or null where nothing flows (constants, and Jacobians of "
            "more than two dimensions).",
            "anyOf": [ref("Value"), {"type": "null"}],
        },
        "Values": {
            "type": "object",
            "description": "Values of the program's inputs, by name.",
            "additionalProperties": ref("Value"),
        },
        "GraphRequest": {
            "type": "object",
            "description": "A preset (its `values` override some of its defaults) or a program "
            "with the values of all of its inputs; not both.",
            "properties": {
                "preset": {"type": "string", "examples": ["neuron"]},
                "program": {
                    "type": "string",
                    "maxLength": MAX_PROGRAM_CHARS,
                    "description": "One assignment per line (or separated by ;). The last one "
                    "is the output and must be a single number.",
                    "examples": ["z = w*x + b\na = sigmoid(z)\nL = bce(a, y)"],
                },
                "values": ref("Values"),
            },
            "additionalProperties": False,
        },
        "NodeRequest": {
            "type": "object",
            "description": "A graph request plus the id of one of its nodes.",
            "required": ["node"],
            "properties": {
                "preset": {"type": "string", "examples": ["neuron"]},
                "program": {"type": "string", "maxLength": MAX_PROGRAM_CHARS},
                "values": ref("Values"),
                "node": {"type": "string", "examples": ["w"]},
            },
            "additionalProperties": False,
        },
        "Op": {
            "type": "string",
            "description": "`input`, `const` (a number written in the program) or an operation.",
            "enum": ["input", "const", *OPS],
        },
        "GraphNode": {
            "type": "object",
            "required": ["id", "op", "label", "parents", "value", "grad", "shape"],
            "properties": {
                "id": {
                    "type": "string",
                    "description": "The name of a named node; `_mul1`, `_const1`... for others.",
                },
                "op": ref("Op"),
                "label": {"type": "string", "description": "Its name, symbol or number."},
                "parents": {"type": "array", "items": {"type": "string"}},
                "value": ref("Value"),
                "grad": {
                    **ref("ValueOrNull"),
                    "description": "dL/d node; null for a constant (nothing flows into it).",
                },
                "shape": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                "line": {"type": ["integer", "null"], "description": "Line of the program."},
                "tex": {"type": "string", "description": "The node in TeX (name or expression)."},
                "notes": ref("Notes"),
                "range": ref("RangeOrNull"),
                "forward": {
                    **ref("Sentence"),
                    "description": "The node's forward step in words, with its numbers.",
                },
                "backward": {
                    **ref("Sentence"),
                    "description": "Its backward step: the gradient arriving, and from where.",
                },
            },
        },
        "Sentence": {
            "type": "array",
            "description": "A sentence as parts: plain text, or a formula in TeX ({tex}).",
            "items": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "required": ["tex"],
                        "properties": {"tex": {"type": "string"}},
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "Notes": {
            "type": "array",
            "description": "What a student should know about the node at these values: "
            "`broadcast-grows` (the result is bigger than each input), `kink` (relu at 0), "
            "`tie` (max of equal inputs: split evenly), `out-of-range` (a value outside what "
            "the op means, such as a cross-entropy label outside [0, 1]).",
            "items": {
                "type": "object",
                "required": ["id", "text"],
                "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
            },
        },
        "RangeOrNull": {
            "description": "On an input: the interval its values must lie in for the ops it "
            "feeds to mean what they say (null: any finite number).",
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["min", "max", "min_open", "max_open"],
                    "properties": {
                        "min": {"type": "number"},
                        "max": {"type": "number"},
                        "min_open": {"type": "boolean"},
                        "max_open": {"type": "boolean"},
                    },
                },
            ],
        },
        "Check": {
            "type": "object",
            "description": "Central finite differences for one input, element by element. "
            "Elements past the work budget, or whose step leaves the function's domain, are "
            "null in `numeric`. rel_error = |analytic - numeric| / max(|analytic|, |numeric|, "
            "1e-8), the largest over the elements that agree or disagree (null when none). "
            "verdict: `agrees`, `disagrees` (a wrong rule), `kink` (no derivative at this "
            "point) or `unreliable` (rounding or the domain make the difference meaningless "
            "here); reason says why for all but `agrees`.",
            "required": ["input", "analytic", "numeric", "rel_error", "verdict", "reason"],
            "properties": {
                "input": {"type": "string"},
                "analytic": ref("Value"),
                "numeric": {
                    "anyOf": [
                        number_or_null,
                        {"type": "array", "items": number_or_null},
                        {"type": "array", "items": {"type": "array", "items": number_or_null}},
                    ]
                },
                "rel_error": {"type": ["number", "null"], "minimum": 0},
                "checked": {"type": "integer", "minimum": 0},
                "elements": {"type": "integer", "minimum": 1},
                "verdict": {"enum": ["agrees", "disagrees", "kink", "unreliable"]},
                "reason": {"type": ["string", "null"]},
            },
        },
        "GraphResponse": {
            "type": "object",
            "required": ["output", "nodes", "check"],
            "properties": {
                "output": {"type": "string", "description": "Id of the output node."},
                "nodes": {
                    "type": "array",
                    "description": "Every node, parents before children.",
                    "items": ref("GraphNode"),
                },
                "check": {"type": "array", "items": ref("Check")},
            },
        },
        "NodeResponse": {
            "type": "object",
            "description": "One node. The lists are empty for an input or a constant; "
            "local_grads and signals follow `parents`, incoming lists what arrives from each "
            "child (they add up to grad).",
            "required": ["node", "op", "value", "grad", "local_grads", "signals", "role"],
            "properties": {
                "node": {"type": "string"},
                "op": ref("Op"),
                "label": {"type": "string"},
                "shape": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                "value": ref("Value"),
                "grad": ref("ValueOrNull"),
                "parents": {"type": "array", "items": {"type": "string"}},
                "children": {"type": "array", "items": {"type": "string"}},
                "local_grads": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parent", "value", "rule"],
                        "properties": {
                            "parent": {"type": "string"},
                            "value": {
                                **ref("ValueOrNull"),
                                "description": "d node / d parent: elementwise derivative, a "
                                "reduction's gradient, a 2-D Jacobian; null for more dimensions "
                                "or a constant parent.",
                            },
                            "rule": {"type": "string", "description": "The rule in TeX."},
                            "shape": {
                                "type": ["array", "null"],
                                "items": {"type": "integer"},
                                "description": "The shape of `value` (null with it).",
                            },
                        },
                    },
                },
                "signals": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parent", "value"],
                        "properties": {"parent": {"type": "string"}, "value": ref("ValueOrNull")},
                    },
                },
                "incoming": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["child", "value"],
                        "properties": {"child": {"type": "string"}, "value": ref("ValueOrNull")},
                    },
                },
                "role": {"type": "string", "description": "Its role in the backward pass."},
                "line": {"type": ["integer", "null"]},
                "tex": {"type": "string"},
                "notes": ref("Notes"),
                "range": ref("RangeOrNull"),
            },
        },
        "Preset": {
            "type": "object",
            "required": ["id", "title", "description", "program", "values", "parameters"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "program": {"type": "string"},
                "values": ref("Values"),
                "parameters": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "The inputs a training step updates (not data or labels).",
                },
            },
        },
    }
    post_errors = error_responses(400, 404, 413, 415)
    paths = {
        "/api/presets": {
            "get": {
                "summary": "The lesson's graphs, with their default values.",
                "operationId": "listPresets",
                "responses": {
                    "200": ok(
                        "Every preset.",
                        {
                            "type": "object",
                            "required": ["presets"],
                            "properties": {"presets": {"type": "array", "items": ref("Preset")}},
                        },
                    )
                },
            }
        },
        "/api/graph": {
            "post": {
                "summary": "Run a program forward and backward: every node, and a gradient check.",
                "operationId": "computeGraph",
                "requestBody": json_body(ref("GraphRequest"), "A preset or a program."),
                "responses": {"200": ok("The graph.", ref("GraphResponse")), **post_errors},
            }
        },
        "/api/graph/node": {
            "post": {
                "summary": "One node of a graph: local gradients, signals and its role.",
                "operationId": "graphNode",
                "requestBody": json_body(ref("NodeRequest"), "A graph request and a node id."),
                "responses": {"200": ok("The node.", ref("NodeResponse")), **post_errors},
            }
        },
    }
    return paths, schemas
