"""A class's statistics for its teacher, computed by the database with grouped queries.

Quiz items as Moodle reports them: the facility (the share of the class whose first answer in
their first round was right) and the discrimination (the point-biserial correlation, that is
Pearson's r, between that answer's correctness and the learner's first-round score on the other
questions). The database returns a handful of sums per question (n, Σx, Σy, Σxy, Σx², Σy²);
Pearson's r is computed from them, exactly, since they are integers. Your turn: per step of a
graph, how many learners tried it, the share right at the first try and the notes of the wrong
answers. Practice: how many learners are at each level of each skill, and the reviews overdue.
Every query is plain SQLAlchemy Core that SQLite and PostgreSQL run alike.
"""

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, case, func, literal, select, union_all

from webapp.schema import (
    attempts,
    class_members,
    classes,
    graph_attempts,
    practice_attempts,
    skill_levels,
)

LEVELS = ("new", "attempted", "familiar", "proficient", "mastered")
# Notes a step carries that are not mistakes: a right answer, carried forward, or a Show me.
NOT_MISTAKES = ("correct", "carried-forward", "shown")


def class_stats(
    db: Connection | Engine,
    class_id: int,
    quizzes: Mapping | None = None,
    skills: Iterable[str] | Mapping[str, str] = (),
    now: datetime | None = None,
) -> dict | None:
    """The statistics of class `class_id` (None when there is no such class).

    `quizzes` maps a lesson to its Quiz (questions, choices and their feedback come from it; a
    question nobody answered is listed too); `skills` are the practice skills to list even when
    no learner has a level in them yet (a mapping gives each its title). `now` decides which
    reviews are overdue. The activity per day is a query of its own (`activity`): the
    dashboard asks for it beside these, so neither waits for the other.
    """
    if isinstance(db, Engine):
        with db.connect() as conn:
            return class_stats(conn, class_id, quizzes, skills, now)
    row = db.execute(select(classes.c.id, classes.c.name).where(classes.c.id == class_id)).first()
    if row is None:
        return None
    learners = db.scalar(
        select(func.count()).select_from(class_members).where(class_members.c.class_id == class_id)
    )
    return {
        "class": {"id": row.id, "name": row.name, "learners": learners},
        "quiz": quiz_items(db, class_id, quizzes or {}),
        "nodes": graph_steps(db, class_id),
        "skills": skill_counts(db, class_id, learners, skills, now or datetime.now(UTC)),
    }


def _members(class_id: int):
    # Used as IN (...): both databases look each learner up in class_members' primary key.
    return select(class_members.c.learner).where(class_members.c.class_id == class_id)


def _bit(column):
    # A boolean as 0/1 for sums (SQLite stores 0/1 already; PostgreSQL has a real boolean).
    return case((column, 1), else_=0)


# --- The quiz ---------------------------------------------------------------------------------


def quiz_items(conn: Connection, class_id: int, quizzes: Mapping) -> list[dict]:
    """Per question: answered, facility, discrimination and each choice's count."""
    in_class = attempts.c.learner.in_(_members(class_id))
    # Each learner's first round of each lesson: the first in which they answered anything
    # (a learner may press Try again before answering).
    first_round = (
        select(attempts.c.learner, attempts.c.lesson, func.min(attempts.c.round).label("round"))
        .where(in_class)
        .group_by(attempts.c.learner, attempts.c.lesson)
        .cte("first_round")
    )
    # The first answer to each question in that round (one per round is stored; the oldest wins).
    first_ids = (
        select(func.min(attempts.c.id).label("id"))
        .join(
            first_round,
            and_(
                first_round.c.learner == attempts.c.learner,
                first_round.c.lesson == attempts.c.lesson,
                first_round.c.round == attempts.c.round,
            ),
        )
        .group_by(attempts.c.learner, attempts.c.lesson, attempts.c.question)
        .cte("first_ids")
    )
    firsts = (
        select(
            attempts.c.learner,
            attempts.c.lesson,
            attempts.c.question,
            attempts.c.choice,
            _bit(attempts.c.correct).label("x"),
        )
        .join(first_ids, first_ids.c.id == attempts.c.id)
        .cte("firsts")
    )
    totals = (
        select(firsts.c.learner, firsts.c.lesson, func.sum(firsts.c.x).label("total"))
        .group_by(firsts.c.learner, firsts.c.lesson)
        .cte("totals")
    )
    # y: the learner's first-round score on the other questions of the lesson (the rest score).
    # Grouped by choice as well: x is the same for everyone who chose it, so the question's
    # sums are the sums of its choices' rows, and one query gives both.
    y = totals.c.total - firsts.c.x
    rows = conn.execute(
        select(
            firsts.c.lesson,
            firsts.c.question,
            firsts.c.choice,
            func.count().label("n"),
            func.sum(firsts.c.x).label("sx"),
            func.sum(y).label("sy"),
            func.sum(firsts.c.x * y).label("sxy"),
            func.sum(firsts.c.x * firsts.c.x).label("sxx"),
            func.sum(y * y).label("syy"),
        )
        .join(
            totals,
            and_(totals.c.learner == firsts.c.learner, totals.c.lesson == firsts.c.lesson),
        )
        .group_by(firsts.c.lesson, firsts.c.question, firsts.c.choice)
    ).all()
    sums: dict[tuple, Sums] = {}
    counts: dict[tuple, dict[str, int]] = {}
    for r in rows:
        key = (r.lesson, r.question)
        sums[key] = sums.get(key, Sums()) + Sums(r.n, r.sx, r.sy, r.sxy, r.sxx, r.syy)
        counts.setdefault(key, {})[r.choice] = int(r.n)
    items = []
    for lesson, quiz in quizzes.items():
        for question in quiz.questions:
            key = (lesson, question.id)
            items.append(_quiz_item(lesson, question, sums.get(key, Sums()), counts.get(key, {})))
    return items


@dataclass(frozen=True)
class Sums:
    """The sums Pearson's r needs: n, Σx, Σy, Σxy, Σx², Σy² (integers, from the database)."""

    n: int = 0
    sx: int = 0
    sy: int = 0
    sxy: int = 0
    sxx: int = 0
    syy: int = 0

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(*(int(a) + int(b) for a, b in zip(astuple(self), astuple(other), strict=True)))


def _quiz_item(lesson: str, question, sums: Sums, counts: dict[str, int]) -> dict:
    n, right = sums.n, sums.sx
    choices = []
    for choice in question.choices:
        count = counts.get(choice.id, 0)
        correct = choice.id == question.correct
        choices.append(
            {
                "id": choice.id,
                "count": count,
                "correct": correct,
                "share": count / n if n else None,
                "text": choice.text,
                # A wrong choice is a misconception; its feedback's first sentence names it.
                "misconception": None if correct else first_sentence(choice.feedback),
            }
        )
    return {
        "lesson": lesson,
        "question": question.id,
        "prompt": question.prompt,
        "answered": n,
        "right": right,
        "facility": right / n if n >= 2 else None,
        "discrimination": pearson(sums),
        "choices": choices,
    }


def pearson(sums: Sums) -> float | None:
    """Pearson's r from its sums (None: fewer than 2 learners, or no variance)."""
    n, sx, sy, sxy, sxx, syy = astuple(sums)
    if n < 2:
        return None
    # Integers up to here: the variances are exact, so "no variance" is exactly zero.
    cov, var_x, var_y = n * sxy - sx * sy, n * sxx - sx * sx, n * syy - sy * sy
    if var_x <= 0 or var_y <= 0:
        return None
    return cov / math.sqrt(var_x * var_y)


_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = {"br", "img", "hr", "wbr", "input", "meta", "link"}
_STOP = re.compile(r"[.:;!?](?=\s|$)")


def first_sentence(html: str) -> str:
    """The first sentence of an HTML text (formulas kept whole): up to the first full stop,
    colon or semicolon outside any element, else the whole text."""
    depth, at = 0, 0
    for match in list(_TAG.finditer(html)) + [None]:
        end = match.start() if match else len(html)
        if depth == 0:
            stop = _STOP.search(html, at, end)
            if stop:
                return html[: stop.start()].strip() + "."
        if match is None:
            break
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            depth = max(0, depth - 1)
        elif not self_closing and name not in _VOID:
            depth += 1
        at = match.end()
    return html.strip()


# --- Your turn --------------------------------------------------------------------------------


def graph_steps(conn: Connection, class_id: int) -> list[dict]:
    """Per step (graph, node, quantity, parent): learners who tried, the share right at the
    first try, and the notes of the wrong answers, most common first."""
    in_class = graph_attempts.c.learner.in_(_members(class_id))
    step = (
        graph_attempts.c.graph,
        graph_attempts.c.node,
        graph_attempts.c.quantity,
        graph_attempts.c.parent,
    )
    # A Show me is stored as a row too, but it is not an answer.
    answered = graph_attempts.c.revealed == False  # noqa: E712 (SQL, not Python)
    # The first try's id and grade in one aggregate: ids are unique, so the smallest of
    # 2·id + wrong is the first try's, and its parity says whether it was wrong (no join back).
    first = func.min(graph_attempts.c.id * 2 + _bit(graph_attempts.c.correct == False))  # noqa: E712
    per_learner = (
        select(*step, (first % 2).label("wrong"))
        .where(in_class, answered)
        .group_by(graph_attempts.c.learner, *step)
        .subquery("per_learner")
    )
    firsts = conn.execute(
        select(
            *per_learner.c[:4],
            func.count().label("attempts"),
            func.sum(per_learner.c.wrong).label("wrong"),
        )
        .group_by(*per_learner.c[:4])
        .order_by(*per_learner.c[:4])
    ).all()
    wrong = conn.execute(
        select(*step, graph_attempts.c.note, func.count().label("count"))
        .where(in_class, answered, graph_attempts.c.correct == False)  # noqa: E712
        .where(graph_attempts.c.note.not_in(NOT_MISTAKES))
        .group_by(*step, graph_attempts.c.note)
    ).all()
    notes: dict[tuple, list[dict]] = {}
    for r in wrong:
        notes.setdefault(tuple(r[:4]), []).append({"note": r.note, "count": r.count})
    steps = []
    for r in firsts:
        key, tried, wrong_first = tuple(r[:4]), int(r.attempts), int(r.wrong)
        steps.append(
            {
                "graph": r.graph,
                "node": r.node,
                "quantity": r.quantity,
                "parent": r.parent,
                "attempts": tried,
                "first_try_correct": (tried - wrong_first) / tried,
                "wrong_first": wrong_first,
                "notes": sorted(notes.get(key, []), key=lambda n: (-n["count"], n["note"])),
            }
        )
    return steps


# --- Practice ---------------------------------------------------------------------------------


def skill_counts(
    conn: Connection,
    class_id: int,
    learners: int,
    skills: Iterable[str] | Mapping[str, str],
    now: datetime,
) -> list[dict]:
    """Per skill: learners at each level (no row yet is "new") and the reviews overdue."""
    rows = conn.execute(
        select(
            skill_levels.c.skill,
            skill_levels.c.level,
            func.count().label("count"),
            func.sum(case((skill_levels.c.due < now, 1), else_=0)).label("overdue"),
        )
        .where(skill_levels.c.learner.in_(_members(class_id)))
        .group_by(skill_levels.c.skill, skill_levels.c.level)
    ).all()
    titles = dict(skills) if isinstance(skills, Mapping) else {s: s for s in skills}
    found = {s: {"levels": dict.fromkeys(LEVELS, 0), "overdue": 0} for s in titles}
    for r in rows:
        entry = found.setdefault(r.skill, {"levels": dict.fromkeys(LEVELS, 0), "overdue": 0})
        if r.level in entry["levels"]:
            entry["levels"][r.level] += int(r.count)
        entry["overdue"] += int(r.overdue or 0)
    result = []
    for skill, entry in found.items():
        levels = entry["levels"]
        # A learner with no row for the skill has not met it yet.
        levels["new"] += learners - sum(levels.values())
        result.append(
            {
                "skill": skill,
                "title": titles.get(skill, skill),
                "levels": levels,
                "overdue": entry["overdue"],
            }
        )
    return result


# --- Activity ---------------------------------------------------------------------------------


def activity(conn: Connection, class_id: int) -> list[dict]:
    """Per day (UTC): answers of every kind, and how many learners gave them."""
    kinds = [(attempts, "quiz"), (graph_attempts, "graph"), (practice_attempts, "practice")]
    sqlite = conn.dialect.name == "sqlite"

    def day(column):
        # SQLite keeps times as ISO text (UTC here): its first 10 characters are the day, far
        # cheaper than parsing every row with date().
        return func.substr(column, 1, 10) if sqlite else func.date(func.timezone("UTC", column))

    every = union_all(
        *(
            select(
                table.c.learner,
                day(table.c.created_at).label("day"),
                literal(kind).label("kind"),
            ).where(table.c.learner.in_(_members(class_id)))
            for table, kind in kinds
        )
    ).subquery("every")
    rows = conn.execute(
        select(
            every.c.day,
            func.count().label("answers"),
            func.count(every.c.learner.distinct()).label("learners"),
            *(func.sum(case((every.c.kind == kind, 1), else_=0)).label(kind) for _t, kind in kinds),
        )
        .group_by(every.c.day)
        .order_by(every.c.day)
    ).all()
    return [
        {
            "day": str(r.day),
            "answers": int(r.answers),
            "learners": int(r.learners),
            **{kind: int(getattr(r, kind)) for _t, kind in kinds},
        }
        for r in rows
    ]
