"""Content: the course and its lessons as Markdown files, checked and rendered with KaTeX once."""

from lessonengine.content.files import ContentError, split_front_matter
from lessonengine.content.lessons import (
    Course,
    Lesson,
    load_course,
    load_lesson,
    render_block,
    render_inline,
)
from lessonengine.content.texmath import TexError, render_tex

__all__ = [
    "ContentError",
    "Course",
    "Lesson",
    "TexError",
    "load_course",
    "load_lesson",
    "render_block",
    "render_inline",
    "render_tex",
    "split_front_matter",
]
