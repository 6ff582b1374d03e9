"""Rate limits that hold across processes: a real redis-server shared by two apps and by gunicorn's
workers, and the documented bound (limit x workers) of the per-process default."""

import shutil
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import make_test_app
from tests.servers import Gunicorn, RedisServer
from webapp.schema import quiz_rounds

LESSON = "chain-rule-in-networks"
QUIZ = f"/api/lessons/{LESSON}/quiz"
QUESTIONS = ["neuron-dw", "linear-transpose", "error-reuse"]


@pytest.fixture(scope="module")
def redis_uri():
    # Directly under /tmp: a Unix socket's path is limited to about 100 characters.
    directory = Path(tempfile.mkdtemp(prefix="redis-"))
    server = RedisServer(directory)
    try:
        yield server.uri
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_two_machines_sharing_redis_hold_one_learners_limit_exactly(tmp_path, redis_uri):
    # 60 restarts at once from one learner, spread over two app servers: exactly 30 pass.
    settings = {
        "SECRET_KEY": "shared-secret-of-both-machines",
        "RATELIMIT_STORAGE_URI": redis_uri,
        "RATELIMIT_KEY_PREFIX": "two-machines",
        "QUIZ_RESETS_PER_MINUTE": 30,
    }
    servers = [make_test_app(tmp_path / name, **settings) for name in "ab"]
    first = servers[0].test_client()
    first.get(QUIZ)
    cookie = first.get_cookie("session").value
    barrier = threading.Barrier(60)

    def press(number):
        client = servers[number % 2].test_client()
        client.set_cookie("session", cookie)
        barrier.wait(timeout=20)
        return number % 2, client.post(f"{QUIZ}/reset").status_code

    with ThreadPoolExecutor(60) as pool:
        results = list(pool.map(press, range(60)))
    statuses = [status for _, status in results]
    assert statuses.count(200) == 30 and statuses.count(429) == 30
    # Each machine has its own SQLite file here: together they hold the 30 rounds.
    total = 0
    for server in servers:
        with server.extensions["store"].engine.connect() as conn:
            total += conn.scalar(select(func.count()).select_from(quiz_rounds))
    assert total == 30


def flood(base_url: str, count: int) -> list[int]:
    """`count` cookieless answers from 8 threads: the statuses."""

    def post(number):
        url = f"{base_url}{QUIZ}/{QUESTIONS[number % 3]}/answer"
        return requests.post(url, json={"choice": "a"}, timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, range(count)))


def gunicorn_with(tmp_path, env=None, **config) -> Gunicorn:
    return Gunicorn(tmp_path / "instance", tmp_path / "server.log", 3, env=env, config=config)


def attempts_in(server: Gunicorn) -> int:
    with sqlite3.connect(server.instance / "lessons.db") as conn:
        return conn.execute("SELECT count(*) FROM attempts").fetchone()[0]


@pytest.mark.slow
def test_gunicorn_workers_sharing_redis_stop_a_cookieless_flood_at_the_limit(tmp_path, redis_uri):
    env = {"RATELIMIT_STORAGE_URI": redis_uri}
    server = gunicorn_with(tmp_path, env, WRITES_PER_MINUTE_PER_ADDRESS=20)
    try:
        statuses = flood(server.url, 90)
        stored = attempts_in(server)
    finally:
        server.stop()
    assert statuses.count(200) == 20 and statuses.count(429) == 70
    assert stored == 20


@pytest.mark.slow
def test_per_process_counters_bound_a_flood_by_the_limit_times_the_workers(tmp_path):
    # The default store counts in each worker: the README states this bound (limit x workers).
    server = gunicorn_with(tmp_path, WRITES_PER_MINUTE_PER_ADDRESS=10)
    try:
        statuses = flood(server.url, 90)
        stored = attempts_in(server)
    finally:
        server.stop()
    assert 10 <= statuses.count(200) <= 30 and statuses.count(200) + statuses.count(429) == 90
    assert stored == statuses.count(200)


def test_an_unreachable_redis_falls_back_to_counting_in_the_process(tmp_path):
    missing = f"redis+unix://{tempfile.gettempdir()}/no-such-redis.sock"
    app = make_test_app(tmp_path, RATELIMIT_STORAGE_URI=missing, WRITES_PER_MINUTE_PER_ADDRESS=3)
    statuses = [app.test_client().post(f"{QUIZ}/reset").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
