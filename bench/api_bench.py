"""Benchmark of the graph API under the production server: a click must cost next to nothing.

Serves the app with gunicorn (the settings of gunicorn.conf.py: 2 gthread workers of 16 threads, no
access log) on 127.0.0.1 and drives it with wrk, 16 connections, for a bounded time per target:

    GET  /api/ping                                  the trivial JSON endpoint (the baseline)
    POST /api/graph/node  neuron,    node "w"
    POST /api/graph/node  two-layer, node "_matmul2" (the matrix product that sends W2^T g to h)

Prints requests per second, p99 latency, errors, the ratio to the baseline, and each worker's
resident memory afterwards, then stops gunicorn. Loopback only; nothing runs longer than the
durations asked for plus a few seconds of start-up.

    .venv/bin/python bench/api_bench.py                 # 10 s per target
    .venv/bin/python bench/api_bench.py --duration 5 --no-cache
    .venv/bin/python bench/api_bench.py --max-requests 0   # no worker recycling during the run

`--no-cache` sets LESSONENGINE_CACHE=0 in the server: every request then runs forward
and backward and serializes (parsed programs stay cached): the engine's own cost.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_line, throughput_misses, verdict  # noqa: E402
from server import rss_mb, serve  # noqa: E402
from wrk import ensure_wrk  # noqa: E402

TARGETS = [
    ("ping", "GET", "/api/ping", None),
    ("node neuron w", "POST", "/api/graph/node", {"preset": "neuron", "node": "w"}),
    (
        "node two-layer _matmul2",
        "POST",
        "/api/graph/node",
        {"preset": "two-layer", "node": "_matmul2"},
    ),
]
# Targets of the issue: share of the baseline's requests/s, p99 latency, worker memory.
MIN_RATIO = {"node neuron w": 0.70, "node two-layer _matmul2": 0.50}
MAX_P99_MS = 20.0
MAX_RSS_MB = 100.0

LUA = """
wrk.method = "%(method)s"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d, "
    .. "\\"max_us\\": %%d, \\"errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def cpu_seconds(pids):
    """User + system CPU time of these processes, from /proc (robust to a busy machine)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that was replaced: reported as a restart
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def request(base, method, path, body):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as response:
        return response.status, json.loads(response.read())


def run_wrk(wrk, base, method, path, body, duration, connections, threads):
    lua = LUA % {"method": method, "body": json.dumps(json.dumps(body) if body else "")}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua)
        script = handle.name
    try:
        command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", script]
        output = subprocess.run(
            [*command, base + path], capture_output=True, text=True, timeout=duration + 30
        ).stdout
    finally:
        os.unlink(script)
    for line in output.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError("wrk printed no result:\n" + output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (max 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every target this many times, interleaved, and report medians (max 5)",
    )
    parser.add_argument("--no-cache", action="store_true", help="turn the engine's caches off")
    parser.add_argument(
        "--max-requests",
        type=int,
        help="override gunicorn's worker recycling (0: never); by default gunicorn.conf.py's",
    )
    args = parser.parse_args()
    duration = max(1, min(args.duration, 60))
    rounds_asked = max(1, min(args.rounds, 5))
    wrk = ensure_wrk()
    load_before = load_line()
    env = {"LESSONENGINE_CACHE": "0" if args.no_cache else "1"}
    recycling = () if args.max_requests is None else ("--max-requests", str(args.max_requests))
    with serve(workers=args.workers, env=env, args=recycling) as server:
        base = server.url
        for _name, method, path, body in TARGETS:  # warm up, and make sure each one answers
            for _ in range(20):
                status, _payload = request(base, method, path, body)
                assert status == 200, (path, status)
        rss_before = {pid: rss_mb(pid) for pid in server.workers()}
        rounds = []
        for round_number in range(1, rounds_asked + 1):
            measured = {}
            for name, method, path, body in TARGETS:
                print(f"round {round_number}, {name}: {duration} s...", flush=True)
                workers = server.workers()
                cpu = cpu_seconds(workers)
                result = run_wrk(
                    wrk, base, method, path, body, duration, args.connections, args.threads
                )
                result["cpu_us"] = (cpu_seconds(workers) - cpu) / max(1, result["requests"]) * 1e6
                result["restarts"] = len(set(workers) - set(server.workers()))
                measured[name] = result
            rounds.append(measured)
        rss = {pid: rss_mb(pid) for pid in server.workers()}
        server_log = server.log.read_text()

    # Each target is compared with the baseline of its own round (measured minutes apart at
    # most), then the medians over the rounds are reported: a busy machine skews less.
    results = {}
    for name, *_ in TARGETS:
        runs = [measured[name] for measured in rounds]
        results[name] = {
            key: statistics.median(run[key] for run in runs)
            for key in ("rps", "p50_us", "p99_us", "cpu_us")
        }
        results[name]["ratio"] = statistics.median(
            measured[name]["rps"] / measured["ping"]["rps"] for measured in rounds
        )
        for key in ("errors", "non_2xx", "restarts"):
            results[name][key] = sum(run[key] for run in runs)
    cache = "off" if args.no_cache else "on"
    recycle = "from gunicorn.conf.py" if args.max_requests is None else args.max_requests
    print(f"\n{load_before}")
    print(
        f"gunicorn {args.workers} gthread workers, wrk {args.threads} threads / "
        f"{args.connections} connections, {duration} s per target, engine cache {cache}, "
        f"max requests per worker {recycle}, {rounds_asked} round(s), medians\n"
    )
    print("| target | requests/s | vs ping | p50 ms | p99 ms | errors | worker CPU µs/request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    failures = []
    for name, result in results.items():
        ratio = result["ratio"]
        p99 = result["p99_us"] / 1000
        errors = result["errors"] + result["non_2xx"] + result["restarts"]
        print(
            f"| {name} | {result['rps']:,.0f} | {ratio:.0%} | {result['p50_us'] / 1000:.2f} | "
            f"{p99:.2f} | {errors} | {result['cpu_us']:.0f} |"
        )
        failures += throughput_misses(name, ratio, MIN_RATIO.get(name), p99, MAX_P99_MS, errors)
    print("\nworker RSS after warm-up: " + ", ".join(f"{mb:.1f} MB" for mb in rss_before.values()))
    print("worker RSS afterwards:   " + ", ".join(f"{mb:.1f} MB" for mb in rss.values()))
    failures += [f"worker {pid}: {mb:.1f} MB" for pid, mb in rss.items() if mb >= MAX_RSS_MB]
    if any(result["restarts"] for result in results.values()):
        print("\nworkers were replaced during the run; gunicorn's log:")
        print(server_log[-3000:])
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
