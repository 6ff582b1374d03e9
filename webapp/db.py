"""Write transactions on the lessons' database: one writer at a time, handed over at once.

Used by every module that writes (webapp.store and webapp.graph_store).
"""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, select

from webapp.schema import learners


def utc_now() -> datetime:
    return datetime.now(UTC)


_TURNS: dict[str, tuple[threading.Lock, str]] = {}
_HOLDING = threading.local()  # the databases whose turn this thread holds (a write inside one)


@contextmanager
def write_turn(engine: Engine) -> Iterator[None]:
    # SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in
    # growing steps (1, 2, 5 ... 100 ms) before it tries again: under load the tail latency is
    # those sleeps. Writers queue instead: a lock for the threads of this process, and an
    # advisory lock on a file beside the database for the other processes; each is handed over
    # the moment it is released. Other databases queue writers themselves.
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    held = getattr(_HOLDING, "paths", None)
    if held is None:
        held = _HOLDING.paths = set()
    if not path or path == ":memory:" or path in held:
        yield
        return
    turn = _TURNS.get(path)
    if turn is None:
        turn = _TURNS.setdefault(path, (threading.Lock(), path + ".writer-lock"))
    lock, lock_path = turn
    with lock:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.add(path)
            yield
        finally:
            held.discard(path)
            os.close(fd)  # closing releases the advisory lock


@contextmanager
def writing(engine: Engine, durable: bool = True) -> Iterator[Connection]:
    # A connection in a write transaction, committed on leaving the block without an error.
    # durable=False: committed (atomic, it survives a crash of the app) but not flushed to the
    # disk on its own: SQLite's synchronous=NORMAL in WAL mode, PostgreSQL's synchronous_commit
    # off. A power cut may lose the last moments of such writes, never corrupt the database.
    with write_turn(engine), engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if not durable and sqlite:  # on the driver's connection: SQLAlchemy must not BEGIN yet
            conn.connection.dbapi_connection.execute("PRAGMA synchronous = NORMAL")
        try:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                if not durable and conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn
        finally:
            if not durable and sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA synchronous = FULL")


def insert_ignore(conn: Connection, table: Table, values: dict) -> None:
    # Insert a row unless one with the same primary key exists (the row is the same thing).
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        conn.execute(insert(table).values(**values).on_conflict_do_nothing())
        return
    key = [column == values[column.name] for column in table.primary_key.columns]
    if conn.execute(select(1).select_from(table).where(*key)).first() is None:
        conn.execute(table.insert().values(**values))


def lock_learner(conn: Connection, learner: str, now: datetime) -> None:
    # Create the learner's row if needed and lock it to the end of the transaction: two writes
    # for one learner (answers racing, Try again) take turns, so a check and the insert after it
    # see the same round. SQLite's BEGIN IMMEDIATE already lets one writer in at a time.
    insert_ignore(conn, learners, {"id": learner, "created_at": now})
    conn.execute(select(learners.c.id).where(learners.c.id == learner).with_for_update())
