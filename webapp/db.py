"""Write transactions on the lessons' database: one writer at a time, handed over at once.

Used by every module that writes (webapp.store and webapp.graph_store). `writing` is one
transaction per caller; `write_grouped` lets the threads of a process share one (group commit).
"""

import fcntl
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, bindparam, select

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


class _Waiting:
    """One caller's work in a group commit: its result or error, and the event that wakes it."""

    __slots__ = ("work", "result", "error", "done")

    def __init__(self, work):
        self.work, self.result, self.error = work, None, None
        self.done = threading.Event()


class _Committer:
    """A thread that writes the work of every waiting caller of a process in one transaction."""

    MAX_BATCH = 256

    MAX_IDLE_S = 5.0  # then the thread ends (a later write starts another)

    def __init__(self, engine: Engine):
        self.engine = weakref.ref(engine)  # the table of committers must not keep engines alive
        self.pid = os.getpid()
        self.queue: list[_Waiting] = []
        self.ready = threading.Condition()
        self.running = False

    def submit(self, work):
        waiting = _Waiting(work)
        with self.ready:
            self.queue.append(waiting)
            if not self.running:
                self.running = True
                threading.Thread(target=self._run, name="group-commit", daemon=True).start()
            self.ready.notify()
        waiting.done.wait()
        if waiting.error is not None:
            raise waiting.error
        return waiting.result

    def _run(self):
        while True:
            with self.ready:
                if not self.queue:
                    self.ready.wait(self.MAX_IDLE_S)
                if not self.queue:
                    self.running = False
                    return
            self._commit()

    def _take(self):
        with self.ready:
            batch = self.queue[: self.MAX_BATCH]
            del self.queue[: self.MAX_BATCH]
        return batch

    def _commit(self):
        # The batch is taken once the writer's turn is ours: whoever arrived while another
        # process held it joins this transaction.
        batch = None
        try:
            engine = self.engine()
            if engine is None:
                raise RuntimeError("the database engine was closed")
            with writing(engine, durable=False) as conn:
                batch = self._take()
                for waiting in batch:
                    try:
                        # A savepoint each: one caller's bad row fails alone, the rest commit.
                        with conn.begin_nested():
                            waiting.result = waiting.work(conn)
                    except Exception as exc:  # noqa: BLE001 (handed to the caller, raised there)
                        waiting.error = exc
        except Exception as exc:  # noqa: BLE001 BEGIN or COMMIT failed: nothing of it is stored
            if batch is None:
                batch = self._take()
            for waiting in batch:
                if waiting.error is None:
                    waiting.error, waiting.result = exc, None
        finally:
            for waiting in batch or ():
                waiting.done.set()


_COMMITTERS: "weakref.WeakKeyDictionary[Engine, _Committer]" = weakref.WeakKeyDictionary()
_COMMITTERS_LOCK = threading.Lock()


def write_grouped(engine: Engine, work: Callable[[Connection], object]) -> object:
    """Run `work(conn)` in a write transaction shared with the other threads of this process
    that write at the same moment, and return its result once that transaction is committed.

    Group commit: one thread per process takes the writer's turn for everyone waiting, so the
    turn is taken once per batch instead of once per row, and no thread holds it while it waits
    for the interpreter lock behind threads that are grading. Each work runs in a savepoint:
    an error fails that caller alone (raised in its thread). The commit is real, before this
    returns, but not flushed to disk on its own (durable=False of `writing`). An SQLite file
    only; other databases (and SQLite in memory, one shared connection) get `writing` inline.
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path in getattr(_HOLDING, "paths", ()):
        with writing(engine, durable=False) as conn:  # one transaction of its own
            return work(conn)
    committer = _COMMITTERS.get(engine)
    if committer is None or committer.pid != os.getpid():  # a forked worker starts its own
        with _COMMITTERS_LOCK:
            committer = _COMMITTERS.get(engine)
            if committer is None or committer.pid != os.getpid():
                committer = _COMMITTERS[engine] = _Committer(engine)
    return committer.submit(work)


_INSERT_IGNORE: dict[tuple[str, str], object] = {}
_LOCK_LEARNER = select(learners.c.id).where(learners.c.id == bindparam("id")).with_for_update()


def insert_ignore(conn: Connection, table: Table, values: dict) -> None:
    # Insert a row unless one with the same primary key exists (the row is the same thing).
    # The statement is built once per dialect and table: building it is most of its cost.
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        statement = _INSERT_IGNORE.get((name, table.name))
        if statement is None:
            if name == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert
            statement = _INSERT_IGNORE[(name, table.name)] = insert(table).on_conflict_do_nothing()
        conn.execute(statement, values)
        return
    key = [column == values[column.name] for column in table.primary_key.columns]
    if conn.execute(select(1).select_from(table).where(*key)).first() is None:
        conn.execute(table.insert().values(**values))


def lock_learner(conn: Connection, learner: str, now: datetime) -> None:
    # Create the learner's row if needed and lock it to the end of the transaction: two writes
    # for one learner (answers racing, Try again) take turns, so a check and the insert after it
    # see the same round. SQLite's BEGIN IMMEDIATE already lets one writer in at a time.
    insert_ignore(conn, learners, {"id": learner, "created_at": now})
    conn.execute(_LOCK_LEARNER, {"id": learner})
