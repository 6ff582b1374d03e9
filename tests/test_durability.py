"""Nothing acknowledged is lost: answers survive SIGKILL of the server, and concurrent answers from
many learners all land. The crash test runs the production server (gunicorn, two workers)."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.servers import Gunicorn, learner_of, stored_attempts

LESSON = "chain-rule-in-networks"
QUESTIONS = ["neuron-dw", "linear-transpose", "error-reuse"]
CHOICES = ["a", "b", "c", "d"]


def answer_url(base, question):
    return f"{base}/api/lessons/{LESSON}/quiz/{question}/answer"


@pytest.mark.slow
def test_acknowledged_answers_survive_sigkill_of_the_server(tmp_path):
    instance = tmp_path / "instance"
    server = Gunicorn(instance, tmp_path / "first.log")
    sessions = []
    acknowledged = []  # (session index, question, choice) of every 200
    lock = threading.Lock()
    stop = threading.Event()

    def keep_answering(index: int) -> None:
        # Keep answering until the server dies under us; record what it acknowledged. Each
        # learner answers the three questions once (a second answer in a round is refused).
        step = 0
        while not stop.is_set():
            question, choice = QUESTIONS[step % 3], CHOICES[(step + index) % 4]
            if step % 3 == 0:
                with lock:
                    sessions.append(requests.Session())
                    number, session = len(sessions) - 1, sessions[-1]
            step += 1
            try:
                response = session.post(
                    answer_url(server.url, question), json={"choice": choice}, timeout=10
                )
            except requests.RequestException:
                return  # the server is gone: this answer was never acknowledged
            if response.status_code == 200:
                with lock:
                    acknowledged.append((number, question, choice))
            else:
                return

    try:
        threads = [threading.Thread(target=keep_answering, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        wanted = 60
        deadline = time.monotonic() + 60
        while len(acknowledged) < wanted and time.monotonic() < deadline:
            time.sleep(0.01)
        # Killed while answers are still in flight: those may or may not be stored, but every
        # acknowledged one must be.
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        stop.set()
        server.stop()
    assert len(acknowledged) >= wanted, "the server answered too slowly to test anything"

    key = (instance / "secret_key").read_text().strip()
    # A session the server never answered has no cookie (and no acknowledged answer).
    learners = {i: learner_of(sessions[i], key) for i, _q, _c in acknowledged}
    expected = Counter((learners[i], q, c) for i, q, c in acknowledged)
    stored = stored_attempts(instance / "lessons.db")
    missing = expected - stored
    assert not missing, f"acknowledged but lost after SIGKILL: {missing}"
    # At most one answer per thread was in flight when the server died.
    assert sum(stored.values()) <= len(acknowledged) + 6

    # Started again on the same folder: the same key, so each learner finds their progress.
    again = Gunicorn(instance, tmp_path / "second.log")
    try:
        assert (instance / "secret_key").read_text().strip() == key
        for index, session in enumerate(sessions):
            mine = [(q, c) for i, q, c in acknowledged if i == index]
            if not mine:
                continue
            reply = session.get(f"{again.url}/api/lessons/{LESSON}/quiz", timeout=10)
            assert reply.status_code == 200
            answered = reply.json()["progress"]["answered"]
            for question, choice in mine:
                assert answered[question]["choice"] == choice, (index, question)
        assert stored_attempts(instance / "lessons.db") == stored  # nothing new, nothing gone
    finally:
        again.stop()


@pytest.mark.slow
def test_many_learners_answering_at_once_through_gunicorn_all_land(tmp_path):
    instance = tmp_path / "instance"
    server = Gunicorn(instance, tmp_path / "server.log")
    try:
        results = run_learners(server.url, learners=24, threads=12)
    finally:
        server.stop()
    key = (instance / "secret_key").read_text().strip()
    expected = Counter(
        (learner_of(session, key), question, choice)
        for session, answers in results
        for question, choice in answers
    )
    assert sum(expected.values()) == 24 * 3
    assert stored_attempts(instance / "lessons.db") == expected


def run_learners(base_url: str, learners: int, threads: int):
    """`learners` sessions, each answering the three questions, spread over `threads` threads."""

    def one_learner(index: int):
        session = requests.Session()
        assert session.get(f"{base_url}/api/lessons/{LESSON}/quiz", timeout=30).status_code == 200
        answers = []
        for step, question in enumerate(QUESTIONS):
            choice = CHOICES[(index + step) % 4]
            response = session.post(
                answer_url(base_url, question), json={"choice": choice}, timeout=30
            )
            assert response.status_code == 200, response.text
            answers.append((question, choice))
        progress = response.json()["progress"]
        assert progress["current"] is None and set(progress["answered"]) == set(QUESTIONS)
        return session, answers

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one_learner, range(learners)))


def test_many_learners_answering_at_once_through_the_live_server_all_land(live_server, live_app):
    store = live_app.extensions["store"]
    before = len(store.attempts(lesson=LESSON))
    results = run_learners(live_server, learners=30, threads=10)
    key = live_app.config["SECRET_KEY"]
    for session, answers in results:
        mine = store.attempts(lesson=LESSON, learner=learner_of(session, key))
        assert [(a.question, a.choice) for a in mine] == answers
    assert len(store.attempts(lesson=LESSON)) == before + 30 * 3
