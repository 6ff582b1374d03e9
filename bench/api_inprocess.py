"""CPU time per request of the graph API inside one process, next to the trivial endpoint.

A companion to api_bench.py for a busy machine: it calls the WSGI app directly (no server, no
sockets) and counts the process's CPU time, which other programs on the machine barely change.
Each target is measured in several interleaved rounds; the best round is reported.

    .venv/bin/python bench/api_inprocess.py
"""

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="api-inprocess-"))

from lessonengine import graph as engine  # noqa: E402
from webapp import create_app  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import api_bench  # noqa: E402

# The same targets as api_bench.py, and the whole two-layer graph.
TARGETS = [*api_bench.TARGETS, ("graph two-layer", "POST", "/api/graph", {"preset": "two-layer"})]


def call(app, method, path, body):
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/json" if body is not None else "",
    }
    status = []
    b"".join(app.wsgi_app(environ, lambda s, headers, exc_info=None: status.append(s)))
    assert status[0].startswith("200"), (path, status)


def cpu_per_request(app, target, count):
    _name, method, path, body = target
    started = time.process_time()
    for _ in range(count):
        call(app, method, path, body)
    return (time.process_time() - started) / count * 1e6


def main():
    app = create_app()
    print(
        f"CPU µs per request, best of 5 interleaved rounds (load average {os.getloadavg()[0]:.1f})"
    )
    print("| target | cache on | vs ping | cache off | vs ping |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = {}
    for cache in (True, False):
        engine.cache_enabled = cache
        best = {target[0]: float("inf") for target in TARGETS}
        for target in TARGETS:  # warm up
            cpu_per_request(app, target, 50)
        for _ in range(5):
            for target in TARGETS:
                count = 100 if target[0].startswith("graph") and not cache else 600
                best[target[0]] = min(best[target[0]], cpu_per_request(app, target, count))
        rows[cache] = best
    for name, *_ in TARGETS:
        on, off = rows[True][name], rows[False][name]
        print(
            f"| {name} | {on:.0f} | {rows[True]['ping'] / on:.0%} | {off:.0f} | "
            f"{rows[False]['ping'] / off:.0%} |"
        )
    engine.cache_enabled = True


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # do not wait on background threads of other modules
