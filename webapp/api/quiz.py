"""The lesson quiz: questions without their answers, grading, and each learner's progress.

The correct choice, the feedback and the explanation of a question leave the server only in the
answer to that question, and afterwards in `progress` (so a reload can redraw it). Every answer
is stored, committed, before the response is sent.
"""

from flask import Flask, current_app, jsonify

from lessonengine.assessment.quiz import Quiz, UnknownChoice, choice_order, grade, load_quizzes
from lessonengine.content import ContentError
from webapp.api import bp
from webapp.api.openapi import (
    error_response,
    error_responses,
    error_schema,
    json_body,
    ok,
    ref,
)
from webapp.errors import ApiError, read_json
from webapp.learner import current_learner
from webapp.limits import write_limit
from webapp.store import AlreadyAnswered, RoundState, get_store

ALREADY_ANSWERED = (
    "You already answered this question in this round, and that first answer is the one that "
    "counts. Try again starts a new round."
)


def init_app(app: Flask) -> None:
    """Load and check every lesson's quiz, and render its Markdown and TeX to HTML once."""
    # Enough for a student clicking fast; a script posting answers in a loop gets a 429.
    app.config.setdefault("QUIZ_ANSWERS_PER_MINUTE", 30)
    app.config.setdefault("QUIZ_RESETS_PER_MINUTE", 10)
    from lessonengine.content import render_inline

    course = app.extensions.get("course")
    lessons = [lesson.id for lesson in course.lessons] if course is not None else None
    quizzes = load_quizzes(app.config["CONTENT_DIR"], lessons)
    for quiz in quizzes.values():
        _check_sections(quiz, course)
    app.extensions["quizzes"] = {
        lesson: quiz.rendered(render_inline) for lesson, quiz in quizzes.items()
    }


def _check_sections(quiz: Quiz, course) -> None:
    # A question's section must be a heading of its lesson: the score links to it.
    lesson = next((x for x in course.lessons if x.id == quiz.lesson), None) if course else None
    if lesson is None:
        return
    headings = {heading.id for heading in lesson.headings}
    for question in quiz.questions:
        if question.section is not None and question.section not in headings:
            raise ContentError(
                quiz.path,
                f"question {question.id}: 'section' is {question.section!r}, not a heading of "
                f"the lesson ({', '.join(sorted(headings))})",
            )


def _quiz_or_404(lesson: str) -> Quiz:
    quiz = current_app.extensions.get("quizzes", {}).get(lesson)
    if quiz is None:
        raise ApiError(404, f"There is no quiz for a lesson called {lesson[:100]!r}.")
    return quiz


def _progress(quiz: Quiz, state: RoundState) -> dict:
    """Where the learner is in this round; feedback only for the questions already answered."""
    answered = {}
    for question in quiz.questions:
        attempt = state.answers.get(question.id)
        if attempt is None:
            continue
        try:
            result = grade(question, attempt.choice)
        except UnknownChoice:
            continue  # the choice was removed from the quiz since: as if not answered
        answered[question.id] = {
            "choice": result.choice,
            "correct": result.correct,
            "correct_choice": result.correct_choice,
            "feedback": result.feedback,
            "explanation": result.explanation,
        }
    unanswered = [i for i, q in enumerate(quiz.questions) if q.id not in answered]
    return {
        "round": state.round,
        "answered": answered,
        "score": sum(1 for a in answered.values() if a["correct"]),
        "total": len(quiz.questions),
        "current": unanswered[0] if unanswered else None,
        "missed": [qid for qid, a in answered.items() if not a["correct"]],
    }


def _quiz_payload(quiz: Quiz, learner: str, state: RoundState) -> dict:
    """The questions, each with its choices in this learner's order for this round."""
    questions = []
    for question in quiz.questions:
        key = f"{learner}:{quiz.lesson}:{question.id}"
        choices = choice_order(question.choices, key, state.round)
        questions.append(
            {
                "id": question.id,
                "prompt": question.prompt,
                "choices": [{"id": c.id, "text": c.text} for c in choices],
                "section": question.section,
            }
        )
    return {"lesson": quiz.lesson, "questions": questions, "progress": _progress(quiz, state)}


def _private(response):
    # Per-learner data: no shared cache may keep it, and the browser must not reuse it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lessons/<lesson>/quiz")
def get_quiz(lesson: str):
    """The lesson's quiz questions, without answers, and the learner's progress."""
    quiz = _quiz_or_404(lesson)
    learner = current_learner()
    state = get_store().round_state(learner, lesson)
    return _private(jsonify(_quiz_payload(quiz, learner, state)))


@bp.post("/lessons/<lesson>/quiz/<question>/answer")
@write_limit("QUIZ_ANSWERS_PER_MINUTE", "answers")
def answer_question(lesson: str, question: str):
    """Grade one answer, store it, and say what was right and why."""
    quiz = _quiz_or_404(lesson)
    asked = quiz.question(question)
    if asked is None:
        raise ApiError(404, f"The quiz has no question called {question[:100]!r}.")
    data = read_json()
    choice = data.get("choice")
    ids = [c.id for c in asked.choices]
    if choice is None:
        raise ApiError(400, 'Send the chosen answer as {"choice": "<id>"}.', choices=ids)
    try:
        result = grade(asked, choice)
    except UnknownChoice:
        message = f"{repr(choice)[:60]} is not one of this question's choices."
        raise ApiError(400, message, choices=ids) from None

    learner = current_learner()
    store = get_store()
    try:
        # Committed before anything is sent back: an acknowledged answer is never lost.
        store.record_attempt(learner, lesson, asked.id, result.choice, result.correct)
        state = store.round_state(learner, lesson)
    except AlreadyAnswered:
        # The reply must agree with what is stored: the first answer stands, unchanged, and the
        # progress sent along lets the page show it.
        state = store.round_state(learner, lesson)
        raise ApiError(409, ALREADY_ANSWERED, progress=_progress(quiz, state)) from None
    payload = {
        "correct": result.correct,
        "correct_choice": result.correct_choice,
        "feedback": result.feedback,
        "explanation": result.explanation,
        "progress": _progress(quiz, state),
    }
    return _private(jsonify(payload))


@bp.post("/lessons/<lesson>/quiz/reset")
@write_limit("QUIZ_RESETS_PER_MINUTE", "restarts")
def reset_quiz(lesson: str):
    """Start over ("Try again"): a new round, the choices in a new order; old answers are kept."""
    quiz = _quiz_or_404(lesson)
    learner = current_learner(create=False)
    if learner is None:
        # A new learner has nothing to start over: their first round, and no row written.
        learner = current_learner()
        return _private(jsonify(_quiz_payload(quiz, learner, RoundState(round=1, answers={}))))
    store = get_store()
    store.start_round(learner, lesson)
    state = store.round_state(learner, lesson)
    return _private(jsonify(_quiz_payload(quiz, learner, state)))


# --- The OpenAPI section of these routes ---------------------------------------------------


def openapi_section():
    """These routes' part of the OpenAPI document: (paths, schemas)."""

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
                            "section": {
                                "type": ["string", "null"],
                                "description": "The id of the lesson heading it tests.",
                            },
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
