"""Practice exercises: seeded, well-conditioned, answered by the engine, graded like Your turn."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessonengine.assessment.answers import AnswerError, read_answer
from lessonengine.assessment.grader import close, wrong_values
from lessonengine.assessment.mistakes import CATALOGUE as MISTAKE_TABLE
from lessonengine.assessment.mistakes import MISTAKES, NOTES
from lessonengine.assessment.practice import (
    MAX_SEED,
    Exercise,
    all_skills,
    answer_text,
    generate,
    get_skill,
    grade_exercise,
    load_skills,
    skills,
)
from lessonengine.assessment.steps import Step
from lessonengine.content import render_block
from lessonengine.engine.graph import Graph

CONTENT = Path(__file__).resolve().parents[2] / "content"
LESSON = "chain-rule-in-networks"
SKILLS = load_skills(CONTENT, LESSON)
SEEDS = 1000
# The skills issue 12 names, one template each.
NAMED = {
    "mul-local",
    "add-local",
    "sigmoid-local",
    "relu-local",
    "fork-sum",
    "neuron-dw",
    "bce-sigmoid",
    "linear-transpose",
    "layer-delta",
}


def engine_value(exercise):
    """The asked quantity straight from the engine's graph (not through the grader's Step)."""
    graph = Graph(exercise.graph["program"], exercise.graph["values"])
    find = exercise.find
    node = graph.node(find["node"])
    if find["quantity"] == "grad":
        return graph, graph.grads[node.index]
    slot = [graph.nodes[p].id for p in node.parents].index(find["parent"])
    if find["quantity"] == "local_grad":
        return graph, graph.local_grad(node.id, slot)
    return graph, graph.signals[node.index][slot]


def ill_conditioned(skill, graph, right):
    """Why a drawn graph breaks the template's conditioning, checked from the values alone."""
    rules = skill.conditioning
    # The lesson's templates keep the defaults: a sigmoid within ±4, answers of at least 0.01.
    assert rules.sigmoid_input == 4 and rules.min_abs == 0.01 and rules.relu_margin == 0.05
    for node in graph.nodes:
        z = np.abs(np.asarray(graph.values[node.parents[0]] if node.parents else 0.0))
        if node.op == "sigmoid" and rules.sigmoid_input is not None and z.max() > 4.0:
            return "saturated sigmoid"
        if node.op == "relu" and z.min() < 0.05:
            return "ReLU input on its kink"
    elements = np.abs(np.asarray(right, dtype=float)).ravel()
    if rules.zeros:
        if not elements.any():
            return "an answer of zeros"
        elements = elements[elements > 0]
    if elements.min() < 0.01:
        return "an answer element that rounds to 0"
    return None


def test_the_lesson_has_the_skills_the_issue_names():
    assert {skill.id for skill in SKILLS} >= NAMED
    assert len(SKILLS) >= 8
    for skill in SKILLS:
        assert skill.lesson == LESSON and skill.title and skill.summary.endswith(".")
    kinds = {skill.kind for skill in SKILLS}
    assert kinds == {"number", "expression", "choice"}
    assert skills(CONTENT, LESSON)["fork-sum"].title == "The sum at a fork"
    assert get_skill(CONTENT, "neuron-dw").lesson == LESSON
    assert set(all_skills(CONTENT)) == {skill.id for skill in SKILLS}
    with pytest.raises(KeyError):
        get_skill(CONTENT, "no-such-skill")
    assert load_skills(CONTENT, "no-such-lesson") == []


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.id)
def test_every_seed_gives_one_right_well_conditioned_exercise(skill):
    """1,000 seeds: the same exercise twice; the expected answer is the engine's value, is graded
    right, and comes from a well-conditioned draw within the template's ranges."""
    prompts = set()
    for seed in range(SEEDS):
        exercise = generate(skill, seed)
        assert generate(skill, seed) == exercise
        prompts.add(exercise.prompt)
        graph, right = engine_value(exercise)
        assert ill_conditioned(skill, graph, right) is None, (seed, exercise.graph)
        draws = dict(skill.inputs)
        for name, value in exercise.graph["values"].items():
            draw = draws[name]
            flat = np.ravel(value)
            assert np.shape(value) == draw.shape
            if draw.options:
                assert set(flat) <= set(draw.options)
            else:
                assert np.all((flat >= draw.low) & (flat <= draw.high) & (flat != 0))
                assert np.allclose(flat, np.round(flat, draw.decimals))
        if exercise.kind != "expression":
            typed = read_answer(exercise.expected, []).value
            assert close(typed, right, (5e-4, 1e-12)), (seed, exercise.expected, right)
        result = grade_exercise(exercise, exercise.expected)
        assert (result.correct, result.note) == (True, "correct"), (seed, result)
        assert result.expected == exercise.expected and "$$" in result.explanation
        assert not re.search(r"[+-] *-", result.explanation), (seed, result.explanation)
        if exercise.kind != "expression":
            assert not rewarded_mistakes(graph, exercise, right), (seed, exercise.graph)
        if exercise.kind == "choice":
            check_choices(exercise)
    assert len(prompts) > SEEDS // 4  # seeds do make different exercises


def rewarded_mistakes(graph, exercise, right):
    """The catalogued mistakes (all that apply, not only those the grader names) whose value
    is the right answer, and the rule of thumb "the local gradient is 1" (an add node's)."""
    find = exercise.find
    step = Step.of(graph, find["node"], find["quantity"], find["parent"])
    found = [
        m.id
        for m in MISTAKE_TABLE
        if m.when(step) and any(w is not None and close(w, right) for w in safe_wrongs(m, step))
    ]
    if np.any(np.isclose(np.abs(np.asarray(right, dtype=float)), 1.0)):
        found.append("local gradient is 1")
    return found


def safe_wrongs(mistake, step):
    try:
        with np.errstate(all="ignore"):
            return list(mistake.wrong(step))
    except ValueError:
        return []


@pytest.mark.parametrize("seed", [502533140553727, 0, 7])
def test_a_multiply_exercise_never_rewards_the_add_nodes_rule(seed):
    # Seed 502533140553727 drew x = 1: "1", an add node's local gradient, was graded right.
    exercise = by_id("mul-local", seed)
    assert abs(exercise.graph["values"]["x"]) != 1
    assert not grade_exercise(exercise, "1").correct


def check_choices(exercise):
    """One right choice; every other is the value of a distinct catalogued mistake, with its note
    and the feedback aimed at it (which never gives the right answer away)."""
    graph = Graph(exercise.graph["program"], exercise.graph["values"])
    find = exercise.find
    step = Step.of(graph, find["node"], find["quantity"], find["parent"])
    wrongs = list(wrong_values(step))
    notes = []
    for choice in exercise.choices:
        result = grade_exercise(exercise, choice)
        if choice == exercise.expected:
            assert result.correct
            continue
        assert not result.correct and result.note in MISTAKES, (choice, result.note)
        value = read_answer(choice, []).value
        assert any(m.id == result.note and close(value, w) for m, _s, w in wrongs), choice
        assert not gives_away(exercise, result.feedback), result.feedback
        notes.append(result.note)
    assert exercise.choices.count(exercise.expected) == 1
    assert len(notes) == len(set(notes)) >= 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, MAX_SEED), index=st.integers(0, len(SKILLS) - 1))
def test_any_seed_in_range_works(seed, index):
    exercise = generate(SKILLS[index], seed)
    assert exercise == generate(SKILLS[index], seed) and exercise.seed == seed
    assert grade_exercise(exercise, exercise.expected).correct


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, True, 1.5, "3", None])
def test_a_seed_outside_the_range_is_refused(seed):
    with pytest.raises(ValueError):
        generate(SKILLS[0], seed)


def by_id(skill_id, seed=7) -> Exercise:
    return generate(get_skill(CONTENT, skill_id), seed)


def test_to_dict_keeps_the_answer_secret():
    exercise = by_id("layer-delta")
    data = exercise.to_dict()
    assert set(data) == {"skill", "seed", "prompt", "graph", "find", "answer"}
    assert data["answer"]["kind"] == "choice" and data["answer"]["choices"] == exercise.choices
    assert "expected" not in str(data.keys()) and "explanation" not in repr(exercise)
    assert data["find"] == {"node": "z1", "quantity": "grad", "parent": None}
    number = by_id("mul-local").to_dict()
    assert number["answer"] == {"kind": "number", "choices": None, "names": []}


def test_wrong_answers_get_the_catalogued_note_and_no_value():
    neuron = by_id("neuron-dw")
    values = neuron.graph["values"]
    graph = Graph(neuron.graph["program"], values)
    a, w, x, y = graph.value("a"), values["w"], values["x"], values["y"]
    right = (a - y) * x
    for typed, note in [
        (-right, "sign"),
        ((a - y) * w, "swapped-inputs"),
        (x, "forgot-upstream"),
        (right * 1.05, "rounding"),
    ]:
        result = grade_exercise(neuron, f"{typed:.6g}")
        assert (result.correct, result.note) == (False, note), (typed, result)
        assert neuron.expected not in result.feedback.replace("−", "-")
    fork = by_id("fork-sum")
    p = fork.graph["values"]["p"]
    assert grade_exercise(fork, str(p)).note == "missed-fork"
    mul = by_id("mul-local")
    assert grade_exercise(mul, str(mul.graph["values"]["w"])).note == "swapped-inputs"
    transpose = by_id("linear-transpose")
    assert grade_exercise(transpose, "[1, 2]").note == "wrong-shape"


def test_expressions_are_graded_by_sampling():
    exercise = by_id("bce-sigmoid")
    assert exercise.kind == "expression" and {"a", "y", "z"} <= set(exercise.names)
    for right in ["a - y", "-(y - a)", "a - y + 0*x"]:
        assert grade_exercise(exercise, right).correct, right
    assert grade_exercise(exercise, "(a - y)*a*(1 - a)").note == "extra-sigmoid-derivative"
    assert grade_exercise(exercise, "y - a").note == "sign"
    # Seed 7 draws y = 0: `a` is a - y with the label's value substituted.
    assert exercise.graph["values"]["y"] == 0 and grade_exercise(exercise, "a").correct
    assert not grade_exercise(exercise, "a - 1").correct


def test_a_label_may_be_written_as_its_value():
    # The label is data: seed 0 draws y = 1, and a student writes a - 1 with w*x + b spelt out.
    exercise = by_id("bce-sigmoid", 0)
    assert exercise.graph["values"]["y"] == 1
    for right in ["sigmoid(w*x+b) - 1", "a - 1", "a - y"]:
        assert grade_exercise(exercise, right).correct, right
    for wrong in ["sigmoid(w*x+b)", "a", "sigmoid(w*x) - 1"]:
        assert not grade_exercise(exercise, wrong).correct, wrong


@pytest.mark.parametrize(
    ("skill_id", "text"),
    [
        ("mul-local", ""),
        ("mul-local", "__import__('os')"),
        ("mul-local", "x"),  # a number exercise: the names are not offered
        ("bce-sigmoid", "a - q"),
        ("layer-delta", "0"),  # not one of the choices
        ("layer-delta", None),
    ],
)
def test_unreadable_answers_raise_answer_error(skill_id, text):
    with pytest.raises(AnswerError) as info:
        grade_exercise(by_id(skill_id), text)
    assert info.value.to_dict()["column"] >= 1


def test_a_name_in_a_number_exercise_is_refused_with_a_message_that_says_so():
    with pytest.raises(AnswerError) as info:
        grade_exercise(by_id("neuron-dw"), "  (a - y)*x")
    assert info.value.column == 4 and "asks for a number" in info.value.message
    assert not grade_exercise(by_id("neuron-dw"), "1e-3").correct  # an exponent is no name


def test_prompts_fill_every_placeholder_with_the_engine_values():
    exercise = by_id("sigmoid-local")
    graph = Graph(exercise.graph["program"], exercise.graph["values"])
    a = graph.value("a")
    assert "{{" not in exercise.prompt and "{{" not in exercise.explanation
    assert f"{round(a, 4):g}" in exercise.prompt
    assert math.isclose(float(exercise.expected), a * (1 - a), rel_tol=5e-4)


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.id)
def test_every_catalogued_wrong_value_is_refused_with_a_note(skill):
    """On 100 exercises of each skill, each catalogued mistake's value, typed as the student
    would (4 significant digits), is refused with a note of the catalogue or of the grader, and
    its feedback does not give the right answer away."""
    tried = 0
    for seed in range(100):
        exercise = generate(skill, seed)
        graph = Graph(exercise.graph["program"], exercise.graph["values"])
        find = exercise.find
        step = Step.of(graph, find["node"], find["quantity"], find["parent"])
        for mistake, _step, wrong in wrong_values(step):
            text = answer_text(wrong)
            if exercise.kind == "choice" and text not in exercise.choices:
                continue
            result = grade_exercise(exercise, text)
            tried += 1
            assert not result.correct, (seed, mistake.id, text)
            assert result.note in NOTES and result.note != "correct"
            assert not gives_away(exercise, result.feedback), (seed, result.feedback)
    assert tried >= 100


def gives_away(exercise, feedback):
    """True when the feedback holds the right answer: its vector, or a number within the
    tolerance of the right number (small whole numbers are counts, such as "feeds 2 nodes")."""
    feedback = feedback.replace("−", "-")
    if exercise.kind == "expression":
        return False  # a rule in words, such as "a − y", is the catalogue's sentence
    if exercise.expected.startswith("["):
        return exercise.expected in feedback
    right = float(exercise.expected)
    if right.is_integer() and abs(right) < 10:
        return False
    numbers = re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", feedback)
    return any(close(float(n), right) for n in numbers)


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.id)
def test_prompts_and_explanations_typeset(skill):
    """KaTeX reads every formula of 10 exercises of each skill: the same KaTeX and options the
    practice page typesets them with in the browser (a TeX error would leave raw TeX there)."""
    for seed in range(10):
        exercise = generate(skill, seed)
        for text in (exercise.prompt, exercise.explanation):
            html = render_block(text)
            assert "katex" in html and "katex-error" not in html, (seed, text)


@pytest.mark.parametrize("skill", SKILLS, ids=lambda s: s.id)
def test_practice_feedback_points_at_no_rule_panel(skill):
    # Practice shows no rule under its feedback, and says "Hint" once.
    exercise = generate(skill, 3)
    if exercise.kind == "choice":
        texts = [c for c in exercise.choices if c != exercise.expected]
    elif exercise.kind == "expression":
        texts = ["x*w*b*123", "sigmoid(w*x) - y"]
    else:
        texts = ["123.4"]
    for text in texts:
        feedback = grade_exercise(exercise, text).feedback
        assert "below" not in feedback and feedback.count("Hint") <= 1, (text, feedback)
