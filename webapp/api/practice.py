"""Practice: exercises generated from each skill's template, graded, and the learner's mastery.

GET /api/practice lists every skill with the learner's level and the date its review is due.
POST /api/practice/<skill>/exercise hands out an exercise (a seed gives the same one again);
POST /api/practice/<skill>/exercise/<id>/answer grades its one answer, moves the skill's level by
the mastery rules and stores both in one transaction, committed before the reply.
"""

import html
import secrets

from flask import jsonify

from lessonengine.assessment.answers import AnswerError
from lessonengine.assessment.mastery import Mastery, is_due
from lessonengine.assessment.practice import (
    MAX_SEED,
    Exercise,
    GenerationError,
    check_seed,
    generate,
    grade_exercise,
)
from webapp.api import bp
from webapp.errors import ApiError, read_body, read_json
from webapp.learner import current_learner
from webapp.limits import write_limit
from webapp.practice import get_skills, markdown_html, skill_statuses
from webapp.practice_store import ExerciseAnswered, clock
from webapp.store import get_store

RANDOM_TRIES = 5  # random seeds tried before giving up (a template rarely fails even one)
MAX_ANSWER = 1000  # characters, as stored
ALREADY_ANSWERED = (
    "This exercise already has its answer, and that one counts. Press Next for a new exercise."
)


def _private(response):
    # Per-learner data: no shared cache may keep it, and the browser must not reuse it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _skill_or_404(skill_id: str):
    skill = get_skills().get(skill_id)
    if skill is None:
        raise ApiError(404, f"There is no skill called {skill_id[:100]!r} to practise.")
    return skill


def _html(markdown: str, inline: bool = False) -> str:
    """Markdown as HTML with each formula's TeX in a placeholder for the browser's KaTeX (no
    KaTeX here: it would hold a V8 process in every worker); escaped text if it cannot be."""
    try:
        return markdown_html(markdown, inline)
    except KeyError:  # a `:::` block, which only a lesson resolves: shown as the text it is
        text = html.escape(markdown)
        return text if inline else f"<p>{text}</p>"


def _due(mastery: Mastery) -> str | None:
    return mastery.due.date().isoformat() if mastery.due else None


def _level(mastery: Mastery, now) -> dict:
    return {"level": mastery.level, "due": _due(mastery), "due_now": is_due(mastery, now)}


def exercise_json(exercise_id: str, exercise: Exercise, title: str) -> dict:
    """An exercise as the API sends it (what to find, never its answer), as HTML for the page."""
    payload = {"id": exercise_id, **exercise.to_dict()}
    choices = [_html(c, inline=True) for c in exercise.choices] if exercise.choices else None
    payload["answer"]["choices_html"] = choices
    payload["prompt_html"] = _html(exercise.prompt)
    payload["title"] = title
    return payload


@bp.get("/practice")
def practice_levels():
    """Every skill with this learner's level and the date its review is due."""
    statuses = skill_statuses(current_learner(create=False), clock())
    return _private(jsonify({"skills": [s.as_json() for s in statuses]}))


def _generate(skill, body: dict) -> Exercise:
    """The exercise the body's seed names, or one of a random seed."""
    if "seed" in body:
        try:
            return generate(skill, check_seed(body["seed"]))
        except ValueError as exc:  # GenerationError too: this seed draws nothing usable
            raise ApiError(400, str(exc)) from None
    for _try in range(RANDOM_TRIES):
        try:
            return generate(skill, secrets.randbelow(MAX_SEED + 1))
        except GenerationError:
            continue  # a rare seed whose draws are all ill-conditioned: draw another seed
    raise ApiError(503, "No exercise could be drawn just now; please try again.")


@bp.post("/practice/<skill_id>/exercise")
@write_limit("PRACTICE_EXERCISES_PER_MINUTE", "new exercises")
def new_exercise(skill_id: str):
    """Hand out an exercise of a skill: a random one, or the one a seed names."""
    skill = _skill_or_404(skill_id)
    # The body is optional: no body at all is a random exercise.
    body = read_json(fields={"seed"}) if read_body().strip() else {}
    exercise = _generate(skill, body)
    seed = exercise.seed
    learner = current_learner()
    store = get_store()
    exercise_id = store.create_exercise(learner, skill.id, seed, clock())
    payload = exercise_json(exercise_id, exercise, skill.title)
    payload.update(_level(store.mastery(learner, skill.id), clock()))
    return _private(jsonify(payload))


@bp.post("/practice/<skill_id>/exercise/<exercise_id>/answer")
@write_limit("PRACTICE_ANSWERS_PER_MINUTE", "answers")
def answer_exercise(skill_id: str, exercise_id: str):
    """Grade the one answer to an exercise, move the skill's level, store both, explain."""
    skill = _skill_or_404(skill_id)
    learner = current_learner(create=False)
    store = get_store()
    stored = store.exercise(learner, exercise_id[:64]) if learner else None
    if stored is None or stored.skill != skill.id:
        raise ApiError(404, f"You have no exercise {exercise_id[:40]!r} of this skill.")
    body = read_json(fields={"answer"})
    answer = body.get("answer")
    if not isinstance(answer, str):
        raise ApiError(400, 'Send the answer as {"answer": "<text>"}.', column=1)
    if len(answer) > MAX_ANSWER:
        raise ApiError(400, f"An answer has at most {MAX_ANSWER} characters.", column=MAX_ANSWER)
    exercise = generate(skill, stored.seed)
    try:
        result = grade_exercise(exercise, answer)
    except AnswerError as exc:
        raise ApiError(400, **exc.to_dict()) from None
    try:
        # Committed before the reply: an acknowledged answer and its level are never lost.
        now = clock()
        moved = store.answer_exercise(stored, answer, result.correct, result.note, now)
    except ExerciseAnswered as exc:
        raise ApiError(409, ALREADY_ANSWERED, **_level(exc.mastery, now)) from None
    payload = {
        "correct": bool(result.correct),
        "note": result.note,
        "feedback": result.feedback,
        "explanation": result.explanation,
        **_level(moved.after, now),
        "level_before": moved.before.level,
        "explanation_html": _html(result.explanation),
        "expected": result.expected,
    }
    return _private(jsonify(payload))


# --- The OpenAPI section of these routes -----------------------------------------------------


# What the *_html fields hold: the server renders the Markdown but typesets no formula.
HTML_WITH_TEX = (
    "The Markdown rendered as HTML, its formulas not typeset: each `$...$` or `$$...$$` is a "
    '`<span class="tex-source" data-tex="TeX" data-display="false|true">` holding its TeX '
    "(escaped), for the page to typeset with KaTeX."
)


def openapi_section():
    """Paths and schemas of /api/practice and its exercises."""
    from lessonengine.assessment.mastery import LEVELS
    from webapp.api.openapi import error_response, error_responses, json_body, ok, ref

    level = {"enum": list(LEVELS), "description": "The learner's mastery of the skill."}
    due = {
        "type": ["string", "null"],
        "format": "date",
        "description": "The date the skill's next review falls due (ISO 8601), or null.",
    }
    skill = {
        "type": "object",
        "required": ["id", "title", "lesson", "level", "due"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "lesson": {"type": "string"},
            "level": level,
            "due": due,
            "due_now": {"type": "boolean", "description": "Its review is due now."},
            "summary": {"type": "string"},
        },
    }
    schemas = {
        "PracticeSkills": {
            "type": "object",
            "required": ["skills"],
            "properties": {"skills": {"type": "array", "items": skill}},
        },
        "ExerciseRequest": {
            "type": "object",
            "properties": {
                "seed": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_SEED,
                    "description": "The same seed gives the same exercise; none: a random one.",
                    "examples": [42],
                }
            },
            "additionalProperties": False,
        },
        "Exercise": {
            "type": "object",
            "required": ["id", "skill", "seed", "prompt", "graph", "find", "answer"],
            "properties": {
                "id": {"type": "string", "description": "A random token: the exercise's id."},
                "skill": {"type": "string"},
                "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
                "prompt": {"type": "string", "description": "Markdown with TeX math."},
                "prompt_html": {
                    "type": "string",
                    "description": "The prompt. " + HTML_WITH_TEX,
                },
                "graph": {
                    "type": ["object", "null"],
                    "required": ["program", "values"],
                    "properties": {"program": {"type": "string"}, "values": {"type": "object"}},
                },
                "find": {
                    "type": ["object", "null"],
                    "description": "The step of the graph asked for, with the quantities of "
                    "/api/graph/answer.",
                    "required": ["node", "quantity", "parent"],
                    "properties": {
                        "node": {"type": "string"},
                        "quantity": {"enum": ["grad", "local_grad", "signal"]},
                        "parent": {"type": ["string", "null"]},
                    },
                },
                "answer": {
                    "type": "object",
                    "required": ["kind", "choices"],
                    "properties": {
                        "kind": {"enum": ["number", "expression", "choice"]},
                        "choices": {"type": ["array", "null"], "items": {"type": "string"}},
                        "choices_html": {
                            "type": ["array", "null"],
                            "items": {"type": "string"},
                            "description": "Each choice, inline (no <p>). " + HTML_WITH_TEX,
                        },
                        "names": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "title": {"type": "string"},
                "level": level,
                "due": due,
                "due_now": {"type": "boolean"},
            },
        },
        "PracticeAnswerRequest": {
            "type": "object",
            "required": ["answer"],
            "properties": {
                "answer": {
                    "type": "string",
                    "maxLength": MAX_ANSWER,
                    "description": "A number, a vector, an expression, or the chosen value.",
                    "examples": ["0.25"],
                }
            },
            "additionalProperties": False,
        },
        "PracticeResult": {
            "type": "object",
            "required": ["correct", "note", "feedback", "explanation", "level", "due"],
            "properties": {
                "correct": {"type": "boolean"},
                "note": {"type": "string", "description": "`correct` or a mistake's id."},
                "feedback": {"type": "string"},
                "explanation": {"type": "string", "description": "The worked solution."},
                "explanation_html": {
                    "type": "string",
                    "description": "The worked solution. " + HTML_WITH_TEX,
                },
                "level": level,
                "level_before": level,
                "due": due,
                "due_now": {"type": "boolean"},
                "expected": {"type": "string", "description": "The right answer, as typed."},
            },
        },
        "PracticeConflict": {
            "type": "object",
            "description": "The exercise was answered already; the skill's level as stored.",
            "required": ["error", "message", "level", "due"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "level": level,
                "due": due,
                "due_now": {"type": "boolean"},
            },
        },
    }
    skill_param = {
        "name": "skill_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["mul-local"]},
    }
    exercise_param = {"name": "exercise_id", "in": "path", "required": True}
    exercise_param["schema"] = {"type": "string"}
    too_many = error_response("Error", "Too many writes in a minute.")
    unavailable = error_response("Error", "The database cannot be reached.")
    cookie = "The learner cookie identifies the student (set on the first write)."
    paths = {
        "/api/practice": {
            "get": {
                "summary": "Every skill with this learner's level and the date its review is due.",
                "operationId": "practiceLevels",
                "responses": {
                    "200": ok("The skills.", ref("PracticeSkills")),
                    "503": unavailable,
                },
            }
        },
        "/api/practice/{skill_id}/exercise": {
            "post": {
                "summary": "A new exercise of a skill (the same seed gives the same exercise).",
                "description": cookie + " The body is optional.",
                "operationId": "newExercise",
                "parameters": [skill_param],
                "requestBody": {
                    **json_body(ref("ExerciseRequest"), "An optional seed."),
                    "required": False,
                },
                "responses": {
                    "200": ok("The exercise, without its answer.", ref("Exercise")),
                    **error_responses(400, 404, 413, 415),
                    "429": too_many,
                    "503": unavailable,
                },
            }
        },
        "/api/practice/{skill_id}/exercise/{exercise_id}/answer": {
            "post": {
                "summary": "Answer an exercise: graded, the level moved, stored, explained.",
                "description": cookie + " Committed before the reply. A 400 for an answer "
                "that cannot be read carries the `column` of the problem.",
                "operationId": "answerExercise",
                "parameters": [skill_param, exercise_param],
                "requestBody": json_body(ref("PracticeAnswerRequest"), "The answer as typed."),
                "responses": {
                    "200": ok("The grade, worked solution and level.", ref("PracticeResult")),
                    **error_responses(400, 404, 413, 415),
                    "409": error_response("PracticeConflict", "The exercise has its answer."),
                    "429": too_many,
                    "503": unavailable,
                },
            }
        },
    }
    return paths, schemas
