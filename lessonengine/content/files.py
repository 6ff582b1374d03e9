"""Content files read one way: text, YAML and a lesson's front matter, and their keys checked.

The lesson and quiz loaders both read through here, so every problem is the same ContentError,
naming the file, and the line and column when they are known.
"""

from collections.abc import Mapping
from pathlib import Path

import yaml


class ContentError(ValueError):
    """Malformed content: the message names the file (line and column when known), the problem."""

    def __init__(self, path, problem: str, line: int | None = None, column: int | None = None):
        where = str(path)
        if line:
            where += f", line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice is an error instead of a silent win."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_text(path) -> str:
    """The text of the UTF-8 file at `path`, or a ContentError naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(path, f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ContentError(path, f"the file is not UTF-8 text: {exc}") from None


def parse_yaml(text: str, path, what: str = "the file", first_line: int = 1):
    """The data in YAML `text` (safe, no key twice) that starts at `first_line` of `path`."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader underneath
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line, column = (mark.line + first_line, mark.column + 1) if mark else (None, None)
        raise ContentError(path, f"{what} is not valid YAML: {problem}", line, column) from None


def read_yaml(path):
    """The data in the YAML file at `path`; a ContentError names the file, line and column."""
    return parse_yaml(read_text(path), path)


def split_front_matter(text: str, path) -> tuple[dict, str, int]:
    """Return (front matter, body, number of lines before the body) of a lesson file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, "the file must start with a YAML front matter between '---' lines")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ContentError(path, "the front matter has no closing '---' line")
    # The front matter starts on the file's line 2, after the opening '---'.
    meta = parse_yaml("".join(lines[1:end]), path, "the front matter", first_line=2)
    if not isinstance(meta, dict):
        raise ContentError(path, "the front matter must be a YAML mapping of keys to values")
    return meta, "".join(lines[end + 1 :]), end + 1


# What each kind of value must be, in words: text and lists are never empty, numbers count.
KINDS = {
    str: "non-empty text",
    int: "a whole number of at least 1",
    list: "a non-empty list",
    dict: "a mapping",
}


def _is_kind(value, kind) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if kind is str:
        return isinstance(value, str) and bool(value.strip())
    return isinstance(value, kind) and (kind is not list or bool(value))


def _shown(value) -> str:
    if isinstance(value, (str, int, float, bool)) or value in ([], {}):
        return repr(value)
    return {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


def check_keys(
    data: Mapping, path, required: dict, optional: dict | None = None, *, at="", prefix=""
) -> None:
    """Check a mapping's keys: none unknown, every required one there, each value of its kind.

    `required` and `optional` map each key to its kind (a type of KINDS). `prefix` is where the
    mapping sits, in key names (`video.`); `at` opens each message (`question 2 (q2): `).
    """
    kinds = {**required, **(optional or {})}
    for key in data:
        if key not in kinds:
            known = ", ".join(kinds)
            raise ContentError(path, f"{at}unknown key '{prefix}{key}' (known keys: {known})")
    for key, kind in kinds.items():
        value, name = data.get(key), f"'{prefix}{key}'"
        if value is None and key in required:
            raise ContentError(
                path, f"{at}{name} must be {KINDS[kind]} (missing required key {name})"
            )
        if value is not None and not _is_kind(value, kind):
            raise ContentError(path, f"{at}{name} must be {KINDS[kind]}, not {_shown(value)}")
