"""The OpenAPI 3.1 document of the JSON API, served at GET /api/openapi.json.

Built as a plain dict, one section per group of endpoints. To document a new group, write a
function returning `(paths, schemas)` next to the others and add it to SECTIONS; error responses
are shared through `error_responses(...)`. tests/api/test_openapi_fuzz.py keeps it true.
"""

import json

from flask import current_app

from lessonengine.engine.ops import OPS
from lessonengine.graph import MAX_PROGRAM_CHARS
from webapp.api import bp

JSON = "application/json"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema):
    return {JSON: {"schema": schema}}


def ok(description, schema):
    return {"description": description, "content": json_content(schema)}


ERROR_DESCRIPTIONS = {
    400: "A bad request: a malformed body, or a program or value the engine refuses. "
    "`line` and `column` (1-based) say where when the program is at fault.",
    404: "An unknown preset, node or path.",
    405: "The path exists, but not with this method.",
    413: "The body is larger than the limit (64 KB).",
    415: "The body is not JSON (send Content-Type: application/json).",
}


def error_responses(*codes):
    """The shared error responses, by status code: all of them have the Error shape."""
    return {str(code): error_response("Error", ERROR_DESCRIPTIONS[code]) for code in codes}


def error_schema(description, **extra_properties):
    """An error shape: `error` and `message`, plus what one group of endpoints adds."""
    properties = {"error": {"type": "string"}, "message": {"type": "string"}}
    return {
        "type": "object",
        "description": description,
        "required": ["error", "message"],
        "properties": {**properties, **extra_properties},
    }


def error_response(schema_name, description):
    """A documented error response whose body has the schema `schema_name`."""
    return {"description": description, "content": json_content(ref(schema_name))}


def json_body(schema, description):
    return {"required": True, "description": description, "content": json_content(schema)}


# --- Shared schemas -----------------------------------------------------------------------------

COMMON_SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every error of the API has this shape.",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "The HTTP status phrase, e.g. Bad Request."},
            "message": {"type": "string", "description": "What went wrong, for a person."},
            "line": {"type": "integer", "minimum": 1, "description": "Line of the program."},
            "column": {"type": "integer", "minimum": 1, "description": "Column (characters)."},
            "node": {"type": "string", "description": "The node at fault, when there is one."},
        },
    },
}


# --- General: the API's index and the trivial endpoint -----------------------------------------


def general_section():
    paths = {
        "/api/": {
            "get": {
                "summary": "List the API's entry points.",
                "operationId": "apiIndex",
                "responses": {"200": ok("The entry points.", {"type": "object"})},
            }
        },
        "/api/ping": {
            "get": {
                "summary": "A trivial JSON endpoint (the benchmarks' baseline).",
                "operationId": "ping",
                "responses": {
                    "200": ok(
                        "Always ok.",
                        {
                            "type": "object",
                            "required": ["ok"],
                            "properties": {"ok": {"type": "boolean"}},
                        },
                    )
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document.",
                "operationId": "openapi",
                "responses": {"200": ok("The OpenAPI document.", {"type": "object"})},
            }
        },
        "/healthz": {
            "get": {
                "summary": "For load balancers: is the app up and its database reachable?",
                "operationId": "healthz",
                "responses": {
                    "200": ok("Up, and the database answers.", ref("Health")),
                    "503": ok("The database cannot be reached.", ref("Health")),
                },
            }
        },
    }
    health = {
        "type": "object",
        "required": ["status", "database"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "database": {"type": "string", "enum": ["ok", "unreachable"]},
        },
    }
    return paths, {"Health": health}


# --- Graph: the autodiff engine (lessonengine.graph) ---------------------------------------------


def graph_section():
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


SECTIONS = [general_section, graph_section]


def build_document():
    """The whole OpenAPI document, from every section."""
    paths, schemas = {}, dict(COMMON_SCHEMAS)
    for section in SECTIONS:
        section_paths, section_schemas = section()
        paths.update(section_paths)
        schemas.update(section_schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Backpropagation lessons API",
            "version": "1.0.0",
            "description": "JSON endpoints of the lessons. Every error is "
            '`{"error": <status phrase>, "message": ...}`.',
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


_TEXT = None


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI 3.1 document."""
    global _TEXT
    if _TEXT is None:
        _TEXT = json.dumps(build_document(), separators=(",", ":"))
    return current_app.response_class(_TEXT, mimetype=JSON)


# --- Plots (issue 6): figures built from the engine, by webapp/api/plots.py ----------------------
# Kept as its own section at the end of this file; it adds itself to SECTIONS.


def plots_section():
    from lessonengine.figures import FIGURES, INPUTS, NEURON_FIGURES

    schemas = {
        "PlotError": error_schema(
            "An Error; `field` names the query parameter at fault, when one is.",
            field={"type": "string", "enum": [spec.name for spec in INPUTS]},
        ),
        "PlotInput": {
            "type": "object",
            "description": "A value of the neuron the page offers as a number input.",
            "required": ["name", "label", "min", "max", "step"],
            "properties": {
                "name": {"type": "string"},
                "label": {"type": "string"},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "step": {"type": "number"},
            },
        },
        "PlotResponse": {
            "type": "object",
            "required": ["figure", "alt", "caption"],
            "properties": {
                "figure": {
                    "type": "object",
                    "description": "A plotly figure: draw it with Plotly.react(el, data, layout).",
                    "required": ["data", "layout"],
                    "properties": {
                        "data": {"type": "array", "items": {"type": "object"}},
                        "layout": {"type": "object"},
                    },
                },
                "alt": {
                    "type": "string",
                    "description": "A text alternative that states what the plot shows, with the "
                    "current numbers.",
                },
                "caption": {"type": "string"},
                "values": {
                    "type": "object",
                    "description": "The neuron's values the figure was drawn for (neuron "
                    "figures): the given ones, the `neuron` preset's for the others.",
                    "additionalProperties": {"type": "number"},
                },
                "inputs": {"type": "array", "items": ref("PlotInput")},
                "program": {"type": "string", "description": "The growing network (cost)."},
                "points": {
                    "type": "array",
                    "description": "The cost figure's counts, one per network size.",
                    "items": {
                        "type": "object",
                        "required": ["parameters", "forward", "backprop", "finite_differences"],
                        "properties": {
                            name: {"type": "integer", "minimum": 1}
                            for name in ("parameters", "forward", "backprop", "finite_differences")
                        },
                    },
                },
            },
        },
    }
    parameters = [
        {
            "name": "figure",
            "in": "path",
            "required": True,
            "description": f"Which figure: {', '.join(FIGURES)}. The neuron figures "
            f"({', '.join(NEURON_FIGURES)}) take the neuron's values; cost takes none.",
            "schema": {"type": "string", "enum": list(FIGURES)},
        },
        *(
            {
                "name": spec.name,
                "in": "query",
                "required": False,
                "description": f"{spec.label}, from {spec.min:g} to {spec.max:g} (default: the "
                "neuron preset's).",
                "schema": {"type": "number", "minimum": spec.min, "maximum": spec.max},
            }
            for spec in INPUTS
        ),
    ]

    def plot_error(description):
        return error_response("PlotError", description)

    paths = {
        "/api/plots/{figure}": {
            "get": {
                "summary": "A plot of the lesson as plotly JSON, with a caption and a text "
                "alternative.",
                "operationId": "plotFigure",
                "parameters": parameters,
                "responses": {
                    "200": ok("The figure.", ref("PlotResponse")),
                    "400": plot_error(
                        "A value is empty, not a number, not finite or out of range."
                    ),
                    "404": plot_error("There is no figure by that name."),
                },
            }
        }
    }
    return paths, schemas


SECTIONS.append(plots_section)


# --- Quiz (issue 5): the lesson quiz, by webapp/api/quiz.py ---------------------------------------
# Kept as its own section at the end of this file; it adds itself to SECTIONS.


def quiz_section():
    def quiz_error(description):
        return error_response("QuizError", description)

    answered = {
        "type": "object",
        "description": "An answered question: the first answer of the round, what was right "
        "and why. Only answered questions appear, so nothing is given away early.",
        "required": ["choice", "correct", "correct_choice", "feedback", "explanation"],
        "properties": {
            "choice": {"type": "string"},
            "correct": {"type": "boolean"},
            "correct_choice": {"type": "string"},
            "feedback": {"type": "string", "description": "HTML: the feedback for `choice`."},
            "explanation": {"type": "string", "description": "HTML."},
        },
    }
    schemas = {
        "QuizError": error_schema(
            "An Error; for a bad choice, `choices` lists the question's ids.",
            choices={"type": "array", "items": {"type": "string"}},
        ),
        "QuizConflict": {
            **error_schema(
                "The question already has an answer in this round: that first answer stands "
                "(Try again starts a new round); `progress` shows it, as stored.",
                progress=ref("QuizProgress"),
            ),
            "required": ["error", "message", "progress"],
        },
        "QuizAnswered": answered,
        "QuizProgress": {
            "type": "object",
            "description": "The learner's place in the current round (kept on the server, so a "
            "reload finds it).",
            "required": ["round", "answered", "score", "total", "current", "missed"],
            "properties": {
                "round": {"type": "integer", "minimum": 1, "description": "Try again adds one."},
                "answered": {
                    "type": "object",
                    "description": "By question id.",
                    "additionalProperties": ref("QuizAnswered"),
                },
                "score": {"type": "integer", "minimum": 0},
                "total": {"type": "integer", "minimum": 1},
                "current": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "description": "Index of the first unanswered question; null when done.",
                },
                "missed": {
                    "type": "array",
                    "description": "Ids of the questions answered wrongly, in quiz order.",
                    "items": {"type": "string"},
                },
            },
        },
        "Quiz": {
            "type": "object",
            "description": "The questions without their answers, each with its choices in this "
            "learner's order for this round, and the learner's progress.",
            "required": ["lesson", "questions", "progress"],
            "properties": {
                "lesson": {"type": "string"},
                "questions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "prompt", "choices"],
                        "properties": {
                            "id": {"type": "string"},
                            "prompt": {"type": "string", "description": "HTML (KaTeX math)."},
                            "choices": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "text"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "text": {"type": "string", "description": "HTML."},
                                    },
                                },
                            },
                        },
                    },
                },
                "progress": ref("QuizProgress"),
            },
        },
        "QuizAnswerRequest": {
            "type": "object",
            "required": ["choice"],
            "properties": {"choice": {"type": "string", "examples": ["a"]}},
        },
        "QuizResult": {
            "type": "object",
            "required": ["correct", "correct_choice", "feedback", "explanation", "progress"],
            "properties": {
                "correct": {"type": "boolean"},
                "correct_choice": {"type": "string"},
                "feedback": {"type": "string", "description": "HTML: for the chosen answer."},
                "explanation": {"type": "string", "description": "HTML."},
                "progress": ref("QuizProgress"),
            },
        },
    }
    lesson = {
        "name": "lesson",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["chain-rule-in-networks"]},
    }
    question = {
        "name": "question",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["neuron-dw"]},
    }
    not_found = quiz_error("No quiz for this lesson, or no such question.")
    unavailable = quiz_error("The database could not be reached; try again.")
    too_many = quiz_error(
        "More writes in the last minute than this learner's limit or this address's limit "
        "allows; Retry-After says when to try again."
    )
    cookie = (
        "The learner is anonymous: a random id in a signed, HttpOnly, SameSite=Lax session "
        "cookie, set on the first call."
    )
    paths = {
        "/api/lessons/{lesson}/quiz": {
            "get": {
                "summary": "The lesson's quiz questions, without answers, and the progress.",
                "description": cookie,
                "operationId": "getQuiz",
                "parameters": [lesson],
                "responses": {
                    "200": ok("The quiz.", ref("Quiz")),
                    "404": not_found,
                    "503": unavailable,
                },
            }
        },
        "/api/lessons/{lesson}/quiz/{question}/answer": {
            "post": {
                "summary": "Answer one question: graded, stored, then explained.",
                "description": cookie + " The attempt is committed before the answer is sent. "
                "A question takes one answer a round: a second one is refused with 409 and the "
                "stored progress, and nothing is stored.",
                "operationId": "answerQuizQuestion",
                "parameters": [lesson, question],
                "requestBody": json_body(ref("QuizAnswerRequest"), "The chosen answer's id."),
                "responses": {
                    "200": ok("Right or not, the feedback and why.", ref("QuizResult")),
                    "400": quiz_error(
                        "Missing or unknown choice, or a body that is not a JSON object."
                    ),
                    "404": not_found,
                    "409": error_response(
                        "QuizConflict", "Already answered in this round; nothing was stored."
                    ),
                    **error_responses(413, 415),
                    "429": too_many,
                    "503": unavailable,
                },
            }
        },
        "/api/lessons/{lesson}/quiz/reset": {
            "post": {
                "summary": "Try again: start a new round, the choices in a new order.",
                "description": cookie + " Earlier answers stay stored. No body is needed.",
                "operationId": "resetQuiz",
                "parameters": [lesson],
                "responses": {
                    "200": ok("The quiz, in its new round.", ref("Quiz")),
                    "404": not_found,
                    "429": too_many,
                    "503": unavailable,
                },
            }
        },
    }
    return paths, schemas


SECTIONS.append(quiz_section)
