"""A cookieless flood against the production server: what the rate limits let through and store.

Usage: .venv/bin/python bench/flood.py [--seconds 20] [--connections 4]
Serves the app with gunicorn.conf.py (3 workers, as `make run` on 2 cores, default settings:
per-process counters), posts quiz answers without a cookie from loopback on `--connections`
connections for `--seconds`, then prints the answers accepted and refused, the rows stored and the
database's size. The bound: 600 writes a minute per address and worker (see the README's Rate
limits). Loopback only, bounded in time.
"""

import argparse
import os
import sqlite3
import sys
import threading
import time
from collections import Counter

import requests
from common import verdict
from server import serve

URL = "/api/lessons/chain-rule-in-networks/quiz/neuron-dw/answer"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    seconds = min(args.seconds, 120)

    statuses, lock = Counter(), threading.Lock()
    with serve(workers=3) as server:
        stop = time.monotonic() + seconds

        def post_until_stopped():
            while time.monotonic() < stop:
                # A new connection and no cookie each time, as `curl` in a loop would send.
                status = requests.post(server.url + URL, json={"choice": "a"}, timeout=10)
                with lock:
                    statuses[status.status_code] += 1

        threads = [threading.Thread(target=post_until_stopped) for _ in range(args.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 30)
        database = server.instance / "lessons.db"
        with sqlite3.connect(database) as conn:
            rows = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("learners", "quiz_rounds", "attempts")
            }
        size = sum(
            os.path.getsize(f"{database}{suffix}")
            for suffix in ("", "-wal")
            if os.path.exists(f"{database}{suffix}")
        )

    total = sum(statuses.values())
    print(f"cookieless flood: {args.connections} connections, {seconds} s, 3 workers, loopback")
    print(f"  answers posted: {total}; {statuses[200]} stored (200), {statuses[429]} refused (429)")
    print(f"  rows: {rows}; database {size / 1024:.0f} KB")
    bound = 600 * 3 * max(1, -(-seconds // 60))
    ok = (
        statuses[200] <= bound and set(statuses) <= {200, 429} and rows["attempts"] == statuses[200]
    )
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
