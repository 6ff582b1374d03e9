"""The quiz as data: the lesson's file, the loader's errors, grading and the choices' order."""

import itertools
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessonengine.assessment.quiz import (
    UnknownChoice,
    choice_order,
    grade,
    load_quiz,
    load_quizzes,
    quiz_path,
)
from lessonengine.content import ContentError

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
LESSON = "chain-rule-in-networks"

VALID = """\
lesson: demo
questions:
  - id: first
    prompt: What is $1 + 1$?
    choices:
      - {id: a, text: "$2$", feedback: Yes.}
      - {id: b, text: "$11$", feedback: That joins the digits.}
    correct: a
    explanation: Adding one to one gives two.
"""


def write(tmp_path: Path, text: str, name: str = "demo.quiz.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- The lesson's own quiz -----------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_quiz():
    return load_quiz(quiz_path(CONTENT, LESSON))


def test_the_lesson_quiz_has_three_questions_of_four_choices(lesson_quiz):
    assert lesson_quiz.lesson == LESSON
    assert [q.id for q in lesson_quiz.questions] == [
        "neuron-dw",
        "linear-transpose",
        "error-reuse",
    ]
    for question in lesson_quiz.questions:
        assert len(question.choices) == 4, question.id
        assert [c.id for c in question.choices] == ["a", "b", "c", "d"], question.id
        assert question.explanation


def test_every_choice_has_its_own_feedback(lesson_quiz):
    for question in lesson_quiz.questions:
        feedback = [c.feedback for c in question.choices]
        assert all(feedback), question.id
        assert len(set(feedback)) == len(feedback), f"{question.id}: feedback repeated"


def test_question_one_is_the_seed_question_with_answer_a_minus_y_times_x(lesson_quiz):
    question = lesson_quiz.question("neuron-dw")
    assert "z = wx + b" in question.prompt
    assert question.choice(question.correct).text == r"$(a - y)\,x$"


def test_the_wrong_choices_are_the_named_misconceptions(lesson_quiz):
    def wrong_texts(qid):
        question = lesson_quiz.question(qid)
        return " ".join(c.text for c in question.choices if c.id != question.correct)

    # Keeping the sigmoid's derivative that cancels; W instead of W^T; recomputing from the loss.
    assert r"a(1-a)" in wrong_texts("neuron-dw")
    assert r"$W^{(2)} \delta^{(2)}$" in wrong_texts("linear-transpose")
    assert "again from the loss" in wrong_texts("error-reuse")
    transpose = lesson_quiz.question("linear-transpose")
    assert r"\top" in transpose.choice(transpose.correct).text


def test_the_correct_answers_are_not_all_the_same_letter(lesson_quiz):
    # The ids reach the browser: they must not give the answer away by a pattern.
    assert len({q.correct for q in lesson_quiz.questions}) == len(lesson_quiz.questions)


def test_the_course_quizzes_load_for_the_course_lessons():
    quizzes = load_quizzes(CONTENT, [LESSON])
    assert list(quizzes) == [LESSON]


def test_every_text_renders_with_katex(lesson_quiz):
    from lessonengine.content import render_inline

    rendered = lesson_quiz.rendered(render_inline)
    question = rendered.question("linear-transpose")
    assert 'class="katex"' in question.prompt
    assert "$" not in question.prompt
    for q in rendered.questions:
        for text in [q.prompt, q.explanation, *(c.text for c in q.choices)]:
            assert "$" not in text, q.id
        assert all("$" not in c.feedback for c in q.choices), q.id


# --- Loading errors name the file and the problem ------------------------------------------


def test_a_valid_file_loads(tmp_path):
    quiz = load_quiz(write(tmp_path, VALID))
    assert quiz.lesson == "demo"
    assert quiz.questions[0].choice("b").feedback == "That joins the digits."


BROKEN = {
    "not yaml": ("questions: [", "not valid YAML"),
    "not a mapping": ("- 1\n- 2\n", "must be a mapping"),
    "no questions": ("lesson: demo\n", "'questions' must be a non-empty list"),
    "unknown top key": (VALID + "extra: 1\n", "unknown key 'extra'"),
    "wrong lesson": (VALID.replace("lesson: demo", "lesson: other"), "belongs to the lesson"),
    "duplicate key": (
        VALID.replace("    correct: a\n", "    correct: a\n    correct: b\n"),
        "appears twice",
    ),
    "bad id": (VALID.replace("id: first", "id: First Question"), "short slug"),
    "missing prompt": (VALID.replace("    prompt: What is $1 + 1$?\n", ""), "'prompt'"),
    "missing explanation": (
        VALID.replace("    explanation: Adding one to one gives two.\n", ""),
        "'explanation' must be non-empty text",
    ),
    "misspelt key": (VALID.replace("explanation:", "explaination:"), "unknown key"),
    "correct not a choice": (VALID.replace("correct: a", "correct: c"), "'correct' is 'c'"),
    "one choice": (
        VALID.replace('      - {id: b, text: "$11$", feedback: That joins the digits.}\n', ""),
        "has 1 choices",
    ),
    "choice without feedback": (
        VALID.replace(", feedback: That joins the digits.", ""),
        "choice b: 'feedback' must be non-empty text",
    ),
    "duplicate choice id": (VALID.replace("{id: b,", "{id: a,"), "used by an earlier choice"),
    "duplicate choice text": (VALID.replace('"$11$"', '"$2$"'), "the same text as choice a"),
    "choice not a mapping": (
        VALID.replace(
            '      - {id: b, text: "$11$", feedback: That joins the digits.}', "      - b"
        ),
        "choice 2: must be a mapping",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_broken_file_is_a_quiz_error_naming_the_file(tmp_path, case):
    text, expected = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises(ContentError) as caught:
        load_quiz(path)
    message = str(caught.value)
    assert str(path) in message, message
    assert expected in message, message


def test_a_repeated_question_id_is_an_error(tmp_path):
    body = VALID.split("questions:\n", 1)[1]
    path = write(tmp_path, VALID + body)
    with pytest.raises(ContentError, match="used by an earlier question"):
        load_quiz(path)


def test_a_quiz_for_a_lesson_not_in_the_course_is_an_error(tmp_path):
    write(tmp_path, VALID)
    with pytest.raises(ContentError, match="no lesson 'demo' in the course") as caught:
        load_quizzes(tmp_path, ["another-lesson"])
    assert "demo.quiz.yaml" in str(caught.value)


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(ContentError, match="cannot read") as caught:
        load_quiz(tmp_path / "gone.quiz.yaml")
    assert "gone.quiz.yaml" in str(caught.value)


def test_a_formula_katex_refuses_names_the_file_and_question(tmp_path):
    from lessonengine.content import render_inline

    path = write(tmp_path, VALID.replace("What is $1 + 1$?", r"What is $\frac{1$?"))
    quiz = load_quiz(path)
    with pytest.raises(ContentError) as caught:
        quiz.rendered(render_inline)
    message = str(caught.value)
    assert str(path) in message and "question 1 (first), prompt" in message, message


# --- Grading -------------------------------------------------------------------------------


def test_grading_a_right_and_a_wrong_answer(lesson_quiz):
    question = lesson_quiz.question("neuron-dw")
    right = grade(question, "c")
    assert right.correct and right.correct_choice == "c" and right.feedback.startswith("Yes")
    wrong = grade(question, "a")
    assert not wrong.correct and wrong.correct_choice == "c"
    assert "second time" in wrong.feedback and "squared error" in wrong.feedback
    assert wrong.explanation == question.explanation


@pytest.mark.parametrize("choice", ["e", "", "A", None, 1, ["a"], {"id": "a"}])
def test_grading_an_unknown_choice_raises(lesson_quiz, choice):
    with pytest.raises(UnknownChoice):
        grade(lesson_quiz.questions[0], choice)


# --- The choices' order --------------------------------------------------------------------


def test_the_order_is_the_same_for_the_same_learner_and_round():
    items = ["a", "b", "c", "d"]
    assert choice_order(items, "learner:q", 1) == choice_order(items, "learner:q", 1)


@given(key=st.text(max_size=40), round_no=st.integers(min_value=1, max_value=10_000))
def test_the_next_round_always_has_a_new_order(key, round_no):
    items = ["a", "b", "c", "d"]
    this, following = choice_order(items, key, round_no), choice_order(items, key, round_no + 1)
    assert sorted(this) == items
    assert this != following


def test_the_rounds_go_through_every_order_before_repeating():
    items = ["a", "b", "c", "d"]
    seen = {tuple(choice_order(items, "someone:q", r)) for r in range(1, 25)}
    assert seen == set(itertools.permutations(items))


def test_different_learners_usually_see_different_orders():
    items = ["a", "b", "c", "d"]
    orders = {tuple(choice_order(items, f"learner-{i}:q", 1)) for i in range(50)}
    assert len(orders) > 10


@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_small_and_large_questions_are_ordered_too(size):
    items = list(range(size))
    assert sorted(choice_order(items, "k", 3)) == items
