"""A lesson file's YAML front matter: split from the body, read safely, its keys checked.

Every problem is a ContentError that names the file, and the line when PyYAML knows it.
"""

from collections.abc import Mapping

import yaml


class ContentError(ValueError):
    """Malformed content: the message names the file (and line when known) and the problem."""

    def __init__(self, path, problem: str, line: int | None = None):
        where = str(path) + (f", line {line}" if line else "")
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.problem = problem
        self.line = line


def yaml_problem(exc: yaml.YAMLError, first_line: int = 1) -> tuple[str, int | None]:
    """PyYAML's reason for an error, and its line in a file whose YAML starts at `first_line`."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return problem, (mark.line + first_line if mark is not None else None)


def split_front_matter(text: str, path) -> tuple[dict, str, int]:
    """Return (front matter, body, number of lines before the body) of a lesson file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, "the file must start with a YAML front matter between '---' lines")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ContentError(path, "the front matter has no closing '---' line")
    try:
        meta = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError as exc:
        problem, line = yaml_problem(exc, first_line=2)  # the front matter starts on line 2
        raise ContentError(path, f"the front matter is not valid YAML: {problem}", line) from None
    if not isinstance(meta, dict):
        raise ContentError(path, "the front matter must be a YAML mapping of keys to values")
    return meta, "".join(lines[end + 1 :]), end + 1


def type_name(value) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def check_keys(data: Mapping, where: str, required: dict, optional: dict, path) -> None:
    # `required`/`optional` map each key to its kind: str, int (>= 1) or dict.
    for key in data:
        if key not in required and key not in optional:
            known = ", ".join([*required, *optional])
            raise ContentError(path, f"unknown key '{where}{key}' (known keys: {known})")
    for key in required:
        if key not in data or data[key] is None:
            raise ContentError(path, f"missing required key '{where}{key}'")
    for key, kind in {**required, **optional}.items():
        if key not in data or data[key] is None:
            continue
        value = data[key]
        if kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ContentError(
                    path, f"'{where}{key}' must be a whole number of at least 1, not {value!r}"
                )
        elif kind is str:
            if not isinstance(value, str) or not value.strip():
                raise ContentError(path, f"'{where}{key}' must be non-empty text, not {value!r}")
        elif not isinstance(value, kind):
            wanted = "a list" if kind is list else "a mapping"
            raise ContentError(path, f"'{where}{key}' must be {wanted}, not {type_name(value)}")
