"""Practice templates are data: a malformed file or template is a ContentError that says why."""

import copy

import pytest
import yaml

from lessonengine.assessment.practice import generate, load_skills
from lessonengine.content.files import ContentError

LESSON = "some-lesson"
VALID = {
    "id": "mul-local",
    "title": "A product's local gradient",
    "summary": "Find it.",
    "program": "z = w * x",
    "values": {"w": [-3, 3], "x": {"range": [1, 2], "decimals": 2}},
    "find": {"node": "z", "quantity": "local_grad", "parent": "w"},
    "kind": "number",
    "prompt": "With $w = {{w}}$ and $x = {{ x }}$, what is $\\partial z / \\partial w$?",
    "explanation": "It is $x = {{answer}}$.",
}


def write(tmp_path, skills, lesson=LESSON, **top):
    path = tmp_path / f"{lesson}.practice.yaml"
    path.write_text(yaml.safe_dump({"lesson": lesson, **top, "skills": skills}), "utf-8")
    return tmp_path


def changed(**changes):
    skill = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            skill.pop(key)
        else:
            skill[key] = value
    return skill


def test_a_valid_template_loads_and_generates(tmp_path):
    (skill,) = load_skills(write(tmp_path, [VALID]), LESSON)
    assert (skill.id, skill.lesson, skill.find) == ("mul-local", LESSON, ("z", "local_grad", "w"))
    exercise = generate(skill, 3)
    x = exercise.graph["values"]["x"]
    assert 1 <= x <= 2 and round(x, 2) == x
    assert exercise.expected == f"{x:.4g}" and f"x = {x:g}" in exercise.prompt


@pytest.mark.parametrize(
    ("skills", "message"),
    [
        ([changed(colour="red")], "unknown key 'colour'"),
        ([changed(title=None)], "missing required key 'title'"),
        ([changed(id="Not A Slug")], "slug"),
        ([VALID, VALID], "used twice"),
        ([changed(program="z = w *")], "the program is not valid"),
        ([changed(values={"w": [-3, 3]})], "missing x"),
        ([changed(values={"w": [-3, 3], "x": [1, 2], "q": [1, 2]})], "not inputs: q"),
        ([changed(values={"w": [3, -3], "x": [1, 2]})], "low < high"),
        ([changed(values={"w": {"range": [1, 2], "choose": [1]}, "x": [1, 2]})], "exactly one"),
        ([changed(values={"w": {"choose": ["a"]}, "x": [1, 2]})], "must be numbers"),
        ([changed(find={"node": "q", "quantity": "grad"})], "not a node"),
        ([changed(find={"node": "z", "quantity": "slope", "parent": "w"})], "quantity"),
        ([changed(find={"node": "z", "quantity": "signal"})], "'find.parent'"),
        ([changed(find={"node": "z", "quantity": "signal", "parent": "q"})], "not an input"),
        ([changed(kind="essay")], "'kind'"),
        ([changed(kind="expression")], "'expression'"),
        ([changed(choices=4)], "'choices'"),
        ([changed(prompt="The answer is {{answer}}.")], "{{answer}}"),
        ([changed(prompt="Use {{ q }}.")], "{{q}}"),
        ([changed(kind="expression", expression="w")], "not the engine's"),
        ([changed(kind="expression", expression="q + 1")], "cannot be read"),
        # A conditioning no draw can meet: every answer element at least 5, but x is at most 2.
        ([changed(conditioning={"min_abs": 5, "tries": 20})], "no well-conditioned exercise"),
        ([changed(conditioning={"zeros": "yes"})], "'zeros' must be true or false"),
        ([changed(conditioning={"mixed": ["q"]})], "'mixed' names 'q'"),
        ([changed(conditioning={"sigmoid_input": -1})], "'sigmoid_input'"),
        ([changed(conditioning={"speed": 1})], "unknown key 'speed'"),
    ],
)
def test_a_bad_template_names_the_problem(tmp_path, skills, message):
    with pytest.raises(ContentError) as info:
        load_skills(write(tmp_path, skills), LESSON)
    assert message in str(info.value)
    assert f"{LESSON}.practice.yaml" in str(info.value)


def test_a_file_for_another_lesson_or_not_yaml(tmp_path):
    text = yaml.safe_dump({"lesson": "other", "skills": [VALID]})
    (tmp_path / f"{LESSON}.practice.yaml").write_text(text, "utf-8")
    with pytest.raises(ContentError, match="but the file is for"):
        load_skills(tmp_path, LESSON)
    (tmp_path / f"{LESSON}.practice.yaml").write_text("skills: [", "utf-8")
    with pytest.raises(ContentError, match="not valid YAML"):
        load_skills(tmp_path, LESSON)
    (tmp_path / f"{LESSON}.practice.yaml").write_text("- a list", "utf-8")
    with pytest.raises(ContentError, match="mapping"):
        load_skills(tmp_path, LESSON)


def test_a_choice_template_needs_catalogued_mistakes(tmp_path):
    # d(w*x)/dw asked as a local gradient: swapped-inputs and sign are the only mistakes, so
    # at most 3 choices can be offered; a template that can offer them loads.
    choice = changed(kind="choice", choices=3)
    (skill,) = load_skills(write(tmp_path, [choice]), LESSON)
    assert len(generate(skill, 1).choices) == 3
