"""Slow clients against the production server: /healthz latency while 10 clients trickle requests.

Usage: .venv/bin/python bench/slow_clients.py [--seconds 10] [--clients 10] [--worker-class gthread]
Serves the app with gunicorn.conf.py (3 workers, as `make run` on 2 cores; WORKER_CLASS picks
gthread or gevent), starts the trickling clients (a byte every 0.5 s, half of them headers, half a
body), then asks /healthz every 0.2 s and prints the median and worst answer times and how many
trickling connections the server cut off. Target: every /healthz within 1 s. Loopback only,
bounded in time.
"""

import argparse
import statistics
import sys
import time

import requests
from common import verdict
from server import SlowClients, serve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--worker-class", choices=["gthread", "gevent"], default="gthread")
    args = parser.parse_args()

    times, failures = [], 0
    with serve(workers=3, env={"WORKER_CLASS": args.worker_class}) as server:
        with SlowClients(server.url, count=args.clients) as slow:
            time.sleep(1)
            deadline = time.monotonic() + min(args.seconds, 120)
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    ok = requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
                except requests.RequestException:
                    ok = False
                times.append((time.monotonic() - started) * 1000)
                failures += not ok
                time.sleep(0.2)
        cut_off = slow.cut_off

    print(f"slow clients: {args.clients} trickling, {args.worker_class}, 3 workers")
    print(f"  /healthz: {len(times)} asked, {failures} failed")
    print(f"  median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms")
    print(f"  trickling connections cut off by the server: {cut_off}")
    ok = failures == 0 and max(times) < 1000
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
