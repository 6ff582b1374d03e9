"""Lessons as data: `course.yaml` lists the lessons in order; each lesson is one Markdown file.

A lesson file starts with a YAML front matter (title, reading time, video, glossary) and its body
is Markdown with TeX math between `$...$` and `$$...$$`. Structured parts are fenced blocks:

    ::: refresher Quick refresher      a card (title optional)
    ::: legend                         wraps a definition list: `$f$` then `: outer function`
    ::: note Title / ::: key Title     a callout (titles optional)
    ::: deeper Title                   a collapsed "Going deeper" part (<details>), closed at first
    ::: widget NAME key=value ...      an interactive part; its inner Markdown is the fallback

and `[local gradient](term:local-gradient)` is a glossary term defined in the front matter.
Everything is checked and rendered once, at load; any problem is a ContentError naming the file.
"""

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from lessonengine.content.blocks import Problem, block_html
from lessonengine.content.files import (
    ContentError,
    check_keys,
    read_text,
    read_yaml,
    split_front_matter,
)
from lessonengine.content.texmath import TexError, render_tex

__all__ = ["Course", "Lesson", "load_course", "load_lesson", "render_block", "render_inline"]

COURSE_FILE = "course.yaml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MATH_TOKENS = {"math_inline": False, "math_inline_double": True, "math_block": True}
TERM_SCHEME = "term:"
SHORT_FORMULA = 40  # characters of TeX


@dataclass(frozen=True)
class Video:
    """The lesson's video card; without `src` the page says the video is coming soon."""

    title: str
    description: str
    minutes: int
    src: str | None = None


@dataclass(frozen=True)
class GlossaryEntry:
    """An inline term: the words shown, and its definition as HTML."""

    id: str
    term: str
    definition_html: str


@dataclass(frozen=True)
class Heading:
    """A section heading of a lesson body, for links into the page."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Lesson:
    """One lesson: its front matter as fields, and its body rendered once to HTML."""

    id: str
    course: str
    number: int
    title: str
    minutes: int
    video: Video
    summary: str
    glossary: dict[str, GlossaryEntry]
    html: str
    headings: tuple[Heading, ...]
    path: Path
    meta: dict = field(repr=False)


@dataclass(frozen=True)
class Course:
    """The course: its lessons in the order of `course.yaml`."""

    id: str
    title: str
    description: str
    lessons: tuple[Lesson, ...]

    def lesson(self, lesson_id: str) -> Lesson | None:
        """The lesson with this id, or None."""
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def neighbours(self, lesson_id: str) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after this one in the course (None at either end)."""
        ids = [lesson.id for lesson in self.lessons]
        index = ids.index(lesson_id)
        before = self.lessons[index - 1] if index > 0 else None
        after = self.lessons[index + 1] if index + 1 < len(self.lessons) else None
        return before, after

    def previous(self, lesson_id: str) -> Lesson | None:
        """The lesson before this one, or None."""
        return self.neighbours(lesson_id)[0]

    def next(self, lesson_id: str) -> Lesson | None:
        """The lesson after this one, or None."""
        return self.neighbours(lesson_id)[1]


# --- Front matter ---------------------------------------------------------------------------


LESSON_KEYS = {"course": str, "lesson": int, "title": str, "minutes": int, "video": dict}
LESSON_OPTIONAL = {"summary": str, "glossary": dict, "skills": list}  # skills: practice ids
VIDEO_KEYS = {"title": str, "description": str, "minutes": int}
VIDEO_OPTIONAL = {"src": str}


def _parse_meta(meta: dict, path) -> tuple[Video, dict[str, GlossaryEntry]]:
    check_keys(meta, path, LESSON_KEYS, LESSON_OPTIONAL)
    check_keys(meta["video"], path, VIDEO_KEYS, VIDEO_OPTIONAL, prefix="video.")
    video = Video(**meta["video"])
    glossary = {}
    for term_id, entry in (meta.get("glossary") or {}).items():
        if not isinstance(term_id, str) or not SLUG.match(term_id):
            raise ContentError(path, f"glossary id {term_id!r} must be lower-case-with-dashes")
        if isinstance(entry, str):
            entry = {"definition": entry}
        if not isinstance(entry, dict):
            raise ContentError(path, f"'glossary.{term_id}' must be a mapping with a definition")
        check_keys(entry, path, {"definition": str}, {"term": str}, prefix=f"glossary.{term_id}.")
        try:
            definition = render_inline(entry["definition"])
        except (TexError, ContentError) as exc:
            raise ContentError(path, f"in 'glossary.{term_id}.definition': {exc}") from None
        term = entry.get("term") or term_id.replace("-", " ")
        glossary[term_id] = GlossaryEntry(term_id, term, definition)
    return video, glossary


# --- Markdown -------------------------------------------------------------------------------


def make_markdown() -> MarkdownIt:
    # Raw HTML is off: a lesson is Markdown only, and its structure comes from the blocks.
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "replacements", "smartquotes"])
    dollarmath_plugin(
        md, allow_labels=False, allow_space=True, allow_digits=True, double_inline=True
    )
    deflist_plugin(md)
    anchors_plugin(md, min_level=2, max_level=3)
    # One container accepts every `::: name`; _check_tokens refuses the names it does not know.
    container_plugin(md, "block", validate=lambda params, *_: True, render=_render_block_token)
    for kind in MATH_TOKENS:
        md.add_render_rule(kind, _render_math)
    md.add_render_rule("link_open", _render_link)
    md.add_render_rule("link_close", _render_link)
    return md


def _render_math(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    formula = render_tex(token.content.strip(), MATH_TOKENS[token.type])
    if token.type == "math_block":
        return f'<div class="math">{formula}</div>\n'
    # A short formula is never split across lines, and the punctuation after a formula never
    # starts a line of its own.
    trail = html.escape((token.meta or {}).get("trail", ""), quote=False)
    if trail or len(token.content.strip()) <= SHORT_FORMULA:
        return f'<span class="math-nowrap">{formula}{trail}</span>'
    return formula


TRAILING_PUNCTUATION = re.compile(r"[.,;:!?)\]\u2019\u201d]+")


def glue_punctuation(children: list[Token]) -> None:
    """Move the punctuation that follows an inline formula into the formula's token."""
    for token, after in zip(children, children[1:], strict=False):
        if token.type == "math_inline" and after.type == "text":
            match = TRAILING_PUNCTUATION.match(after.content)
            if match:
                token.meta = {**(token.meta or {}), "trail": match.group()}
                after.content = after.content[match.end() :]


def _render_link(self, tokens, idx, options, env) -> str:
    # A glossary term's link opens a button and closes it with the definition as its tooltip.
    token = tokens[idx]
    entry = token.meta.get("term")
    if entry is None:
        return self.renderToken(tokens, idx, options, env)
    tip = token.meta["tip"]
    if token.type == "link_open":
        return (
            '<span class="term" data-widget="glossary">'
            f'<button type="button" class="term-button" aria-describedby="{tip}">'
        )
    return (
        f'</button><span class="term-definition" role="tooltip" id="{tip}">'
        f"{entry.definition_html}</span></span>"
    )


def _render_block_token(self, tokens, idx, options, env) -> str:
    return tokens[idx].meta["html"]


def _check_tokens(tokens: list[Token], env: dict) -> None:
    """Typeset every formula, resolve every term and block; raise Problem at the first fault."""
    glossary: dict[str, GlossaryEntry] | None = env.get("glossary")
    used = env.setdefault("used_terms", set())
    open_blocks: list[Token] = []
    open_term: dict = {}  # links never nest, so one pending term link at a time
    serial = 0

    def line_of(token: Token, parent: Token | None = None) -> int | None:
        source = token.map or (parent.map if parent is not None else None)
        return source[0] + 1 + env.get("line_offset", 0) if source else None

    def check(token: Token, parent: Token | None = None) -> None:
        nonlocal serial
        if token.type in MATH_TOKENS:
            try:
                render_tex(token.content.strip(), MATH_TOKENS[token.type])
            except TexError as exc:
                raise Problem(str(exc), line_of(token, parent), exc) from None
        elif token.type == "heading_open" and token.tag == "h1":
            raise Problem(
                "use '##' for sections: the page's only '#' title comes from the front matter",
                line_of(token),
            )
        elif token.type == "container_block_open":
            serial += 1
            try:
                opening, closing = block_html(token.info, env.get("lesson"), serial, render_inline)
            except TexError as exc:
                raise Problem(str(exc), line_of(token), exc) from None
            except Problem as exc:
                raise Problem(str(exc), line_of(token)) from None
            token.meta = {"html": opening, "closing": closing, "name": token.info.split()[0]}
            open_blocks.append(token)
        elif token.type == "container_block_close":
            opener = open_blocks.pop()
            token.meta = {"html": opener.meta["closing"]}
        elif token.type == "dl_open" and open_blocks and open_blocks[-1].meta["name"] == "legend":
            open_blocks[-1].meta["has_list"] = True
            token.attrJoin("class", "legend-list")
        elif token.type == "link_open" and (token.attrGet("href") or "").startswith(TERM_SCHEME):
            term_id = str(token.attrGet("href"))[len(TERM_SCHEME) :]
            if glossary is None:
                raise Problem(f"glossary term '{term_id}' used where there is no glossary")
            if term_id not in glossary:
                known = ", ".join(glossary) or "none"
                raise Problem(
                    f"unknown glossary term '{term_id}' (defined in the front matter: {known})",
                    line_of(token, parent),
                )
            used.add(term_id)
            count = env.setdefault("term_count", {})
            count[term_id] = count.get(term_id, 0) + 1
            token.meta = {"term": glossary[term_id], "tip": f"term-{term_id}-{count[term_id]}"}
            open_term.update(token.meta)
        elif token.type == "link_close" and open_term:
            token.meta = dict(open_term)
            open_term.clear()
        if token.children:
            glue_punctuation(token.children)
        for child in token.children or []:
            check(child, token)

    for token in tokens:
        check(token)
    for token in tokens:
        if (
            token.type == "container_block_open"
            and token.meta.get("name") == "legend"
            and not token.meta.get("has_list")
        ):
            raise Problem(
                "'::: legend' must hold a definition list ('$f$' then ': outer function')",
                line_of(token),
            )


_md = make_markdown()


def _render(
    text: str, env: dict, inline: bool = False, sections: bool = False
) -> tuple[str, list[Token]]:
    tokens = _md.parseInline(text, env) if inline else _md.parse(text, env)
    _check_tokens(tokens, env)
    shown = _wrap_sections(tokens) if sections else tokens
    return _md.renderer.render(shown, _md.options, env), tokens


def _raw_html(html: str) -> Token:
    token = Token("html_block", "", 0)
    token.content = html
    return token


def _wrap_sections(tokens: list[Token]) -> list[Token]:
    """Put each top-level `##` heading and what follows it, up to the next, in a <section>.

    A section is a landmark named by its heading, and a unit the browser may leave unlaid-out
    while it is off screen (`content-visibility: auto`), which keeps a formula-heavy page fast.
    """
    wrapped, inside = [], False
    for token in tokens:
        if token.type == "heading_open" and token.tag == "h2" and token.level == 0:
            if inside:
                wrapped.append(_raw_html("</section>\n"))
            label = token.attrGet("id")
            wrapped.append(
                _raw_html(f'<section class="lesson-section" aria-labelledby="{label}">\n')
            )
            inside = True
        wrapped.append(token)
    if inside:
        wrapped.append(_raw_html("</section>\n"))
    return wrapped


def render_inline(markdown_text: str) -> str:
    """Inline Markdown with `$...$` math as HTML, no wrapping <p>; TexError or ContentError."""
    try:
        return _render(markdown_text, {}, inline=True)[0]
    except Problem as exc:
        if isinstance(exc.cause, TexError):
            raise exc.cause from None
        raise ContentError("<markdown>", str(exc)) from None


def render_block(markdown_text: str) -> str:
    """Block Markdown (paragraphs, lists, `$$` math, `:::` blocks) as HTML; same errors."""
    try:
        return _render(markdown_text, {})[0]
    except Problem as exc:
        if isinstance(exc.cause, TexError):
            raise exc.cause from None
        raise ContentError("<markdown>", str(exc)) from None


# --- Loading --------------------------------------------------------------------------------


def load_lesson(path: Path, course_id: str) -> Lesson:
    """Read, check and render one lesson file; raise ContentError naming the file."""
    path = Path(path)
    lesson_id = path.stem
    meta, body, offset = split_front_matter(read_text(path), path)
    video, glossary = _parse_meta(meta, path)
    if meta["course"] != course_id:
        raise ContentError(
            path, f"'course' is {meta['course']!r} but {COURSE_FILE} is for {course_id!r}"
        )
    env = {"lesson": lesson_id, "glossary": glossary, "line_offset": offset}
    try:
        body_html, tokens = _render(body, env, sections=True)
    except Problem as exc:
        raise ContentError(path, str(exc), exc.line) from None
    unused = [term_id for term_id in glossary if term_id not in env["used_terms"]]
    if unused:
        raise ContentError(path, f"glossary terms defined but never used: {', '.join(unused)}")
    headings = tuple(
        Heading(int(tok.tag[1]), str(tok.attrGet("id")), tokens[i + 1].content)
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.attrGet("id")
    )
    return Lesson(
        id=lesson_id,
        course=meta["course"],
        number=meta["lesson"],
        title=meta["title"],
        minutes=meta["minutes"],
        video=video,
        summary=meta.get("summary") or video.description,
        glossary=glossary,
        html=body_html,
        headings=headings,
        path=path,
        meta=meta,
    )


def load_course(content_dir) -> Course:
    """Load `course.yaml` and every lesson it lists, in its order; raise ContentError."""
    content_dir = Path(content_dir)
    path = content_dir / COURSE_FILE
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "the course file must be a YAML mapping")
    check_keys(data, path, {"id": str, "title": str, "lessons": list}, {"description": str})
    if not SLUG.match(data["id"]):
        raise ContentError(path, f"course id {data['id']!r} must be lower-case-with-dashes")
    ids = data["lessons"]
    for lesson_id in ids:
        if not isinstance(lesson_id, str) or not SLUG.match(lesson_id):
            raise ContentError(path, f"lesson id {lesson_id!r} must be lower-case-with-dashes")
        if ids.count(lesson_id) > 1:
            raise ContentError(path, f"lesson '{lesson_id}' is listed twice")
    listed = set(ids)
    for extra in sorted(content_dir.glob("*.md")):
        if extra.stem not in listed and extra.name.lower() != "readme.md":
            raise ContentError(extra, f"this lesson is not listed under 'lessons' in {path}")
    lessons = []
    for lesson_id in ids:
        lesson_path = content_dir / f"{lesson_id}.md"
        if not lesson_path.is_file():
            raise ContentError(path, f"lesson '{lesson_id}' is listed but {lesson_path} is missing")
        lesson = load_lesson(lesson_path, data["id"])
        if lessons and lesson.number <= lessons[-1].number:
            raise ContentError(
                lesson_path,
                f"lesson number {lesson.number} must be greater than {lessons[-1].number} "
                f"('{lessons[-1].id}' comes before it in {COURSE_FILE})",
            )
        lessons.append(lesson)
    return Course(
        id=data["id"],
        title=data["title"],
        description=data.get("description") or "",
        lessons=tuple(lessons),
    )
