"""Benchmark of Your-turn grading under the production server (issue 11).

Serves the app with gunicorn (gunicorn.conf.py, 2 workers) on 127.0.0.1 with the rate limits
raised out of the way, and drives it with wrk, 16 connections, for a bounded time per target:

    GET  /api/ping            the trivial JSON endpoint (the baseline)
    POST /api/graph/answer    the neuron's dL/dw as an expression, (a - y)*x: read, evaluated at
                              the graph's values and re-run at 6 nearby points, stored (committed)
    POST /api/graph/answer    a wrong number for dL/dz, graded against the mistake catalogue

Then sends each hostile answer of the issue once and times it. Prints requests per second, the
ratio to the baseline, p99 latency, errors, and the hostile answers' status and time; and, to
say where an answer's time goes, the median CPU time in this process of grading each answer and
of storing one attempt (the group-committed insert, then the read of the counts and progress).
Targets: grading p99 under 20 ms, answers per second at least 0.5 of ping, hostile answers a 400
within 100 ms.

    .venv/bin/python bench/answer_bench.py               # 10 s per target
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_bench import request, run_wrk  # noqa: E402
from common import load_line, throughput_misses, verdict  # noqa: E402
from server import serve  # noqa: E402
from wrk import ensure_wrk  # noqa: E402

TARGETS = [
    ("ping", "GET", "/api/ping", None),
    (
        "answer: expression, right",
        "POST",
        "/api/graph/answer",
        {"preset": "neuron", "node": "w", "quantity": "grad", "answer": "(a - y)*x"},
    ),
    (
        "answer: number, a mistake",
        "POST",
        "/api/graph/answer",
        {"preset": "neuron", "node": "z", "quantity": "grad", "answer": "0.3318"},
    ),
]
HOSTILE = {
    "__import__('os')": "__import__('os')",
    "9**9**9**9": "9**9**9**9",
    "5,000 nested brackets": "(" * 5000 + "1" + ")" * 5000,
    "60 KB of text": "x" * 60_000,
    "a name outside the graph": "secret + 1",
}
MIN_RATIO = 0.5
MAX_P99_MS = 20.0
MAX_HOSTILE_MS = 100.0
UNLIMITED = {
    "QUIZ_ANSWERS_PER_MINUTE": 10**9,
    "WRITES_PER_MINUTE_PER_ADDRESS": 10**9,
    "WRITES_PER_HOUR_PER_ADDRESS": 10**9,
}


def post_status(base, body):
    data = json.dumps(body).encode()
    req = urllib.request.Request(base + "/api/graph/answer", data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, (time.perf_counter() - started) * 1000


def in_process_ms(repeat=300):
    """Median milliseconds, in this process, of grading each target's answer and of storing one
    attempt (on an SQLite file, as the server does)."""
    import statistics
    import tempfile

    from lessonengine.assessment.grader import grade
    from lessonengine.engine.presets import compute_preset
    from webapp.graph_store import GraphStep
    from webapp.store import Store, init_schema, make_engine

    def median_ms(work):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    graph = compute_preset("neuron")
    timings = {}
    for name, _method, _path, body in TARGETS[1:]:
        args = (graph, body["node"], body["quantity"], None, body["answer"])
        timings[f"grading: {name}"] = median_ms(lambda a=args: grade(*a, seed=len(a[-1])))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        init_schema(engine)
        store, step = Store(engine), GraphStep("neuron", "w", "grad", None)
        learner = iter(f"{k:032d}" for k in range(10**6))
        timings["storing one attempt and reading its counts (no other writer)"] = median_ms(
            lambda: store.record_graph_attempt(next(learner), step, "(a - y)*x", True, "correct")
        )
        engine.dispose()
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (max 60)")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    duration = max(1, min(args.duration, 60))
    wrk = ensure_wrk()
    load_before = load_line()
    with serve(workers=2, config=UNLIMITED) as server:
        base = server.url
        for _name, method, path, body in TARGETS:
            for _ in range(20):
                status, _payload = request(base, method, path, body)
                assert status == 200, (path, status, _payload)
        results = {}
        for name, method, path, body in TARGETS:
            print(f"{name}: {duration} s...", flush=True)
            results[name] = run_wrk(wrk, base, method, path, body, duration, args.connections, 2)
        hostile = {
            label: post_status(
                base, {"preset": "neuron", "node": "w", "quantity": "grad", "answer": text}
            )
            for label, text in HOSTILE.items()
        }
    print(f"\n{load_before}")
    print("\n| in one process, one request at a time | median ms |\n| --- | ---: |")
    for label, ms in in_process_ms().items():
        print(f"| {label} | {ms:.2f} |")
    print()
    print(
        f"gunicorn 2 workers, wrk 2 threads / {args.connections} connections, {duration} s each\n"
    )
    print("| target | requests/s | vs ping | p50 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    failures = []
    ping = results["ping"]["rps"]
    for name, result in results.items():
        ratio = result["rps"] / ping
        p99 = result["p99_us"] / 1000
        errors = result["errors"] + result["non_2xx"]
        print(
            f"| {name} | {result['rps']:,.0f} | {ratio:.0%} | {result['p50_us'] / 1000:.2f} | "
            f"{p99:.2f} | {errors} |"
        )
        target = name != "ping"
        limits = (MIN_RATIO, MAX_P99_MS) if target else (None, None)
        failures += throughput_misses(name, ratio, limits[0], p99, limits[1], errors)
    print("\n| hostile answer | status | ms |\n| --- | ---: | ---: |")
    for label, (status, ms) in hostile.items():
        print(f"| {label} | {status} | {ms:.1f} |")
        if status != 400 or ms >= MAX_HOSTILE_MS:
            failures.append(f"hostile {label}: {status} in {ms:.0f} ms")
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
