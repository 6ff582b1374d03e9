"""Practice pages: every skill with the learner's level and due review, one skill's exercises,
and a mixed review of the skills that are due. The skills are loaded once, at start-up.

These pages are the learner's own (their levels), so they are rendered per request and never
cached; the exercises themselves come from the JSON API (webapp/api/practice.py), their Markdown
rendered here with each formula left as TeX for the browser's KaTeX (static/js/katex-render.js).
"""

import html
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Flask, abort, current_app, make_response, render_template

from lessonengine.assessment.mastery import LEVELS, Mastery, is_due
from lessonengine.assessment.practice import Skill, load_skills
from lessonengine.content import ContentError
from lessonengine.content.lessons import MATH_TOKENS, SHORT_FORMULA, glue_punctuation, make_markdown
from webapp.learner import current_learner
from webapp.practice_store import clock
from webapp.store import get_store

bp = Blueprint("practice", __name__)

# The mixed review's address; no skill may take it.
MIXED = "mixed-review"
LEVEL_LABELS = {level: level.capitalize() for level in LEVELS}


def _tex_placeholder(self, tokens, idx, options, env) -> str:
    # The lesson's markup around a formula (its _render_math), with the TeX itself left for the
    # browser: KaTeX in the server costs a V8 process per worker, in the browser nothing here.
    token = tokens[idx]
    tex = token.content.strip()
    display = MATH_TOKENS[token.type]
    source = (
        f'<span class="tex-source" data-tex="{html.escape(tex)}" '
        f'data-display="{str(display).lower()}">{html.escape(tex, quote=False)}</span>'
    )
    if token.type == "math_block":
        return f'<div class="math">{source}</div>\n'
    trail = html.escape((token.meta or {}).get("trail", ""), quote=False)
    if trail or len(tex) <= SHORT_FORMULA:
        return f'<span class="math-nowrap">{source}{trail}</span>'
    return source


# The lessons' Markdown (same options and plugins), with formulas as placeholders.
_markdown = make_markdown()
for _kind in MATH_TOKENS:
    _markdown.add_render_rule(_kind, _tex_placeholder)


def markdown_html(text: str, inline: bool = False) -> str:
    """Markdown as HTML, each `$...$`/`$$...$$` a placeholder with its TeX in `data-tex`."""
    env: dict = {}
    tokens = _markdown.parseInline(text, env) if inline else _markdown.parse(text, env)
    for token in tokens:
        if token.children:
            glue_punctuation(token.children)
    return _markdown.renderer.render(tokens, _markdown.options, env)


@dataclass(frozen=True)
class SkillStatus:
    """A skill as one learner stands with it: the level, the review date, whether it is due."""

    skill: Skill
    mastery: Mastery
    due_now: bool

    @property
    def due_date(self) -> str | None:
        """The review's date, ISO 8601, or None when no review is planned."""
        return self.mastery.due.date().isoformat() if self.mastery.due else None

    def as_json(self) -> dict:
        """The skill as GET /api/practice lists it."""
        return {
            "id": self.skill.id,
            "title": self.skill.title,
            "lesson": self.skill.lesson,
            "level": self.mastery.level,
            "due": self.due_date,
            "due_now": self.due_now,
            "summary": self.skill.summary,
        }


def init_app(app: Flask) -> None:
    """Load every lesson's skills, check the lessons' `skills:` lists against them, and set the
    practice defaults (the clock, the write limits); call before limits.init_app."""
    app.config.setdefault("PRACTICE_EXERCISES_PER_MINUTE", 60)
    app.config.setdefault("PRACTICE_ANSWERS_PER_MINUTE", 30)
    skills: dict[str, Skill] = {}
    course = app.extensions["course"]
    for lesson in course.lessons:
        found = load_skills(app.config["CONTENT_DIR"], lesson.id)
        listed = lesson.meta.get("skills")
        ids = [skill.id for skill in found]
        if listed is not None:
            missing = [skill for skill in listed if skill not in ids]
            if missing:
                raise ContentError(
                    lesson.path,
                    f"'skills' names {', '.join(map(repr, missing))}, not in the lesson's "
                    f"practice file (its skills: {', '.join(ids) or 'none'})",
                )
        for skill in found:
            if skill.id in skills or skill.id == MIXED:
                raise ContentError(lesson.path, f"skill id {skill.id!r} is taken")
            skills[skill.id] = skill
    app.extensions["practice_skills"] = skills
    app.register_blueprint(bp)


def get_skills() -> dict[str, Skill]:
    """Every skill of the course, in lesson order, by id."""
    return current_app.extensions["practice_skills"]


def skill_statuses(learner: str | None, now: datetime) -> list[SkillStatus]:
    """Every skill with the learner's level and review, in the course's order."""
    masteries = get_store().masteries(learner)
    statuses = []
    for skill in get_skills().values():
        mastery = masteries.get(skill.id, Mastery())
        statuses.append(SkillStatus(skill, mastery, is_due(mastery, now)))
    return statuses


def due_first(statuses: list[SkillStatus]) -> list[SkillStatus]:
    """The due reviews first (the longest overdue first), then the rest in course order."""
    due = sorted((s for s in statuses if s.due_now), key=lambda s: s.mastery.due)
    return due + [s for s in statuses if not s.due_now]


def lesson_skills(lesson) -> list[Skill]:
    """The skills a lesson lists in its front matter (all of its skills when it lists none)."""
    skills = get_skills()
    listed = lesson.meta.get("skills")
    if listed is None:
        return [skill for skill in skills.values() if skill.lesson == lesson.id]
    return [skills[skill_id] for skill_id in listed if skill_id in skills]


@bp.app_template_global()
def practice_skills_of(lesson) -> list[Skill]:
    """The lesson's skills, for the links at the end of the lesson page."""
    return lesson_skills(lesson)


def _private(html: str):
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page_config(statuses: list[SkillStatus], mode: str, skill: Skill | None = None) -> dict:
    """What the browser module needs: the mode, the skills in play and the pages' URLs."""
    return {
        "mode": mode,
        "skill": skill.id if skill else None,
        "skills": [s.as_json() for s in statuses],
        "levels": list(LEVELS),
        "labels": LEVEL_LABELS,
    }


@bp.get("/practice")
def overview():
    """Every skill with the learner's level and review date, due reviews first."""
    statuses = due_first(skill_statuses(current_learner(create=False), clock()))
    due = [s for s in statuses if s.due_now]
    return _private(
        render_template(
            "pages/practice.html", statuses=statuses, due=due, labels=LEVEL_LABELS, mixed=MIXED
        )
    )


@bp.get(f"/practice/{MIXED}")
def mixed_review():
    """A review of every skill that is due, one exercise of each in turn."""
    statuses = due_first(skill_statuses(current_learner(create=False), clock()))
    due = [s for s in statuses if s.due_now]
    return _private(
        render_template(
            "pages/practice_skill.html",
            title="Mixed review",
            skill=None,
            status=due[0] if due else None,
            config=_page_config(due, "review"),
            labels=LEVEL_LABELS,
        )
    )


@bp.get("/practice/<skill_id>")
def skill_page(skill_id: str):
    """One skill: an exercise at a time (a shared ?seed=N opens that very exercise)."""
    skill = get_skills().get(skill_id)
    if skill is None:
        abort(404, f"There is no skill called \u201c{skill_id[:80]}\u201d to practise.")
    statuses = skill_statuses(current_learner(create=False), clock())
    status = next(s for s in statuses if s.skill.id == skill_id)
    return _private(
        render_template(
            "pages/practice_skill.html",
            title=skill.title,
            skill=skill,
            status=status,
            config=_page_config([status], "skill", skill),
            labels=LEVEL_LABELS,
        )
    )
