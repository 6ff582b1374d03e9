"""Teachers, their classes and the learners in them: every write and read of those tables.

A mixin of webapp.store.Store (as webapp.graph_store is), so `get_store()` reaches it.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from webapp.db import lock_learner, utc_now, writing
from webapp.schema import class_members, classes, teachers

# Join codes: no 0/O, 1/I/L or U/V pairs a student could misread off a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 8


class DuplicateTeacher(Exception):
    """A teacher with this email already exists."""


class TooManyClasses(Exception):
    """The bound on classes (a teacher's, or a learner's memberships) is reached."""


@dataclass(frozen=True)
class TeacherRow:
    """A stored teacher account."""

    id: int
    email: str
    password_hash: str
    created_at: datetime
    session_version: int = 0


def new_code() -> str:
    """A random join code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _teacher(row) -> TeacherRow | None:
    if row is None:
        return None
    return TeacherRow(row.id, row.email, row.password_hash, row.created_at, row.session_version)


def _learner_count():
    # Learners per class, one grouped subquery (never a loop over members).
    return (
        select(class_members.c.class_id, func.count().label("learners"))
        .group_by(class_members.c.class_id)
        .subquery()
    )


def _classes_with_counts():
    counts = _learner_count()
    learners = func.coalesce(counts.c.learners, 0).label("learners")
    return select(
        classes.c.id, classes.c.name, classes.c.code, classes.c.created_at, learners
    ).outerjoin(counts, counts.c.class_id == classes.c.id)


def _class(row) -> dict:
    return {"id": row.id, "name": row.name, "code": row.code, "learners": int(row.learners)}


class Teaching:
    """Teacher accounts, classes and memberships (needs `self.engine`)."""

    # --- Teachers ---------------------------------------------------------------------------

    def create_teacher(self, email: str, password_hash: str) -> int:
        """Store a new teacher; raises DuplicateTeacher when the email is taken."""
        try:
            with writing(self.engine) as conn:
                if conn.scalar(select(teachers.c.id).where(teachers.c.email == email)):
                    raise DuplicateTeacher(email)
                result = conn.execute(
                    teachers.insert().values(
                        email=email, password_hash=password_hash, created_at=utc_now()
                    )
                )
                return result.inserted_primary_key[0]
        except IntegrityError:  # created by another process between the check and the insert
            raise DuplicateTeacher(email) from None

    def teacher_by_email(self, email: str) -> TeacherRow | None:
        """The teacher with this (normalised) email, or None."""
        with self.engine.connect() as conn:
            return _teacher(conn.execute(select(teachers).where(teachers.c.email == email)).first())

    def teacher_by_id(self, teacher_id: int) -> TeacherRow | None:
        """The teacher with this id, or None."""
        with self.engine.connect() as conn:
            query = select(teachers).where(teachers.c.id == teacher_id)
            return _teacher(conn.execute(query).first())

    def set_password_hash(self, teacher_id: int, password_hash: str) -> None:
        """Replace a teacher's stored hash (a rehash with newer parameters)."""
        with writing(self.engine) as conn:
            conn.execute(
                update(teachers)
                .where(teachers.c.id == teacher_id)
                .values(password_hash=password_hash)
            )

    def end_sessions(self, teacher_id: int) -> None:
        """End every session of a teacher (a logout): their session version moves on."""
        with writing(self.engine) as conn:
            conn.execute(
                update(teachers)
                .where(teachers.c.id == teacher_id)
                .values(session_version=teachers.c.session_version + 1)
            )

    def list_teachers(self) -> list[dict]:
        """Every teacher with the number of their classes, by email."""
        counts = (
            select(classes.c.teacher, func.count().label("classes"))
            .group_by(classes.c.teacher)
            .subquery()
        )
        query = (
            select(
                teachers.c.email,
                teachers.c.created_at,
                func.coalesce(counts.c.classes, 0).label("classes"),
            )
            .outerjoin(counts, counts.c.teacher == teachers.c.id)
            .order_by(teachers.c.email)
        )
        with self.engine.connect() as conn:
            return [row._asdict() for row in conn.execute(query)]

    def delete_teacher(self, email: str) -> bool:
        """Delete a teacher, their classes and those classes' memberships; False if unknown."""
        with writing(self.engine) as conn:
            teacher_id = conn.scalar(select(teachers.c.id).where(teachers.c.email == email))
            if teacher_id is None:
                return False
            # Explicit rather than trusting ON DELETE CASCADE, which SQLite applies only with
            # its foreign-key pragma on.
            owned = select(classes.c.id).where(classes.c.teacher == teacher_id)
            conn.execute(delete(class_members).where(class_members.c.class_id.in_(owned)))
            conn.execute(delete(classes).where(classes.c.teacher == teacher_id))
            conn.execute(delete(teachers).where(teachers.c.id == teacher_id))
            return True

    # --- Classes ----------------------------------------------------------------------------

    def create_class(self, teacher_id: int, name: str, limit: int) -> dict:
        """A new class of the teacher with a fresh join code; TooManyClasses past `limit`."""
        for _try in range(5):
            code = new_code()
            try:
                with writing(self.engine) as conn:
                    # The teacher's row, locked: two requests at once cannot both pass the limit.
                    conn.execute(
                        select(teachers.c.id).where(teachers.c.id == teacher_id).with_for_update()
                    )
                    owned = conn.scalar(select(func.count()).where(classes.c.teacher == teacher_id))
                    if owned >= limit:
                        raise TooManyClasses(limit)
                    result = conn.execute(
                        classes.insert().values(
                            teacher=teacher_id, name=name, code=code, created_at=utc_now()
                        )
                    )
                return {"id": result.inserted_primary_key[0], "name": name, "code": code}
            except IntegrityError:  # the code was taken (about 1 in 10^11): draw another
                continue
        raise RuntimeError("could not draw an unused join code")

    def teacher_classes(self, teacher_id: int) -> list[dict]:
        """The teacher's classes, newest first, each with its number of learners."""
        query = (
            _classes_with_counts()
            .where(classes.c.teacher == teacher_id)
            .order_by(classes.c.created_at.desc(), classes.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [_class(row) for row in conn.execute(query)]

    def teacher_class(self, teacher_id: int, class_id: int) -> dict | None:
        """The class if this teacher owns it, else None (whether it exists or not)."""
        query = _classes_with_counts().where(
            classes.c.id == class_id, classes.c.teacher == teacher_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _class(row)

    # --- Memberships ------------------------------------------------------------------------

    def class_by_code(self, code: str) -> dict | None:
        """The class with this join code: {"id", "name"}, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(classes.c.id, classes.c.name).where(classes.c.code == code)
            ).first()
        return None if row is None else {"id": row.id, "name": row.name}

    def join_class(self, class_id: int, learner: str, nickname: str | None, limit: int) -> None:
        """Put the learner in the class; again: only the nickname changes (when one is given)."""
        now = utc_now()
        with writing(self.engine) as conn:
            lock_learner(conn, learner, now)
            member = (class_members.c.class_id == class_id) & (class_members.c.learner == learner)
            if conn.execute(select(class_members.c.learner).where(member)).first():
                if nickname is not None:
                    conn.execute(update(class_members).where(member).values(nickname=nickname))
                return
            joined = conn.scalar(select(func.count()).where(class_members.c.learner == learner))
            if joined >= limit:
                raise TooManyClasses(limit)
            conn.execute(
                class_members.insert().values(
                    class_id=class_id, learner=learner, nickname=nickname, joined_at=now
                )
            )

    def leave_class(self, class_id: int, learner: str) -> bool:
        """Take the learner (and their nickname) out of the class; False if not in it."""
        with writing(self.engine) as conn:
            result = conn.execute(
                delete(class_members).where(
                    class_members.c.class_id == class_id, class_members.c.learner == learner
                )
            )
            return result.rowcount > 0

    def learner_classes(self, learner: str) -> list[dict]:
        """The classes the learner is in, in the order joined: {"id", "name", "nickname"}."""
        query = (
            select(classes.c.id, classes.c.name, class_members.c.nickname)
            .join(class_members, class_members.c.class_id == classes.c.id)
            .where(class_members.c.learner == learner)
            .order_by(class_members.c.joined_at, classes.c.id)
        )
        with self.engine.connect() as conn:
            return [row._asdict() for row in conn.execute(query)]
