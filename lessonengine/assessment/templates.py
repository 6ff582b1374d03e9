"""Practice templates as data: a lesson's `<lesson>.practice.yaml`, read and checked.

Each template is a skill: a program in the engine's grammar, how each input's value is drawn,
the step to find on the graph (node, quantity, parent), the kind of answer, a prompt and a worked
explanation with `{{ name }}` placeholders for the values, and optional `conditioning` that says
which draws are well-conditioned. Read through `lessonengine.content.files`, so a bad file is a
ContentError naming it. The draws themselves live in `lessonengine.assessment.draws`.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lessonengine.assessment.draws import Conditioning, Draw
from lessonengine.assessment.steps import QUANTITIES, StepError
from lessonengine.content.files import ContentError, check_keys, read_yaml
from lessonengine.engine.program import parse
from lessonengine.errors import GraphError

PRACTICE_SUFFIX = ".practice.yaml"
ANSWER_KINDS = ("number", "expression", "choice")
MIN_CHOICES, MAX_CHOICES = 3, 6  # the right one and at least two catalogued mistakes
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
ANSWER_PLACEHOLDER = "answer"  # the right answer: in the explanation only, never in the prompt

_FILE_KEYS, _FILE_OPTIONAL = {"skills": list}, {"lesson": str}
_SKILL_KEYS = {
    "id": str,
    "title": str,
    "summary": str,
    "program": str,
    "values": dict,
    "find": dict,
    "kind": str,
    "prompt": str,
    "explanation": str,
}
_SKILL_OPTIONAL = {"expression": str, "choices": int, "conditioning": dict}
_FIND_KEYS, _FIND_OPTIONAL = {"node": str, "quantity": str}, {"parent": str}
_DRAW_OPTIONAL = {"range": list, "choose": list, "shape": list, "decimals": int}
_CONDITIONING_NUMBERS = ("sigmoid_input", "min_abs", "relu_margin")
_CONDITIONING_OPTIONAL = {"mixed": list, "tries": int}


@dataclass(frozen=True)
class Skill:
    """One template of exercises, loaded from data: what the student practises and how its
    exercises are drawn. `find` is (node, quantity, parent or None)."""

    id: str
    title: str
    lesson: str
    summary: str
    program: str = ""
    inputs: tuple = ()  # ((input name, Draw), ...) in the program's order of first use
    find: tuple = ("", "grad", None)
    kind: str = "number"
    prompt: str = ""
    explanation: str = ""
    expression: str | None = None  # for "expression": a right answer to show afterwards
    choices: int = 4  # for "choice": at most this many choices (at least MIN_CHOICES)
    conditioning: Conditioning = field(default_factory=Conditioning)
    path: str = ""


def practice_path(content_dir, lesson) -> Path:
    """Where a lesson's practice templates live: next to the lesson, like its quiz."""
    return Path(content_dir) / f"{lesson}{PRACTICE_SUFFIX}"


def load_skills(content_dir, lesson) -> list:
    """The lesson's skills in file order ([] when it has no practice file); ContentError for a
    malformed file or a template that cannot make a well-conditioned exercise."""
    path = practice_path(content_dir, lesson)
    if not path.is_file():
        return []
    return list(_load(str(path), lesson, path.stat().st_mtime_ns))


def all_skills(content_dir) -> dict:
    """Every skill of every lesson in `content_dir`, by id (ids are unique across lessons)."""
    found = {}
    for path in sorted(Path(content_dir).glob(f"*{PRACTICE_SUFFIX}")):
        lesson = path.name[: -len(PRACTICE_SUFFIX)]
        for skill in load_skills(content_dir, lesson):
            if skill.id in found:
                raise ContentError(path, f"skill id '{skill.id}' is also in {found[skill.id].path}")
            found[skill.id] = skill
    return found


def get_skill(content_dir, skill_id) -> Skill:
    """The skill with this id in any lesson of `content_dir`; KeyError for an unknown id."""
    skill = all_skills(content_dir).get(skill_id) if isinstance(skill_id, str) else None
    if skill is None:
        raise KeyError(skill_id)
    return skill


@lru_cache(maxsize=32)
def _load(path, lesson, _mtime):
    """The skills of one file (cached until the file changes)."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "the file must be a mapping with a 'skills' list")
    check_keys(data, path, _FILE_KEYS, _FILE_OPTIONAL)
    if data.get("lesson", lesson) != lesson:
        raise ContentError(path, f"'lesson' is {data['lesson']!r}, but the file is for {lesson!r}")
    skills, seen = [], set()
    for number, raw in enumerate(data["skills"], start=1):
        skill = _skill(raw, path, lesson, number)
        if skill.id in seen:
            raise ContentError(path, f"skill {number}: the id '{skill.id}' is used twice")
        seen.add(skill.id)
        skills.append(skill)
    return tuple(skills)


def _skill(raw, path, lesson, number):
    """One template, checked; every problem a ContentError that names the skill."""
    at = f"skill {number}: "
    if not isinstance(raw, dict):
        raise ContentError(path, f"{at}each skill must be a mapping")
    if isinstance(raw.get("id"), str):
        at = f"skill {number} ({raw['id']}): "
    check_keys(raw, path, _SKILL_KEYS, _SKILL_OPTIONAL, at=at)
    if not ID_PATTERN.match(raw["id"]) or len(raw["id"]) > 64:
        raise ContentError(path, f"{at}the id must be a slug such as 'mul-local'")
    try:
        program = parse(raw["program"])
    except GraphError as exc:
        raise ContentError(path, f"{at}the program is not valid: {exc.message}") from None
    inputs = _inputs(raw["values"], program, path, at)
    find = _find(raw["find"], program, path, at)
    kind = raw["kind"]
    if kind not in ANSWER_KINDS:
        raise ContentError(path, f"{at}'kind' must be one of {', '.join(ANSWER_KINDS)}")
    if (kind == "expression") != ("expression" in raw):
        raise ContentError(path, f"{at}'expression' is given exactly when 'kind' is expression")
    choices = raw.get("choices", 4)
    if "choices" in raw and kind != "choice" or not MIN_CHOICES <= choices <= MAX_CHOICES:
        raise ContentError(
            path, f"{at}'choices' is for kind choice, from {MIN_CHOICES} to {MAX_CHOICES}"
        )
    names = {node.id for node in program.nodes if node.named}
    for key in ("prompt", "explanation"):
        allowed = names | ({ANSWER_PLACEHOLDER} if key == "explanation" else set())
        for name in PLACEHOLDER.findall(raw[key]):
            if name not in allowed:
                raise ContentError(path, f"{at}'{key}' uses {{{{{name}}}}}, not a name it may use")
    skill = Skill(
        id=raw["id"],
        title=raw["title"].strip(),
        lesson=lesson,
        summary=" ".join(raw["summary"].split()),
        program=raw["program"].strip(),
        inputs=inputs,
        find=find,
        kind=kind,
        prompt=raw["prompt"].strip(),
        explanation=raw["explanation"].strip(),
        expression=raw.get("expression"),
        choices=choices,
        conditioning=_conditioning(raw.get("conditioning") or {}, names, path, at),
        path=str(path),
    )
    _check_generates(skill, path, at)
    return skill


def _check_generates(skill, path, at):
    """A template must make an exercise whose right answer the grader accepts (seed 0)."""
    from lessonengine.assessment.practice import GenerationError, check_template

    try:
        check_template(skill)
    except (GenerationError, StepError) as exc:
        raise ContentError(path, f"{at}{exc}") from None


def _inputs(values, program, path, at):
    names = program.input_names
    missing = [name for name in names if name not in values]
    extra = [name for name in values if name not in names]
    if missing or extra:
        raise ContentError(
            path,
            f"{at}'values' must give exactly the program's inputs ({', '.join(names)}); "
            + (f"missing {', '.join(missing)}" if missing else f"not inputs: {', '.join(extra)}"),
        )
    return tuple((name, _draw(values[name], path, f"{at}'values.{name}': ")) for name in names)


def _draw(spec, path, at):
    """[low, high], or {range | choose, shape, decimals}."""
    if isinstance(spec, list):
        spec = {"range": spec}
    if not isinstance(spec, dict):
        raise ContentError(path, f"{at}give [low, high] or a mapping with range or choose")
    check_keys(spec, path, {}, _DRAW_OPTIONAL, at=at)
    if ("range" in spec) == ("choose" in spec):
        raise ContentError(path, f"{at}give exactly one of 'range' and 'choose'")
    numbers = spec.get("range") or spec.get("choose")
    if not all(_is_number(x) for x in numbers):
        raise ContentError(path, f"{at}the values must be numbers")
    if "range" in spec and (len(numbers) != 2 or not numbers[0] < numbers[1]):
        raise ContentError(path, f"{at}'range' is [low, high] with low < high")
    shape = spec.get("shape", [])
    if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 8 for n in shape):
        raise ContentError(path, f"{at}'shape' is a list of 1 or 2 sizes from 1 to 8")
    if len(shape) > 2 or spec.get("decimals", 1) > 3:
        raise ContentError(path, f"{at}at most 2 dimensions and 3 decimals")
    if "range" in spec:
        low, high = (float(x) for x in numbers)
        return Draw(low, high, (), tuple(shape), spec.get("decimals", 1))
    return Draw(None, None, tuple(float(x) for x in numbers), tuple(shape), 0)


def _find(find, program, path, at):
    check_keys(find, path, _FIND_KEYS, _FIND_OPTIONAL, at=at, prefix="find.")
    node, quantity, parent = find["node"], find["quantity"], find.get("parent")
    if node not in program.ids:
        raise ContentError(path, f"{at}'find.node' {node!r} is not a node of the program")
    if quantity not in QUANTITIES:
        raise ContentError(path, f"{at}'find.quantity' must be one of {', '.join(QUANTITIES)}")
    if (quantity == "grad") != (parent is None):
        raise ContentError(path, f"{at}'find.parent' is given exactly for local_grad and signal")
    parents = [program.nodes[p].id for p in program.node(node).parents]
    if parent is not None and parent not in parents:
        raise ContentError(path, f"{at}'find.parent' {parent!r} is not an input of {node}")
    return (node, quantity, parent)


def _conditioning(raw, names, path, at):
    """The template's overrides of the defaults that keep the numbers well-conditioned."""
    at = f"{at}'conditioning': "
    raw = dict(raw)  # the keys checked by hand are taken out before check_keys sees the rest
    numbers = {key: raw.pop(key) for key in _CONDITIONING_NUMBERS if key in raw}
    zeros = raw.pop("zeros", None)
    check_keys(raw, path, {}, _CONDITIONING_OPTIONAL, at=at)
    for key, value in numbers.items():
        if not (_is_number(value) or value is None and key == "sigmoid_input") or (
            value is not None and value < 0
        ):
            raise ContentError(path, f"{at}'{key}' must be a number of at least 0")
    if zeros is not None and not isinstance(zeros, bool):
        raise ContentError(path, f"{at}'zeros' must be true or false")
    mixed = tuple(raw.get("mixed", ()))
    unknown = [name for name in mixed if name not in names]
    if unknown:
        raise ContentError(path, f"{at}'mixed' names {unknown[0]!r}, not a name of the program")
    kwargs = {**numbers, "mixed": mixed, "tries": raw.get("tries", Conditioning.tries)}
    if zeros is not None:
        kwargs["zeros"] = zeros
    return Conditioning(**kwargs)


def _is_number(x):
    return isinstance(x, int | float) and not isinstance(x, bool)
