"""Your-turn attempts are written by group commit (webapp.db.write_grouped): writers that arrive
together share one transaction, a bad row fails alone, nothing is acknowledged before it is
committed, and a SIGKILL of the server loses no acknowledged attempt."""

import sqlite3
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy.exc import IntegrityError

from tests.servers import Gunicorn, learner_of
from webapp.db import insert_ignore, utc_now, write_grouped, write_turn
from webapp.graph_store import GraphStep
from webapp.schema import graph_attempts, learners
from webapp.store import Store, init_schema, make_engine


def _row(learner, answer):
    return {
        "learner": learner,
        "graph": "neuron",
        "node": "w",
        "quantity": "grad",
        "parent": "",
        "answer": answer,
        "correct": False,
        "note": "sign",
        "revealed": False,
        "created_at": utc_now(),
    }


def _insert(learner, answer):
    def work(conn):
        insert_ignore(conn, learners, {"id": learner, "created_at": utc_now()})
        conn.execute(graph_attempts.insert(), _row(learner, answer))
        return conn.get_transaction()

    return work


def test_writers_waiting_together_share_one_transaction_and_a_bad_row_fails_alone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lessons.db'}")
    init_schema(engine)
    results, errors = {}, {}

    def writer(index):
        # Writer 3's answer is NULL: the NOT NULL constraint fails its row, and only its row.
        work = _insert("a" * 32, None if index == 3 else f"answer {index}")
        try:
            results[index] = write_grouped(engine, work)
        except IntegrityError as exc:
            errors[index] = exc

    # Hold the writer's turn while 8 writers queue, so the committer finds them all waiting.
    with write_turn(engine):
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        assert not results and not errors, "acknowledged before the transaction committed"
    for thread in threads:
        thread.join(timeout=10)

    assert set(errors) == {3} and set(results) == {0, 1, 2, 4, 5, 6, 7}
    assert len({id(transaction) for transaction in results.values()}) == 1  # one transaction
    # Committed, as another connection (another process would) sees it.
    with sqlite3.connect(tmp_path / "lessons.db") as conn:
        stored = sorted(a for (a,) in conn.execute("SELECT answer FROM graph_attempts"))
    assert stored == [f"answer {i}" for i in (0, 1, 2, 4, 5, 6, 7)]
    engine.dispose()


def test_a_write_that_cannot_commit_is_an_error_in_every_waiting_thread(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lessons.db'}")
    init_schema(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE graph_attempts")  # every row of the batch fails
    with pytest.raises(Exception, match="graph_attempts"):
        write_grouped(engine, _insert("b" * 32, "0.5"))
    engine.dispose()


def test_counts_and_progress_come_back_with_the_attempt_from_many_threads(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lessons.db'}")
    init_schema(engine)
    store = Store(engine)
    step = GraphStep("neuron", "z", "grad", None)
    counts = []

    def learner_answers(index):
        learner = f"{index:032d}"
        for attempt in range(5):
            counts.append(
                (learner, store.record_graph_attempt(learner, step, "0.5", False, "sign").attempts)
            )
            del attempt

    threads = [threading.Thread(target=learner_answers, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Each learner's counts went 1, 2, ... 5: every reply counted its own attempt, committed.
    for index in range(12):
        mine = sorted(n for learner, n in counts if learner == f"{index:032d}")
        assert mine == [1, 2, 3, 4, 5]
    progress = store.graph_progress(f"{0:032d}", "neuron")
    assert progress["attempted"] == [
        {"node": "z", "quantity": "grad", "parent": None, "attempts": 5}
    ]
    engine.dispose()


@pytest.mark.slow
def test_acknowledged_your_turn_answers_survive_sigkill_of_the_server(tmp_path):
    instance = tmp_path / "instance"
    server = Gunicorn(instance, tmp_path / "first.log")
    acknowledged, sessions = [], []
    lock, stop = threading.Lock(), threading.Event()

    def keep_answering(index):
        # Each thread is a few learners, each sending a few answers (under the rate limit).
        step = 0
        while not stop.is_set():
            if step % 8 == 0:
                session = requests.Session()
                with lock:
                    sessions.append(session)
            text = f"0.{index}{step}"
            body = {"preset": "neuron", "node": "z", "quantity": "grad", "answer": text}
            step += 1
            try:
                response = session.post(f"{server.url}/api/graph/answer", json=body, timeout=10)
            except requests.RequestException:
                return  # the server is gone: never acknowledged
            if response.status_code != 200:
                return
            with lock:
                acknowledged.append((session, text))

    threads = [threading.Thread(target=keep_answering, args=(i,)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 150 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()  # mid-traffic: answers in flight may or may not be stored
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        stop.set()
        server.stop()
    assert len(acknowledged) >= 150, "the server answered too slowly to test anything"

    key = (instance / "secret_key").read_text().strip()
    expected = Counter((learner_of(session, key), text) for session, text in acknowledged)
    database = instance / "lessons.db"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = Counter(conn.execute("SELECT learner, answer FROM graph_attempts").fetchall())
    missing = expected - stored
    assert not missing, f"acknowledged but lost after SIGKILL: {missing}"
    assert sum(stored.values()) <= len(acknowledged) + len(threads)  # at most one in flight each
