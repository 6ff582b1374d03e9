"""Load test: the production server under 64 connections for 30 s on a mix of requests.

Usage: .venv/bin/python bench/load_test.py [--seconds 30] [--connections 64]
The mix per connection: the lesson page, a node click (POST /api/graph/node) and a quiz answer.
Prints requests/s, p50/p99 latency, errors, each worker's resident memory (target < 100 MB), and
checks that every quiz answer the server acknowledged is in the database afterwards.
Loopback only, bounded in time.
"""

import argparse
import json
import re
import sqlite3
import sys

import wrk
from common import verdict
from server import rss_mb, serve

LESSON = "chain-rule-in-networks"

# Each wrk thread cycles through the three kinds of request. Quiz answers carry no cookie, so
# each is a new anonymous learner (no per-learner limit is hit); the answers the server
# acknowledged (200 with a grading in the body) are counted per thread and summed in done().
LUA = r"""
local lesson = "/lessons/%(lesson)s"
local answer = "/api/lessons/%(lesson)s/quiz/neuron-dw/answer"
local nodes = {%(nodes)s}
local threads = {}
local step = 0
acknowledged = 0
local page_headers = {["Accept-Encoding"] = "br, gzip"}
local json_headers = {["Content-Type"] = "application/json"}

function setup(thread) table.insert(threads, thread) end

function request()
  step = step + 1
  local kind = step %% 3
  if kind == 0 then
    return wrk.format("GET", lesson, page_headers)
  elseif kind == 1 then
    local node = nodes[(step %% #nodes) + 1]
    return wrk.format("POST", "/api/graph/node", json_headers,
      '{"preset": "neuron", "node": "' .. node .. '"}')
  else
    local choice = string.char(97 + (step %% 4))
    return wrk.format("POST", answer, json_headers, '{"choice": "' .. choice .. '"}')
  end
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"correct_choice"', 1, true) then
    acknowledged = acknowledged + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("acknowledged") end
  io.write(string.format("ACKNOWLEDGED %%d\n", total))
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py's")
    args = parser.parse_args()

    import multiprocessing

    workers = args.workers or multiprocessing.cpu_count() + 1
    # Every wrk connection comes from loopback, where a real class comes from many addresses:
    # lift the per-address write limit so the load is served, not refused.
    lifted = {"WRITES_PER_MINUTE_PER_ADDRESS": 10**9, "WRITES_PER_HOUR_PER_ADDRESS": 10**9}
    with serve(workers=workers, config=lifted) as server:
        import urllib.request

        request = urllib.request.Request(
            server.url + "/api/graph",
            data=json.dumps({"preset": "neuron"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        nodes = [n["id"] for n in json.load(urllib.request.urlopen(request))["nodes"]]
        lua = LUA % {"lesson": LESSON, "nodes": ", ".join(f'"{n}"' for n in nodes)}
        result = wrk.run(server.url, lua, connections=args.connections, seconds=args.seconds)
        memory = {pid: rss_mb(pid) for pid in server.workers()}
        with sqlite3.connect(server.instance / "lessons.db") as conn:
            stored = conn.execute(
                "SELECT count(*) FROM attempts WHERE question = 'neuron-dw'"
            ).fetchone()[0]
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    acknowledged = int(re.search(r"ACKNOWLEDGED (\d+)", result.output).group(1))

    print(f"load: {args.connections} connections, {args.seconds} s, {workers} gunicorn workers")
    print("  mix: lesson page, node click, quiz answer (1:1:1)")
    print(f"  requests: {result.requests}  ({result.rps:.0f} requests/s)")
    print(f"  latency: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
    print(f"  errors (non-2xx, socket): {result.errors}")
    for pid, mb in memory.items():
        print(f"  worker {pid}: {mb:.0f} MB resident")
    print(f"  quiz answers acknowledged: {acknowledged}, stored: {stored}, integrity: {integrity}")
    ok = (
        result.errors == 0
        and all(mb < 100 for mb in memory.values())
        and stored >= acknowledged
        and integrity == "ok"
    )
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
