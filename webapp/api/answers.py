"""Your turn: a student's step of the backward pass, graded by the engine and stored.

POST /api/graph/answer takes the graph (a preset, or a program and values, as /api/graph does),
the step (node, quantity, parent) and the answer as typed; the reply says whether it is right,
the note of the mistake, feedback aimed at it, and how the answer was read. The right value
(`expected`) leaves the server only after a right answer, a "Show me", or 3 wrong attempts.
POST /api/graph/progress gives the steps this learner found and was shown on a graph.
"""

import hashlib
import json

from flask import jsonify

from lessonengine.assessment.answers import AnswerError
from lessonengine.assessment.grader import SHOW_AFTER, grade, worked_product
from lessonengine.assessment.steps import Step, StepError
from lessonengine.engine.graph import convert_value
from lessonengine.engine.presets import PRESETS
from lessonengine.engine.views import plain
from lessonengine.errors import NotFoundError
from webapp.api import bp
from webapp.api.graph import ENGINE_SLOTS, GRAPH_FIELDS, _graph
from webapp.errors import ApiError, read_json
from webapp.graph_store import GraphStep
from webapp.learner import current_learner
from webapp.limits import write_limit
from webapp.store import get_store

ANSWER_FIELDS = GRAPH_FIELDS | {"node", "quantity", "parent", "answer", "given", "reveal"}
MAX_GIVEN = 64  # earlier answers sent for error carried forward


def _canonical(program_text, values):
    """A program and its input values as one canonical text (values as the engine reads them)."""
    return json.dumps([program_text, values], sort_keys=True, separators=(",", ":"))


# Each preset at its default values, by canonical text: built once, looked up per answer.
_PRESET_KEYS = {
    _canonical(p.program, {k: plain(convert_value(k, v)) for k, v in p.values.items()}): p.id
    for p in PRESETS.values()
}


def graph_key(graph):
    """How a graph is stored: a preset's id when it is a preset at its default values (however
    it was sent), else a hash of its program and the values of its inputs."""
    values = {graph.nodes[i].id: plain(graph.values[i]) for i in graph.program.inputs}
    canonical = _canonical(graph.program.text, values)
    preset = _PRESET_KEYS.get(canonical)
    if preset is not None:
        return preset
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _text(body, field, required=True):
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a string")
    return value


def _given(body):
    given = body.get("given")
    if given is None:
        return {}
    if not isinstance(given, dict) or len(given) > MAX_GIVEN:
        raise ApiError(
            400, f"given must be an object of at most {MAX_GIVEN} node ids to earlier answers"
        )
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
        raise ApiError(400, "given maps node ids to answers, both strings")
    return given


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/graph/answer")
@write_limit("QUIZ_ANSWERS_PER_MINUTE", "answers")
def graph_answer():
    """Grade one step of the backward pass (or show it), store it, and say what went wrong."""
    body = read_json(fields=ANSWER_FIELDS)
    node = _text(body, "node")
    quantity = _text(body, "quantity")
    parent = _text(body, "parent", required=False)
    reveal = body.get("reveal", False)
    if not isinstance(reveal, bool):
        raise ApiError(400, "reveal must be true or false")
    answer = _text(body, "answer", required=not reveal) or ""
    given = _given(body)
    learner = current_learner()
    store = get_store()
    # Grading re-runs the graph: it takes its turn with the other engine work of the worker,
    # and hands it on before the database write.
    with ENGINE_SLOTS:
        graph = _graph({k: body[k] for k in GRAPH_FIELDS if k in body}, GRAPH_FIELDS)
        try:
            step = Step.of(graph, node, quantity, parent)
        except NotFoundError as exc:
            raise ApiError(404, exc.message) from None
        except StepError as exc:
            raise ApiError(400, exc.message) from None
        key = GraphStep(graph_key(graph), node, quantity, step.parent.id if step.parent else None)
        if reveal:
            return _reveal(store, learner, key, step)
        given = _own_earlier_answers(store, learner, key, step, given)
        try:
            result = grade(graph, node, quantity, parent, answer, given=given, seed=len(answer))
        except AnswerError as exc:
            raise ApiError(400, **exc.to_dict()) from None
    # Committed before the reply; a database that cannot be reached is the app's one 503.
    counts = store.record_graph_attempt(learner, key, answer, result.correct, result.note)
    payload = {
        "correct": result.correct,
        "note": result.note,
        "feedback": result.feedback,
        "read_as": result.read_as,
        "attempts": counts.attempts,
        "progress": counts.progress,
    }
    if not result.correct and result.hint:
        payload["hint"] = result.hint
    if result.note == "correct" or counts.wrong >= SHOW_AFTER:
        payload["expected"] = plain(result.expected)
        payload["worked"] = result.worked
    return _private(jsonify(payload))


def _reveal(store, learner, key, step):
    """Show me: the right value and its worked product, after at least one attempt."""
    if store.step_counts(learner, key).attempts == 0:
        raise ApiError(409, "Try this step at least once before asking to be shown it.")
    counts = store.record_graph_attempt(learner, key, "", False, "shown", revealed=True)
    payload = {
        "correct": False,
        "note": "shown",
        "feedback": "Here is the step worked out. It is marked as shown, not found: try the "
        "next one yourself.",
        "read_as": "",
        "attempts": counts.attempts,
        "expected": plain(step.right),
        "worked": worked_product(step),
        "progress": counts.progress,
    }
    return _private(jsonify(payload))


def _own_earlier_answers(store, learner, key, step, given):
    """The entries of `given` that error carried forward may use: the grads of the nodes this
    step reads its upstream from, each one a wrong answer this learner did store on this graph
    (a made-up value would otherwise make any step right)."""
    if not given:
        return {}
    if step.quantity == "signal":
        upstream = [step.node.id]
    elif step.quantity == "grad":
        upstream = [child.id for child, _slot in step.edges]
    else:
        return {}
    asked = {node: text for node, text in given.items() if node in upstream}
    if not asked:
        return {}
    stored = store.wrong_grad_answers(learner, key.graph, list(asked))
    return {node: text for node, text in asked.items() if (node, text) in stored}


@bp.post("/graph/progress")
def graph_progress():
    """The steps of a graph this learner found and was shown, kept across reloads."""
    body = read_json(fields=GRAPH_FIELDS)
    graph = _graph(body, GRAPH_FIELDS)  # a graph that exists, or the 400/404 of /api/graph
    learner = current_learner(create=False)
    if learner is None:
        return _private(jsonify({"found": [], "shown": [], "attempted": []}))
    return _private(jsonify(get_store().graph_progress(learner, graph_key(graph))))


# --- The OpenAPI section of these routes ----------------------------------------------------------


def openapi_section():
    """Paths and schemas of /api/graph/answer and /api/graph/progress."""
    from webapp.api.openapi import error_response, error_responses, json_body, ok, ref

    step = {
        "type": "object",
        "required": ["node", "quantity", "parent"],
        "properties": {
            "node": {"type": "string"},
            "quantity": {"enum": ["grad", "local_grad", "signal"]},
            "parent": {"type": ["string", "null"]},
        },
    }
    attempted = {
        "type": "object",
        "required": ["node", "quantity", "parent", "attempts"],
        "properties": {**step["properties"], "attempts": {"type": "integer", "minimum": 1}},
    }
    progress = {
        "type": "object",
        "required": ["found", "shown", "attempted"],
        "description": "The steps of this graph the learner found, and was shown (Show me), and "
        "every step they attempted with their number of attempts (Show me counts as one).",
        "properties": {
            "found": {"type": "array", "items": step},
            "shown": {"type": "array", "items": step},
            "attempted": {"type": "array", "items": attempted},
        },
    }
    graph_fields = {
        "preset": {"type": "string", "examples": ["neuron"]},
        "program": {"type": "string"},
        "values": ref("Values"),
    }
    schemas = {
        "AnswerRequest": {
            "type": "object",
            "description": "A graph (as for /api/graph), a step of it and the student's answer.",
            "required": ["node", "quantity"],
            "properties": {
                **graph_fields,
                "node": {"type": "string", "examples": ["w"]},
                "quantity": {"enum": ["grad", "local_grad", "signal"]},
                "parent": {"type": "string", "description": "For local_grad and signal."},
                "answer": {
                    "type": "string",
                    "description": "A number (0.147, 1/4), a vector or matrix ([0.1, -0.2]), or "
                    "an expression over the graph's names ((a - y)*x, transpose(W2) @ g, "
                    "outer(g, a1) for a weight matrix). "
                    "Required unless reveal is true.",
                    "examples": ["(a - y)*x"],
                },
                "given": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "maxProperties": MAX_GIVEN,
                    "description": "The student's earlier answers for other nodes' grads: a "
                    "step right from a wrong earlier value is marked carried-forward.",
                },
                "reveal": {"type": "boolean", "description": "Show me (after one attempt)."},
            },
            "additionalProperties": False,
        },
        "AnswerResult": {
            "type": "object",
            "required": ["correct", "note", "feedback", "read_as", "attempts", "progress"],
            "properties": {
                "correct": {"type": "boolean"},
                "note": {
                    "type": "string",
                    "description": "`correct`, `shown` or a mistake's "
                    "id (forgot-upstream, missed-fork, no-transpose, ...).",
                },
                "feedback": {"type": "string"},
                "read_as": {"type": "string", "description": "How the answer was read, in TeX."},
                "attempts": {"type": "integer", "minimum": 1},
                "expected": {
                    **ref("Value"),
                    "description": "The right value: only after a right answer, a Show me, or "
                    f"{SHOW_AFTER} wrong attempts at this step.",
                },
                "worked": {"type": "string", "description": "The step worked out, in TeX."},
                "hint": {
                    "type": "string",
                    "description": "The op's rule for this step, in "
                    "TeX (never its value), after a wrong answer.",
                },
                "progress": progress,
            },
        },
        "Progress": progress,
    }
    errors = error_responses(400, 404, 413, 415)
    paths = {
        "/api/graph/answer": {
            "post": {
                "summary": "Your turn: grade one step of the backward pass, store it, explain.",
                "description": "The learner cookie identifies the student. The attempt is "
                "committed before the reply. A 400 for an answer that cannot be read carries "
                "the `column` of the problem.",
                "operationId": "answerGraphStep",
                "requestBody": json_body(ref("AnswerRequest"), "A graph, a step and an answer."),
                "responses": {
                    "200": ok("The grade and the feedback.", ref("AnswerResult")),
                    **errors,
                    "409": error_response("Error", "Show me before any attempt at the step."),
                    "429": error_response("Error", "Too many answers in a minute."),
                    "503": error_response("Error", "The database cannot be reached."),
                },
            }
        },
        "/api/graph/progress": {
            "post": {
                "summary": "The steps of a graph this learner found and was shown.",
                "operationId": "graphProgress",
                "requestBody": json_body(ref("GraphRequest"), "A preset or a program."),
                "responses": {
                    "200": ok("Found and shown steps.", ref("Progress")),
                    **errors,
                    "503": error_response("Error", "The database cannot be reached."),
                },
            }
        },
    }
    return paths, schemas
