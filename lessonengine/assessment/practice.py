"""Practice: exercises generated from a skill's template and a seed, graded by the Your-turn grader.

`generate(skill, seed)` draws the template's values with `random.Random(seed)` (stable across
Python versions, so a shared `?seed=N` link keeps its exercise), keeps the first well-conditioned
draw, and asks for one step of the backward pass on that graph. The right answer is always the
engine's value. `grade_exercise` grades with `grader.grade`: the same tolerance, notes and
feedback as Your turn; a choice exercise offers the right value and values that are each a
catalogued mistake, so picking one gives that mistake's note.
"""

import random
import re
from dataclasses import dataclass, field

import numpy as np

from lessonengine.assessment.answers import AnswerError, read_answer
from lessonengine.assessment.grader import (
    grade,
    mistakes_giving_the_right_value,
    names_of,
    worked_product,
    wrong_values,
)
from lessonengine.assessment.steps import Step
from lessonengine.assessment.templates import (
    ANSWER_PLACEHOLDER,
    MIN_CHOICES,
    PLACEHOLDER,
    Skill,
    all_skills,
    get_skill,
    load_skills,
)
from lessonengine.engine.graph import Graph
from lessonengine.engine.program import parse
from lessonengine.engine.tex import format_number
from lessonengine.errors import GraphError

MAX_SEED = 2**53 - 1  # seeds travel in JSON and URLs: exact as a JavaScript number
_NAME = re.compile(r"(?<![\d.])[A-Za-z_]\w*")  # a name, not the e of 1e-3
ANSWER_DIGITS = 4  # significant digits of an answer written out (well inside the 1 % tolerance)

__all__ = [
    "MAX_SEED",
    "Exercise",
    "GenerationError",
    "PracticeGrade",
    "Skill",
    "all_skills",
    "check_template",
    "generate",
    "get_skill",
    "grade_exercise",
    "load_skills",
    "skills",
]


class GenerationError(ValueError):
    """A template made no well-conditioned exercise in its number of tries."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: what the student sees (`to_dict`) and, never sent before the answer, the
    right answer and the worked solution."""

    skill: str
    seed: int
    prompt: str  # Markdown with $TeX$
    graph: dict | None  # {"program": str, "values": {name: number or nested lists}}
    find: dict | None  # {"node", "quantity", "parent"} as in POST /api/graph/answer
    kind: str  # "number" | "expression" | "choice"
    choices: list | None  # for "choice": the texts on offer, in a seeded order
    names: list  # the names an expression answer may use ([] for number and choice)
    expected: str = field(default="", repr=False)  # the right answer as text: secret
    explanation: str = field(default="", repr=False)  # the worked solution: secret

    def to_dict(self):
        """The fields of POST /api/practice/<skill>/exercise but `id` (nothing secret)."""
        return {
            "skill": self.skill,
            "seed": self.seed,
            "prompt": self.prompt,
            "graph": self.graph,
            "find": self.find,
            "answer": {"kind": self.kind, "choices": self.choices, "names": self.names},
        }


@dataclass(frozen=True)
class PracticeGrade:
    """The grade of one practice answer (note and feedback as Your turn gives them)."""

    correct: bool
    note: str  # "correct", or a note id of lessonengine.assessment.mistakes.NOTES
    feedback: str  # aimed at the mistake; never the right value when wrong
    explanation: str  # the worked solution, Markdown + TeX, with the engine's numbers
    expected: str  # the right answer as text


def skills(content_dir, lesson) -> dict:
    """The lesson's skills by id, in file order; ContentError for a bad file."""
    return {skill.id: skill for skill in load_skills(content_dir, lesson)}


def check_seed(seed) -> int:
    """The seed if it is a whole number from 0 to MAX_SEED; ValueError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED}")
    return seed


def generate(skill: Skill, seed: int) -> Exercise:
    """The exercise of `skill` for `seed` (the same every time); ValueError for a bad seed,
    GenerationError when no draw in the template's tries is well-conditioned."""
    check_seed(seed)
    rng = random.Random(seed)
    program = parse(skill.program)
    node, quantity, parent = skill.find
    reasons = set()
    for _ in range(skill.conditioning.tries):
        values = {name: draw.sample(rng) for name, draw in skill.inputs}
        try:
            graph = Graph(program, values)
        except GraphError as exc:
            reasons.add(exc.message)
            continue
        step = Step.of(graph, node, quantity, parent)
        problems = skill.conditioning.problems(graph, step.right)
        if skill.kind != "expression":  # (an expression is graded by sampling, not by value)
            problems += [
                f"the mistake {note!r} gives the right answer"
                for note in mistakes_giving_the_right_value(step)
            ]
        if problems:
            reasons.update(problems)
            continue
        expected = skill.expression if skill.kind == "expression" else answer_text(step.right)
        choices = None
        if skill.kind == "choice":
            choices = _choices(step, skill, expected, rng)
            if choices is None:
                reasons.add(f"fewer than {MIN_CHOICES} choices that are catalogued mistakes")
                continue
        return Exercise(
            skill=skill.id,
            seed=seed,
            prompt=fill(skill.prompt, graph),
            graph={"program": skill.program, "values": values},
            find={"node": node, "quantity": quantity, "parent": parent},
            kind=skill.kind,
            choices=choices,
            names=names_of(graph) if skill.kind == "expression" else [],
            expected=expected,
            explanation=_explanation(skill, step, expected),
        )
    raise GenerationError(
        f"no well-conditioned exercise in {skill.conditioning.tries} draws for seed {seed}: "
        + "; ".join(sorted(reasons))
    )


def grade_exercise(exercise: Exercise, text: str) -> PracticeGrade:
    """Grade the student's `text`; AnswerError (with .column) when it cannot be read, names a
    name the exercise does not offer, or is not one of a choice exercise's choices."""
    if exercise.kind == "choice" and (not isinstance(text, str) or text not in exercise.choices):
        raise AnswerError("pick one of the choices", 1)
    _read(exercise, text)
    graph = exercise_graph(exercise)
    find = exercise.find
    result = grade(
        graph,
        find["node"],
        find["quantity"],
        find["parent"],
        text,
        seed=exercise.seed,
        rule_shown=False,  # practice shows no rule panel under the feedback
    )
    return PracticeGrade(
        result.correct, result.note, result.feedback, exercise.explanation, exercise.expected
    )


def _read(exercise, text):
    """Read the answer over the names the exercise offers; a number exercise takes none, and a
    name in it gets a message saying so (not the grader's list of the graph's names)."""
    try:
        read_answer(text, exercise.names)
    except AnswerError:
        name = _NAME.search(text) if exercise.kind != "expression" else None
        if name is None:
            raise
        raise AnswerError(
            "this exercise asks for a number (or a vector in brackets) worked out from the "
            f"values given, not an expression: {name.group()} is not a number",
            name.start() + 1,
        ) from None


def exercise_graph(exercise: Exercise) -> Graph:
    """The exercise's graph, computed by the engine."""
    return Graph(parse(exercise.graph["program"]), exercise.graph["values"])


def check_template(skill: Skill) -> None:
    """GenerationError unless the skill makes an exercise (seed 0) whose expected answer the
    grader accepts: an expression template's `expression` must be the engine's step."""
    exercise = generate(skill, 0)
    try:
        result = grade_exercise(exercise, exercise.expected)
    except AnswerError as exc:
        raise GenerationError(f"the expected answer cannot be read: {exc.message}") from None
    if not result.correct:
        raise GenerationError(f"the expected answer {exercise.expected!r} is not the engine's")


def answer_text(value) -> str:
    """A value as a student would type it: 4 significant digits, lists in brackets."""
    if np.ndim(value) == 0:
        text = f"{float(value):.{ANSWER_DIGITS}g}"
        return "0" if text == "-0" else text
    return "[" + ", ".join(answer_text(v) for v in np.asarray(value)) + "]"


def value_tex(value) -> str:
    """A value in TeX: a number as written, a vector as a column, a matrix in parentheses."""
    if np.ndim(value) == 0:
        return format_number(round(float(value), ANSWER_DIGITS))
    rows = np.asarray(value, dtype=float)
    rows = rows[:, None] if rows.ndim == 1 else rows
    body = r" \\ ".join(" & ".join(value_tex(x) for x in row) for row in rows)
    return r"\begin{pmatrix} " + body + r" \end{pmatrix}"


def fill(text, graph, answer=None) -> str:
    """`text` with each `{{ name }}` replaced by the TeX of that node's value on the graph."""

    def value(match):
        name = match.group(1)
        if name == ANSWER_PLACEHOLDER:
            return answer
        return value_tex(graph.value(name))

    return PLACEHOLDER.sub(value, text)


def _choices(step, skill, expected, rng):
    """The right answer and values of distinct catalogued mistakes, each graded with its own
    note, shuffled by `rng`; None when fewer than MIN_CHOICES can be offered."""
    texts, notes = [expected], set()
    node, quantity, parent = skill.find
    for mistake, _step, wrong in wrong_values(step):
        if len(texts) == skill.choices:
            break
        text = answer_text(wrong)
        if mistake.id in notes or text in texts:
            continue
        if grade(step.graph, node, quantity, parent, text).note != mistake.id:
            continue  # its written value reads as another mistake: it would teach the wrong note
        notes.add(mistake.id)
        texts.append(text)
    if len(texts) < MIN_CHOICES:
        return None
    rng.shuffle(texts)
    return texts


def _explanation(skill, step, expected):
    """The template's worked solution with the engine's numbers, then the step worked out."""
    answer = value_tex(step.right) if skill.kind != "expression" else _code_tex(expected)
    text = fill(skill.explanation, step.graph, answer)
    return f"{text}\n\n$${worked_product(step)}$$"


def _code_tex(expression):
    """An expression answer in TeX, as the answer reader typesets it."""
    return read_answer(expression, re.findall(r"[A-Za-z_]\w*", expression)).tex
