"""Practice: the exercises handed out to each learner, their one answer each, and each learner's
mastery of each skill. The Store (webapp.store) mixes these methods in.

An answer is one write transaction: the skill's level is read, moved by the mastery rules, and
written back with the attempt. The attempt's exercise is unique, so a second answer to an exercise
(two tabs at once included) is refused and can never promote the skill twice.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from lessonengine.assessment.mastery import Mastery, advance
from webapp.db import lock_learner, utc_now, writing
from webapp.schema import practice_attempts, practice_exercises, skill_levels


def clock() -> datetime:
    """Now, by the app's clock: `CLOCK` in the config (tests move it forward), else the real one."""
    return current_app.config.get("CLOCK", utc_now)()


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands times back without their zone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class ExerciseAnswered(Exception):
    """The exercise already has its answer; `mastery` is the skill's level as stored."""

    def __init__(self, mastery: Mastery):
        super().__init__("this exercise was already answered")
        self.mastery = mastery


@dataclass(frozen=True)
class StoredExercise:
    """An exercise as handed out: who got it, the skill and the seed that regenerate it."""

    id: str
    learner: str
    skill: str
    seed: int
    created_at: datetime


@dataclass(frozen=True)
class PracticeAnswer:
    """What one answer did: the skill's level before and after it."""

    before: Mastery
    after: Mastery


class PracticeStore:
    """The Store's methods for practice_exercises, practice_attempts and skill_levels (it
    provides `self.engine`)."""

    def create_exercise(self, learner: str, skill: str, seed: int, now: datetime) -> str:
        """Hand out an exercise (skill and seed) to the learner; its random id, committed."""
        exercise_id = secrets.token_hex(16)
        with writing(self.engine, durable=False) as conn:
            lock_learner(conn, learner, now)
            conn.execute(
                practice_exercises.insert().values(
                    id=exercise_id, learner=learner, skill=skill, seed=seed, created_at=now
                )
            )
        return exercise_id

    def exercise(self, learner: str, exercise_id: str) -> StoredExercise | None:
        """The learner's own exercise with this id; None for an unknown id or another's."""
        c = practice_exercises.c
        query = select(practice_exercises).where(c.id == exercise_id, c.learner == learner)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return StoredExercise(row.id, row.learner, row.skill, row.seed, aware(row.created_at))

    def answer_exercise(
        self,
        exercise: StoredExercise,
        answer: str,
        correct: bool,
        note: str,
        now: datetime,
    ) -> PracticeAnswer:
        """Store the one answer to an exercise and move the skill's level by the mastery rules,
        in one transaction committed on return. Raises ExerciseAnswered (storing nothing) when
        the exercise has an answer already."""
        learner, skill = exercise.learner, exercise.skill
        try:
            with writing(self.engine) as conn:
                lock_learner(conn, learner, now)
                before = self._mastery(conn, learner, skill)
                if self._answered(conn, exercise.id):
                    raise ExerciseAnswered(before)
                # The same exercise again (same seed) after getting it right proves less than a
                # new one: the rules are told, so it cannot build a streak.
                repeat = self._right_before(conn, learner, skill, exercise.seed)
                after = advance(before, bool(correct), now, repeat=repeat)
                conn.execute(
                    practice_attempts.insert().values(
                        exercise=exercise.id,
                        learner=learner,
                        skill=skill,
                        seed=exercise.seed,
                        answer=answer,
                        correct=bool(correct),
                        note=note,
                        level_before=before.level,
                        level_after=after.level,
                        created_at=now,
                    )
                )
                self._save_mastery(conn, learner, skill, after, now)
        except IntegrityError:
            # Another answer to this exercise won the race (a database that does not queue
            # writers as SQLite does here): that one stands, this one is refused.
            raise ExerciseAnswered(self.mastery(learner, skill)) from None
        return PracticeAnswer(before, after)

    def mastery(self, learner: str, skill: str) -> Mastery:
        """The learner's level of one skill (`new` when never practised)."""
        with self.engine.connect() as conn:
            return self._mastery(conn, learner, skill)

    def masteries(self, learner: str | None) -> dict[str, Mastery]:
        """The learner's level of every skill practised, by skill id."""
        if learner is None:
            return {}
        query = select(skill_levels).where(skill_levels.c.learner == learner)
        with self.engine.connect() as conn:
            return {row.skill: _mastery(row) for row in conn.execute(query)}

    def practice_attempts(self, learner: str | None = None) -> list[dict]:
        """Stored practice attempts, oldest first, optionally one learner's (for tests)."""
        query = select(practice_attempts).order_by(practice_attempts.c.id)
        if learner is not None:
            query = query.where(practice_attempts.c.learner == learner)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    @staticmethod
    def _mastery(conn: Connection, learner: str, skill: str) -> Mastery:
        c = skill_levels.c
        row = conn.execute(
            select(skill_levels).where(c.learner == learner, c.skill == skill)
        ).first()
        return Mastery() if row is None else _mastery(row)

    @staticmethod
    def _answered(conn: Connection, exercise_id: str) -> bool:
        query = select(practice_attempts.c.id).where(practice_attempts.c.exercise == exercise_id)
        return conn.execute(query.limit(1)).first() is not None

    @staticmethod
    def _right_before(conn: Connection, learner: str, skill: str, seed: int) -> bool:
        c = practice_attempts.c
        query = select(c.id).where(
            c.learner == learner, c.skill == skill, c.seed == seed, c.correct.is_(True)
        )
        return conn.execute(query.limit(1)).first() is not None

    @staticmethod
    def _save_mastery(conn: Connection, learner: str, skill: str, state: Mastery, now) -> None:
        values = {
            "level": state.level,
            "streak": state.streak,
            "review_step": state.review_step,
            "due": state.due,
            "last_right_at": state.last_right_at,
            "updated_at": now,
        }
        c = skill_levels.c
        # The learner's row is locked (lock_learner), so nobody inserts it between these two.
        updated = conn.execute(
            skill_levels.update().where(c.learner == learner, c.skill == skill).values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(skill_levels.insert().values(learner=learner, skill=skill, **values))


def _mastery(row) -> Mastery:
    return Mastery(
        level=row.level,
        streak=row.streak,
        review_step=row.review_step,
        due=aware(row.due),
        last_right_at=aware(row.last_right_at),
    )
