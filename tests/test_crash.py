"""A crash under load loses nothing: SIGKILL a gunicorn worker, then the master, mid-traffic."""

import os
import signal
import sqlite3
import threading
import time
from collections import Counter

import pytest
import requests

from tests.servers import Gunicorn, Threads, learner_of, stored_attempts

LESSON = "chain-rule-in-networks"
QUIZ = f"/api/lessons/{LESSON}/quiz"


class Traffic(Threads):
    """Threads sending a mix of page, node-click and quiz-answer requests; 200 answers recorded."""

    def __init__(self, base_url: str, threads: int = 6):
        self.base_url = base_url
        self.acknowledged = []  # (session, question, choice) of every answer answered with 200
        self.sessions = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        with self.lock:
            self.sessions.append(session)
        return session

    def _run(self, index: int) -> None:
        questions = ["neuron-dw", "linear-transpose", "error-reuse"]
        session, step = self._new_session(), 0
        while not self.stop.is_set():
            step += 1
            if step % 9 == 0:
                # A new learner after each has answered the three questions once (a second
                # answer in a round is refused), well under the per-learner limit.
                session = self._new_session()
            kind = step % 3
            try:
                if kind == 0:
                    session.get(f"{self.base_url}/lessons/{LESSON}", timeout=5)
                elif kind == 1:
                    body = {"preset": "neuron", "node": "w"}
                    session.post(f"{self.base_url}/api/graph/node", json=body, timeout=5)
                else:
                    question, choice = questions[(step // 3) % 3], "abcd"[(step + index) % 4]
                    url = f"{self.base_url}{QUIZ}/{question}/answer"
                    response = session.post(url, json={"choice": choice}, timeout=5)
                    if response.status_code == 200:
                        with self.lock:
                            self.acknowledged.append((session, question, choice))
            except requests.RequestException:
                time.sleep(0.05)  # a killed worker or master: not acknowledged, try again

    join_seconds = 15

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.acknowledged) >= count, "the server answered too slowly to test anything"


@pytest.mark.slow
def test_sigkill_of_a_worker_then_the_master_under_load_loses_no_answer(tmp_path):
    instance = tmp_path / "instance"
    server = Gunicorn(instance, tmp_path / "first.log")
    try:
        with Traffic(server.url) as traffic:
            traffic.wait_for(30)
            victim = server.workers()[0]
            os.kill(victim, signal.SIGKILL)
            # The master replaces the worker and the traffic goes on.
            traffic.wait_for(len(traffic.acknowledged) + 30)
            assert victim not in server.workers()
            server.kill()  # SIGKILL to the master and every worker at once
    finally:
        server.stop()

    key = (instance / "secret_key").read_text().strip()
    expected = Counter(
        (learner_of(session, key), question, choice)
        for session, question, choice in traffic.acknowledged
    )
    database = instance / "lessons.db"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    missing = expected - stored_attempts(database)
    assert not missing, f"acknowledged but lost: {missing}"

    again = Gunicorn(instance, tmp_path / "second.log")
    try:
        assert requests.get(f"{again.url}/healthz", timeout=10).json()["status"] == "ok"
        assert not expected - stored_attempts(database)
    finally:
        again.stop()
