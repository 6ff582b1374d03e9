"""A burst of wrong logins keeps a gunicorn worker under its memory budget (argon2 takes 19 MiB a
check; the worker checks one at a time)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.servers import gunicorn_in, rss_mb
from tests.teach.conftest import page_token

BUDGET_MB = 100  # the README's promise per worker
LOGINS = 24


@pytest.mark.slow
def test_parallel_wrong_logins_keep_the_worker_under_its_budget(tmp_path):
    # Limits above the burst: every login reaches its password check.
    limits = {"LOGINS_PER_MINUTE_PER_ADDRESS": 1000, "LOGINS_PER_HOUR_PER_ADDRESS": 1000}
    with gunicorn_in(tmp_path, workers=1, config=limits) as server:
        (worker,) = server.workers()
        before = rss_mb(worker)
        sessions = [requests.Session() for _ in range(LOGINS)]
        tokens = [page_token(s.get(f"{server.url}/teach/login", timeout=30).text) for s in sessions]
        start = threading.Barrier(LOGINS)
        peak = [before]
        done = threading.Event()

        def watch():
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb(worker))
                done.wait(0.005)

        def attempt(n):
            form = {"email": f"nobody{n}@example.org", "password": "wrong", "csrf_token": tokens[n]}
            start.wait()
            return sessions[n].post(f"{server.url}/teach/login", data=form, timeout=60).status_code

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(LOGINS) as pool:
                statuses = list(pool.map(attempt, range(LOGINS)))
        finally:
            done.set()
            watcher.join()
        print(f"\nworker RSS {before:.0f} MB, peak {peak[0]:.0f} MB under {LOGINS} wrong logins")
        assert statuses == [400] * LOGINS
        assert worker in server.workers(), "the worker was replaced"
        assert peak[0] < BUDGET_MB, f"worker at {peak[0]:.0f} MB"
