"""One reader for every content file: the course, a lesson's front matter and a quiz fail alike."""

from pathlib import Path

import pytest

from lessonengine.assessment.quiz import load_quiz
from lessonengine.content import ContentError, load_course, load_lesson

COURSE = "id: demo\ntitle: Demo course\nlessons:\n  - only\n"
LESSON = """\
---
course: demo
lesson: 1
title: A lesson
minutes: 5
video:
  title: A video
  description: One line about it.
  minutes: 3
---
## First

Text.
"""
QUIZ = """\
questions:
  - id: first
    prompt: What is one plus one?
    choices:
      - {id: a, text: Two, feedback: Yes.}
      - {id: b, text: Eleven, feedback: That joins the digits.}
    correct: a
    explanation: Adding one to one gives two.
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def load_as(kind: str, folder: Path, text: str | bytes) -> Path:
    """Write `text` as a file of `kind` (the others valid) and load it; return the file's path."""
    if kind == "course":
        path = write(folder, "course.yaml", text)
        write(folder, "only.md", LESSON)
        load_course(folder)
    elif kind == "lesson":
        path = write(folder, "only.md", text)
        load_lesson(path, "demo")
    else:
        path = write(folder, "demo.quiz.yaml", text)
        load_quiz(path)
    return path


VALID = {"course": COURSE, "lesson": LESSON, "quiz": QUIZ}
NAME = {"course": "course.yaml", "lesson": "only.md", "quiz": "demo.quiz.yaml"}
# A key repeated right after its first line, and the file's line the repeat is on.
REPEAT = {
    "course": ("title: Demo course\n", "title: Again\n", 3),
    "lesson": ("lesson: 1\n", "lesson: 2\n", 4),
    "quiz": ("    correct: a\n", "    correct: b\n", 8),
}
UNKNOWN = {
    "course": ("lessons:", "author: me\nlessons:"),
    "lesson": ("minutes: 5\n", "minutes: 5\nauthor: me\n"),
    "quiz": ("questions:", "author: me\nquestions:"),
}


@pytest.mark.parametrize("kind", list(VALID))
def test_every_kind_of_file_loads_when_valid(tmp_path, kind):
    assert load_as(kind, tmp_path, VALID[kind]).name == NAME[kind]


@pytest.mark.parametrize("kind", list(VALID))
def test_a_key_given_twice_names_the_file_line_and_column(tmp_path, kind):
    first, repeat, line = REPEAT[kind]
    with pytest.raises(ContentError) as caught:
        load_as(kind, tmp_path, VALID[kind].replace(first, first + repeat, 1))
    error = caught.value
    column = len(repeat) - len(repeat.lstrip()) + 1
    assert Path(error.path).name == NAME[kind]
    assert "not valid YAML" in error.problem and "appears twice" in error.problem
    assert (error.line, error.column) == (line, column)
    assert str(error).startswith(f"{tmp_path / NAME[kind]}, line {line}, column {column}: ")


@pytest.mark.parametrize("kind", list(VALID))
def test_a_file_that_is_not_utf8_is_named(tmp_path, kind):
    text = VALID[kind].encode("utf-8") + b"# caf\xe9 in Latin-1\n"
    with pytest.raises(ContentError, match="not UTF-8 text") as caught:
        load_as(kind, tmp_path, text)
    assert Path(caught.value.path).name == NAME[kind]


@pytest.mark.parametrize("kind", list(VALID))
def test_an_unknown_key_is_named_with_the_known_ones(tmp_path, kind):
    text = VALID[kind].replace(*UNKNOWN[kind], 1)
    with pytest.raises(ContentError) as caught:
        load_as(kind, tmp_path, text)
    assert "unknown key 'author' (known keys: " in caught.value.problem


@pytest.mark.parametrize("kind", list(VALID))
def test_a_missing_file_is_named(tmp_path, kind):
    name = NAME[kind]
    with pytest.raises(ContentError, match="cannot read the file") as caught:
        if kind == "course":
            load_course(tmp_path)
        elif kind == "lesson":
            load_lesson(tmp_path / name, "demo")
        else:
            load_quiz(tmp_path / name)
    assert Path(caught.value.path).name == name
