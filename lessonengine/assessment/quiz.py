"""Quizzes as data: load and check a lesson's quiz file, grade answers, order the choices.

A lesson's quiz lives next to the lesson as `<lesson>.quiz.yaml`: a list of questions, each with
a prompt, choices that each carry their own feedback, the id of the correct choice and an
explanation. It is read as the lessons are (`lessonengine.content.files`): anything malformed is
a ContentError that names the file and the problem. Pure Python: the web layer decides what the
student may see and when.
"""

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from math import factorial, gcd
from pathlib import Path
from typing import TypeVar

from lessonengine.content.files import ContentError, check_keys, read_yaml

QUIZ_SUFFIX = ".quiz.yaml"
MIN_CHOICES = 2
# Six choices is already a lot to read; it also keeps the number of orders (6! = 720) small.
MAX_CHOICES = 6
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 64

# Each key's kind, as `check_keys` reads it: str is non-empty text, list a non-empty list.
_QUIZ_KEYS = {"questions": list}
_QUIZ_OPTIONAL = {"lesson": str}
_QUESTION_KEYS = {"id": str, "prompt": str, "choices": list, "correct": str, "explanation": str}
_QUESTION_OPTIONAL = {"section": str}  # the id of the lesson heading the question tests
_CHOICE_KEYS = {"id": str, "text": str, "feedback": str}

T = TypeVar("T")


class UnknownChoice(LookupError):
    """An answer naming a choice the question does not have."""


@dataclass(frozen=True)
class Choice:
    """One answer on offer, with the feedback a student who picks it reads."""

    id: str
    text: str
    feedback: str


@dataclass(frozen=True)
class Question:
    """A prompt, its choices, the id of the correct one and an explanation for afterwards."""

    id: str
    prompt: str
    choices: tuple[Choice, ...]
    correct: str
    explanation: str
    section: str | None = None  # the id of the lesson heading whose section it tests

    def choice(self, choice_id) -> Choice | None:
        """The choice called `choice_id`, or None."""
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Quiz:
    """A lesson's questions, in order, as read from `path`."""

    lesson: str
    questions: tuple[Question, ...]
    path: str

    def question(self, question_id) -> Question | None:
        """The question called `question_id`, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def rendered(self, render: Callable[[str], str]) -> "Quiz":
        """A copy with every text (prompt, choices, feedback, explanation) passed through `render`.

        `render` turns Markdown with TeX into HTML; a text it refuses is a ContentError naming
        the file and the question, so a bad formula stops the app at start-up, not a student.
        """
        questions = []
        for number, question in enumerate(self.questions, start=1):
            where = f"question {number} ({question.id})"

            def run(text: str, field: str, where=where) -> str:
                try:
                    return render(text)
                except Exception as exc:  # the renderer's own error type is not ours to know
                    raise ContentError(self.path, f"{where}, {field}: {exc}") from exc

            choices = tuple(
                replace(
                    c,
                    text=run(c.text, f"choice {c.id} text"),
                    feedback=run(c.feedback, f"choice {c.id} feedback"),
                )
                for c in question.choices
            )
            questions.append(
                replace(
                    question,
                    prompt=run(question.prompt, "prompt"),
                    choices=choices,
                    explanation=run(question.explanation, "explanation"),
                )
            )
        return replace(self, questions=tuple(questions))


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer, with everything the student should read next."""

    correct: bool
    choice: str
    correct_choice: str
    feedback: str
    explanation: str


# --- Loading and checking ---------------------------------------------------------------------


def quiz_path(content_dir, lesson: str) -> Path:
    """Where the quiz of `lesson` lives: next to the lesson, in the content folder."""
    return Path(content_dir) / f"{lesson}{QUIZ_SUFFIX}"


def load_quiz(path, lesson: str | None = None) -> Quiz:
    """Read and check the quiz file at `path`; `lesson` defaults to the file's name."""
    path = Path(path)
    if lesson is None:
        lesson = path.name.removesuffix(QUIZ_SUFFIX)
    return parse_quiz(read_yaml(path), path, lesson)


def parse_quiz(data, path, lesson: str) -> Quiz:
    """Check the structure read from a quiz file and build the Quiz, or raise ContentError."""
    if not isinstance(data, dict):
        raise ContentError(path, "the file must be a mapping with a 'questions' list")
    check_keys(data, path, _QUIZ_KEYS, _QUIZ_OPTIONAL)
    if "lesson" in data and data["lesson"] != lesson:
        raise ContentError(
            path, f"'lesson' is {data['lesson']!r}, but the file belongs to the lesson {lesson!r}"
        )

    questions = []
    for number, raw in enumerate(data["questions"], start=1):
        question = _parse_question(raw, f"question {number}", path)
        if any(q.id == question.id for q in questions):
            raise ContentError(
                path, f"question {number}: the id {question.id!r} is used by an earlier question"
            )
        questions.append(question)
    return Quiz(lesson=lesson, questions=tuple(questions), path=str(path))


def _parse_question(raw, where: str, path) -> Question:
    if not isinstance(raw, dict):
        raise ContentError(
            path, f"{where}: must be a mapping with id, prompt, choices, correct and explanation"
        )
    qid = _check_id(raw.get("id"), f"{where}: 'id'", path)
    where = f"{where} ({qid})"
    check_keys(raw, path, _QUESTION_KEYS, _QUESTION_OPTIONAL, at=f"{where}: ")
    raw_choices = raw["choices"]
    if not MIN_CHOICES <= len(raw_choices) <= MAX_CHOICES:
        raise ContentError(
            path,
            f"{where}: has {len(raw_choices)} choices; "
            f"a question needs {MIN_CHOICES} to {MAX_CHOICES}",
        )
    choices = []
    for number, raw_choice in enumerate(raw_choices, start=1):
        cwhere = f"{where}, choice {number}"
        if not isinstance(raw_choice, dict):
            raise ContentError(path, f"{cwhere}: must be a mapping with id, text and feedback")
        cid = _check_id(raw_choice.get("id"), f"{cwhere}: 'id'", path)
        cwhere = f"{where}, choice {cid}"
        # Every choice teaches: a wrong one says what went wrong, the right one says why.
        check_keys(raw_choice, path, _CHOICE_KEYS, at=f"{cwhere}: ")
        text, feedback = raw_choice["text"].strip(), raw_choice["feedback"].strip()
        for earlier in choices:
            if earlier.id == cid:
                raise ContentError(path, f"{cwhere}: the id {cid!r} is used by an earlier choice")
            if earlier.text == text:
                raise ContentError(path, f"{cwhere}: the same text as choice {earlier.id}")
        choices.append(Choice(id=cid, text=text, feedback=feedback))

    correct = raw.get("correct")
    ids = [c.id for c in choices]
    if correct not in ids:
        raise ContentError(
            path, f"{where}: 'correct' is {correct!r}, not one of its choices ({', '.join(ids)})"
        )
    return Question(
        id=qid,
        prompt=raw["prompt"].strip(),
        choices=tuple(choices),
        correct=correct,
        explanation=raw["explanation"].strip(),
        section=raw.get("section"),
    )


def _check_id(value, where: str, path) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value) or len(value) > MAX_ID_LENGTH:
        raise ContentError(
            path,
            f"{where} must be a short slug of lowercase letters, digits and hyphens "
            f"(like 'neuron-dw'), not {value!r}",
        )
    return value


def load_quizzes(content_dir, lessons: Iterable[str] | None = None) -> dict[str, Quiz]:
    """The quizzes of the course, by lesson id; a lesson without a quiz file has none.

    With `lessons` (the course's lesson ids) a quiz file for a lesson that is not in the course
    is an error (a misspelt file name would otherwise be a quiz nobody sees). Without it, every
    quiz file in `content_dir` is loaded.
    """
    content_dir = Path(content_dir)
    files = sorted(content_dir.glob(f"*{QUIZ_SUFFIX}"))
    known = None if lessons is None else list(lessons)
    quizzes = {}
    for path in files:
        lesson = path.name.removesuffix(QUIZ_SUFFIX)
        if known is not None and lesson not in known:
            raise ContentError(path, f"there is no lesson {lesson!r} in the course for this quiz")
        quizzes[lesson] = load_quiz(path, lesson)
    return quizzes


# --- Grading and ordering ---------------------------------------------------------------------


def grade(question: Question, choice_id) -> Grade:
    """Grade `choice_id` as an answer to `question`; UnknownChoice when it is not one of them."""
    choice = question.choice(choice_id) if isinstance(choice_id, str) else None
    if choice is None:
        ids = ", ".join(c.id for c in question.choices)
        raise UnknownChoice(f"{choice_id!r} is not a choice of this question (choices: {ids})")
    return Grade(
        correct=choice.id == question.correct,
        choice=choice.id,
        correct_choice=question.correct,
        feedback=choice.feedback,
        explanation=question.explanation,
    )


@lru_cache(maxsize=16)
def _strides(total: int) -> tuple[int, ...]:
    # Steps coprime with the number of orders visit every order once before any comes back.
    return tuple(s for s in range(1, total) if gcd(s, total) == 1) or (0,)


def _nth_permutation(items: Sequence[T], index: int) -> list[T]:
    # The factorial number system: digit k picks among the items still left.
    pool = list(items)
    result = []
    for k in range(len(pool), 0, -1):
        digit, index = divmod(index, factorial(k - 1))
        result.append(pool.pop(digit))
    return result


def choice_order(items: Sequence[T], key: str, round_no: int) -> list[T]:
    """`items` in an order fixed by `key` and `round_no`: the same on every reload of a round.

    Each key (one learner's one question) starts at its own order and walks through all the
    orders with its own step, so consecutive rounds never repeat an order: "Try again" always
    shuffles. Nothing random is stored; the order is recomputed from the key and the round.
    """
    total = factorial(len(items))
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    start = int.from_bytes(digest[:8], "big") % total
    strides = _strides(total)
    stride = strides[int.from_bytes(digest[8:16], "big") % len(strides)]
    return _nth_permutation(items, (start + round_no * stride) % total)


__all__ = [
    "Choice",
    "Grade",
    "Question",
    "Quiz",
    "UnknownChoice",
    "choice_order",
    "grade",
    "load_quiz",
    "load_quizzes",
    "parse_quiz",
    "quiz_path",
]
