"""Durable storage of quiz attempts through SQLAlchemy Core.

By default an SQLite file in the instance folder (created on first run, nothing to configure);
`DATABASE_URL` (config or environment) points several app servers at one shared database such as
PostgreSQL. The schema is created and migrated at start-up by Alembic (webapp/migrations), so a
later change adds a migration instead of asking anyone to rebuild the database.

Every attempt is committed in its own transaction before the server answers: an acknowledged
answer survives a crash of the process (and, with SQLite's `synchronous=FULL`, of the machine).
"""

import contextlib
import multiprocessing
import os
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from webapp.db import insert_ignore, lock_learner, utc_now, writing
from webapp.graph_store import GraphAttempts
from webapp.practice_store import PracticeStore
from webapp.schema import (
    attempts,
    metadata,
    quiz_rounds,
    schema_version,
)
from webapp.teach.store import Teaching

DEFAULT_FILE = "lessons.db"
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
# How long an SQLite writer waits for another one to finish before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Any fixed number: PostgreSQL's advisory lock that serialises schema creation between servers.
_SCHEMA_LOCK_KEY = 7_311_946_205


class StoreError(RuntimeError):
    """The database cannot be used as it is (for example, a schema newer than this code)."""


class AlreadyAnswered(Exception):
    """The learner already answered this question in this round; `attempt` is that answer."""

    def __init__(self, attempt: "Attempt"):
        super().__init__(f"question {attempt.question!r} already answered in round {attempt.round}")
        self.attempt = attempt


@dataclass(frozen=True)
class Attempt:
    """A stored answer."""

    id: int
    learner: str
    lesson: str
    question: str
    choice: str
    correct: bool
    round: int
    created_at: datetime


@dataclass(frozen=True)
class RoundState:
    """Where a learner is in a lesson's quiz: the round and its first answer to each question."""

    round: int
    answers: dict[str, Attempt]


def database_url(app: Flask) -> str:
    """`DATABASE_URL` from the config or the environment, else an SQLite file in `instance/`."""
    url = app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(app.instance_path, DEFAULT_FILE)
    # Hosting platforms often hand out "postgres://", which SQLAlchemy does not accept.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, full fsync on commit and a busy timeout."""
    if not url.startswith("sqlite"):
        # pre_ping: a connection dropped by the database or a proxy is replaced, not reported.
        return create_engine(url, pool_pre_ping=True)

    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs = {"poolclass": StaticPool} if memory else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # SQLAlchemy, not the sqlite3 module, says when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: readers never block the writer. FULL: every commit is on disk before it returns.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock at BEGIN IMMEDIATE, waiting up to the busy timeout; a
        # deferred transaction that reads and then writes could fail at once with "locked".
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


# --- Schema -----------------------------------------------------------------------------------


def init_schema(engine: Engine, script_location: str = MIGRATIONS_DIR) -> int:
    """Create the tables, or migrate them to the newest revision in `script_location`, with
    Alembic; return the schema version before (0: a new database).

    Runs in one transaction that holds the write lock, so several servers starting at once
    migrate once and never see half a schema. A database of a release before Alembic (its own
    `schema_version` table) is stamped with the matching revision first, and that table dropped.
    """
    # Alembic is imported here, not at the top: the server runs its migrations in a child
    # process (init_app), so Alembic's ~12 MB never enter a worker's memory budget.
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        config = Config()
        config.set_main_option("script_location", script_location)
        script = ScriptDirectory.from_config(config)
        head = script.get_current_head()
        context = MigrationContext.configure(conn)
        current = context.get_current_revision()
        if current is None and inspect(conn).has_table(schema_version.name):
            legacy = conn.scalar(select(func.max(schema_version.c.version)))
            current = f"{legacy:04d}"
            context.stamp(script, current)
            schema_version.drop(conn)
        try:
            script.get_revision(current)
        except (CommandError, RevisionError):  # a revision this code does not know
            raise StoreError(
                f"the database is at schema version {current}, newer than this code "
                f"({head}): run the newer version of the app"
            ) from None

        def upgrade(revision, _context):
            return script._upgrade_revs(head, revision)

        with EnvironmentContext(config, script, fn=upgrade, destination_rev=head) as env:
            env.configure(connection=conn, target_metadata=metadata)
            env.run_migrations()
        return int(current or 0)


def get_schema_version(engine: Engine) -> int | None:
    """The database's schema version (its Alembic revision), or None when it has none yet."""
    from alembic.runtime.migration import MigrationContext  # see init_schema

    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    return None if revision is None else int(revision)


# --- The store --------------------------------------------------------------------------------


class Store(GraphAttempts, PracticeStore, Teaching):
    """Quiz attempts and rounds, one short transaction per call."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def record_attempt(
        self, learner: str, lesson: str, question: str, choice: str, correct: bool
    ) -> Attempt:
        """Store the learner's answer to a question in the current round; committed on return.

        Raises AlreadyAnswered (storing nothing) when the question has an answer in this round.
        """
        now = utc_now()
        with writing(self.engine) as conn:
            lock_learner(conn, learner, now)
            round_no = self._round(conn, learner, lesson)
            earlier = conn.execute(
                select(attempts)
                .where(
                    attempts.c.learner == learner,
                    attempts.c.lesson == lesson,
                    attempts.c.round == round_no,
                    attempts.c.question == question,
                )
                .order_by(attempts.c.id)
                .limit(1)
            ).first()
            if earlier is not None:
                raise AlreadyAnswered(_attempt(earlier))
            insert_ignore(
                conn,
                quiz_rounds,
                {"learner": learner, "lesson": lesson, "round": round_no, "started_at": now},
            )
            values = {
                "learner": learner,
                "lesson": lesson,
                "question": question,
                "choice": choice,
                "correct": bool(correct),
                "round": round_no,
                "created_at": now,
            }
            result = conn.execute(attempts.insert().values(**values))
            attempt_id = result.inserted_primary_key[0]
        return Attempt(id=attempt_id, **values)

    def start_round(self, learner: str, lesson: str) -> int:
        """Start the learner's next round of a lesson's quiz ("Try again") and return its number."""
        for _try in range(5):
            now = utc_now()
            try:
                with writing(self.engine) as conn:
                    lock_learner(conn, learner, now)
                    round_no = self._round(conn, learner, lesson) + 1
                    conn.execute(
                        quiz_rounds.insert().values(
                            learner=learner, lesson=lesson, round=round_no, started_at=now
                        )
                    )
                return round_no
            except IntegrityError:
                # Two tabs pressed "Try again" together and the other won this number: go on.
                continue
        raise StoreError("could not start a new round")

    def round_state(self, learner: str, lesson: str) -> RoundState:
        """The learner's current round and their first answer to each question in it."""
        with self.engine.connect() as conn:
            round_no = self._round(conn, learner, lesson)
            rows = conn.execute(
                select(attempts)
                .where(
                    attempts.c.learner == learner,
                    attempts.c.lesson == lesson,
                    attempts.c.round == round_no,
                )
                .order_by(attempts.c.id)
            ).all()
        answers = {}
        for row in rows:
            # The first answer counts; later ones are stored (they are attempts) but not scored.
            answers.setdefault(row.question, _attempt(row))
        return RoundState(round=round_no, answers=answers)

    def ping(self) -> None:
        """Run a trivial query: raises when the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def attempts(self, lesson: str | None = None, learner: str | None = None) -> list[Attempt]:
        """Stored attempts, oldest first, optionally for one lesson and one learner."""
        query = select(attempts).order_by(attempts.c.id)
        if lesson is not None:
            query = query.where(attempts.c.lesson == lesson)
        if learner is not None:
            query = query.where(attempts.c.learner == learner)
        with self.engine.connect() as conn:
            return [_attempt(row) for row in conn.execute(query)]

    @staticmethod
    def _round(conn: Connection, learner: str, lesson: str) -> int:
        # The newest round started; a learner who never answered is in round 1.
        latest = conn.scalar(
            select(func.max(quiz_rounds.c.round)).where(
                quiz_rounds.c.learner == learner, quiz_rounds.c.lesson == lesson
            )
        )
        return latest or 1


def _attempt(row) -> Attempt:
    return Attempt(
        id=row.id,
        learner=row.learner,
        lesson=row.lesson,
        question=row.question,
        choice=row.choice,
        correct=bool(row.correct),
        round=row.round,
        created_at=row.created_at,
    )


# --- Flask wiring -----------------------------------------------------------------------------


def _create_private_file(url: str) -> None:
    # SQLite creates a missing database file with the umask's permissions (often world-readable)
    # and gives its -wal and -shm files the same: create it first, readable by its owner only.
    path = make_url(url).database
    if url.startswith("sqlite") and path and path != ":memory:" and not os.path.exists(path):
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


MIGRATE_TIMEOUT_SEC = 300  # a migration waiting longer (on another server's lock) is stuck


def _migrate_and_report(url: str, pipe) -> None:
    # In the child: its own engine (no connection crosses the fork), the outcome sent back.
    try:
        engine = make_engine(url)
        try:
            pipe.send(("ok", init_schema(engine)))
        finally:
            engine.dispose()
    except Exception as exc:  # any failure is the parent's to raise, with its words
        pipe.send(("error", f"{exc}" if isinstance(exc, StoreError) else f"{exc!r}"))


def migrate_in_child(url: str) -> int:
    """Run init_schema for `url` in a forked child process and return its result; StoreError
    with the child's reason when it fails. The server process never imports Alembic."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_migrate_and_report, args=(url, writer), daemon=True)
    child.start()
    writer.close()
    try:
        if not reader.poll(MIGRATE_TIMEOUT_SEC):
            child.kill()
            raise StoreError(f"the schema migration did not finish in {MIGRATE_TIMEOUT_SEC} s")
        kind, value = reader.recv()
    except EOFError:
        kind, value = "error", "the schema migration process stopped before it answered"
    finally:
        reader.close()
        child.join(5)
    if kind == "error":
        raise StoreError(f"cannot prepare the database: {value}")
    return value


def init_app(app: Flask) -> Store:
    """Open the database named by the config, create or migrate its schema, attach the Store."""
    url = database_url(app)
    _create_private_file(url)
    engine = make_engine(url)
    if url in ("sqlite://", "sqlite:///:memory:"):
        init_schema(engine)  # a database in this process's memory: nowhere else to migrate it
    else:
        migrate_in_child(url)
    # No connection is kept from start-up: gunicorn may fork after this, and a connection must
    # never be shared between processes.
    engine.dispose()
    store = Store(engine)
    app.extensions["store"] = store
    return store


def get_store() -> Store:
    """The current app's Store."""
    return current_app.extensions["store"]
