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
    skills: Iterable[str] = (),
    now: datetime | None = None,
) -> dict | None:
    """The statistics of class `class_id` (None when there is no such class).

    `quizzes` maps a lesson to its Quiz (questions, choices and their feedback come from it; a
    question nobody answered is listed too); `skills` are the practice skills to list even when
    no learner has a level in them yet. `now` decides which reviews are overdue.
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
        "activity": activity(db, class_id),
    }


def _members(class_id: int):
    return (
        select(class_members.c.learner).where(class_members.c.class_id == class_id).cte("members")
    )


def _bit(column):
    # A boolean as 0/1 for sums (SQLite stores 0/1 already; PostgreSQL has a real boolean).
    return case((column, 1), else_=0)


# --- The quiz ---------------------------------------------------------------------------------


def quiz_items(conn: Connection, class_id: int, quizzes: Mapping) -> list[dict]:
    """Per question: answered, facility, discrimination and each choice's count."""
    members = _members(class_id)
    # Each learner's first round of each lesson: the first in which they answered anything
    # (a learner may press Try again before answering).
    first_round = (
        select(
            attempts.c.learner,
            attempts.c.lesson,
            func.min(attempts.c.round).label("round"),
        )
        .join(members, members.c.learner == attempts.c.learner)
        .group_by(attempts.c.learner, attempts.c.lesson)
        .cte("first_round")
    )
    # The first answer to each question in that round (one per question, but the oldest wins).
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
    y = (totals.c.total - firsts.c.x).label("y")
    pairs = (
        select(firsts.c.lesson, firsts.c.question, firsts.c.x, y)
        .join(
            totals,
            and_(totals.c.learner == firsts.c.learner, totals.c.lesson == firsts.c.lesson),
        )
        .cte("pairs")
    )
    sums = conn.execute(
        select(
            pairs.c.lesson,
            pairs.c.question,
            func.count().label("n"),
            func.sum(pairs.c.x).label("sx"),
            func.sum(pairs.c.y).label("sy"),
            func.sum(pairs.c.x * pairs.c.y).label("sxy"),
            func.sum(pairs.c.x * pairs.c.x).label("sxx"),
            func.sum(pairs.c.y * pairs.c.y).label("syy"),
        ).group_by(pairs.c.lesson, pairs.c.question)
    ).all()
    chosen = conn.execute(
        select(
            firsts.c.lesson, firsts.c.question, firsts.c.choice, func.count().label("count")
        ).group_by(firsts.c.lesson, firsts.c.question, firsts.c.choice)
    ).all()
    by_question = {(r.lesson, r.question): r for r in sums}
    counts: dict[tuple, dict[str, int]] = {}
    for r in chosen:
        counts.setdefault((r.lesson, r.question), {})[r.choice] = r.count
    items = []
    for lesson, quiz in quizzes.items():
        for question in quiz.questions:
            key = (lesson, question.id)
            items.append(_quiz_item(lesson, question, by_question.get(key), counts.get(key, {})))
    return items


def _quiz_item(lesson: str, question, sums, counts: dict[str, int]) -> dict:
    n = int(sums.n) if sums else 0
    right = int(sums.sx) if sums else 0
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
        "discrimination": pearson(sums) if sums else None,
        "choices": choices,
    }


def pearson(sums) -> float | None:
    """Pearson's r from n, Σx, Σy, Σxy, Σx², Σy² (None: fewer than 2 learners, or no variance)."""
    n, sx, sy = int(sums.n), int(sums.sx), int(sums.sy)
    sxy, sxx, syy = int(sums.sxy), int(sums.sxx), int(sums.syy)
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
    members = _members(class_id)
    step = (
        graph_attempts.c.graph,
        graph_attempts.c.node,
        graph_attempts.c.quantity,
        graph_attempts.c.parent,
    )
    # A Show me is stored as a row too, but it is not an answer.
    answered = graph_attempts.c.revealed == False  # noqa: E712 (SQL, not Python)
    first_ids = (
        select(func.min(graph_attempts.c.id).label("id"))
        .join(members, members.c.learner == graph_attempts.c.learner)
        .where(answered)
        .group_by(graph_attempts.c.learner, *step)
        .cte("first_ids")
    )
    firsts = conn.execute(
        select(
            *step,
            func.count().label("attempts"),
            func.sum(_bit(graph_attempts.c.correct)).label("right"),
        )
        .join(first_ids, first_ids.c.id == graph_attempts.c.id)
        .group_by(*step)
        .order_by(*step)
    ).all()
    wrong = conn.execute(
        select(*step, graph_attempts.c.note, func.count().label("count"))
        .join(members, members.c.learner == graph_attempts.c.learner)
        .where(answered, graph_attempts.c.correct == False)  # noqa: E712
        .where(graph_attempts.c.note.not_in(NOT_MISTAKES))
        .group_by(*step, graph_attempts.c.note)
    ).all()
    notes: dict[tuple, list[dict]] = {}
    for r in wrong:
        notes.setdefault(tuple(r[:4]), []).append({"note": r.note, "count": r.count})
    steps = []
    for r in firsts:
        key, tried, right = tuple(r[:4]), int(r.attempts), int(r.right)
        steps.append(
            {
                "graph": r.graph,
                "node": r.node,
                "quantity": r.quantity,
                "parent": r.parent,
                "attempts": tried,
                "first_try_correct": right / tried,
                "wrong_first": tried - right,
                "notes": sorted(notes.get(key, []), key=lambda n: (-n["count"], n["note"])),
            }
        )
    return steps


# --- Practice ---------------------------------------------------------------------------------


def skill_counts(
    conn: Connection, class_id: int, learners: int, skills: Iterable[str], now: datetime
) -> list[dict]:
    """Per skill: learners at each level (no row yet is "new") and the reviews overdue."""
    members = _members(class_id)
    rows = conn.execute(
        select(
            skill_levels.c.skill,
            skill_levels.c.level,
            func.count().label("count"),
            func.sum(case((skill_levels.c.due < now, 1), else_=0)).label("overdue"),
        )
        .join(members, members.c.learner == skill_levels.c.learner)
        .group_by(skill_levels.c.skill, skill_levels.c.level)
    ).all()
    found: dict[str, dict] = {s: {"levels": dict.fromkeys(LEVELS, 0), "overdue": 0} for s in skills}
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
        result.append({"skill": skill, "levels": levels, "overdue": entry["overdue"]})
    return result


# --- Activity ---------------------------------------------------------------------------------


def activity(conn: Connection, class_id: int) -> list[dict]:
    """Per day (UTC): answers of every kind, and how many learners gave them."""
    members = _members(class_id)
    kinds = [
        (attempts, "quiz"),
        (graph_attempts, "graph"),
        (practice_attempts, "practice"),
    ]
    every = union_all(
        *(
            select(
                table.c.learner,
                func.date(table.c.created_at).label("day"),
                literal(kind).label("kind"),
            ).join(members, members.c.learner == table.c.learner)
            for table, kind in kinds
        )
    ).subquery("every")
    rows = conn.execute(
        select(
            every.c.day,
            func.count().label("answers"),
            func.count(every.c.learner.distinct()).label("learners"),
            *(
                func.sum(case((every.c.kind == kind, 1), else_=0)).label(kind)
                for _table, kind in kinds
            ),
        )
        .group_by(every.c.day)
        .order_by(every.c.day)
    ).all()
    return [
        {
            "day": str(r.day),
            "answers": int(r.answers),
            "learners": int(r.learners),
            **{kind: int(getattr(r, kind)) for _table, kind in kinds},
        }
        for r in rows
    ]
