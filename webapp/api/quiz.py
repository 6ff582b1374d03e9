"""The lesson quiz: questions without their answers, grading, and each learner's progress.

The correct choice, the feedback and the explanation of a question leave the server only in the
answer to that question, and afterwards in `progress` (so a reload can redraw it). Every answer
is stored, committed, before the response is sent.
"""

from flask import Flask, current_app, jsonify

from lessonengine.assessment.quiz import Quiz, UnknownChoice, choice_order, grade, load_quizzes
from webapp.api import bp
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
    app.extensions["quizzes"] = {
        lesson: quiz.rendered(render_inline) for lesson, quiz in quizzes.items()
    }


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
