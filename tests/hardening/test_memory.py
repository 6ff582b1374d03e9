"""Memory that stays bounded whatever the requests (issue 15, section 2): the amplification found
by the attack, driven against gunicorn, with the worker's resident memory read from /proc."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.servers import gunicorn_in, rss_mb

# The README's promise per worker.
BUDGET_MB = 100
# Two 4,096-element inputs and 95 mse terms: a request under 64 KB whose views are megabytes.
SIZE, TERMS = 4096, 95
PROGRAM = "L = " + " + ".join(["mse(x, y)"] * TERMS)


def amplifying_body(variant: int) -> dict:
    # Each variant is another graph (another cache key), so nothing is served from a cache.
    x = [round(0.001 * ((i * 7 + variant) % 1000), 3) for i in range(SIZE)]
    y = [round(0.002 * ((i * 3 + variant) % 500), 3) for i in range(SIZE)]
    return {"program": PROGRAM, "values": {"x": x, "y": y}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # One worker takes every request, as the one the attack grew.
    with gunicorn_in(tmp_path_factory.mktemp("memory"), workers=1) as running:
        yield running


def test_the_amplifying_request_fits_the_body_limit():
    assert len(json.dumps(amplifying_body(0)).encode()) < 64 * 1024


@pytest.mark.slow
def test_requests_for_every_node_of_large_graphs_keep_the_worker_under_its_budget(server):
    (worker,) = server.workers()
    before = rss_mb(worker)
    body = amplifying_body(0)
    graph = requests.post(f"{server.url}/api/graph", json=body, timeout=60)
    assert graph.status_code == 200, graph.text[:300]
    nodes = [node["id"] for node in graph.json()["nodes"]]
    statuses = []

    def ask(task):
        variant, node = task
        body = {**amplifying_body(variant), "node": node}
        response = requests.post(f"{server.url}/api/graph/node", json=body, timeout=60)
        # A view too large to send is refused with a clear 400, never a 500 or a huge body.
        if response.status_code == 400:
            assert "numbers" in response.json()["message"], response.text[:300]
        assert len(response.content) < 4 * 2**20
        return response.status_code

    tasks = [(variant, node) for variant in range(4) for node in nodes]
    started = time.monotonic()
    peak = before
    with ThreadPoolExecutor(16) as pool:  # as many at once as a worker has threads
        for status in pool.map(ask, tasks):
            statuses.append(status)
            peak = max(peak, rss_mb(worker))
            assert peak < BUDGET_MB, f"worker at {peak:.0f} MB"
    after = rss_mb(worker)
    seconds = time.monotonic() - started
    print(f"\nworker RSS {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB")
    print(f"{len(tasks)} node requests in {seconds:.1f} s; statuses {sorted(set(statuses))}")
    assert set(statuses) <= {200, 400}
    assert worker in server.workers(), "the worker was replaced (killed or recycled)"
    assert after < BUDGET_MB


def cached_bytes(app) -> int:
    """Bytes held by the web layer's caches: rendered pages and compressed static files."""
    pages = app.extensions.get("rendered_pages", {})
    total = sum(len(body) for page in pages.values() for k, body in page.items() if k != "etag")
    return total + sum(
        len(body) for _, body in app.extensions.get("compressed_static", {}).values()
    )


def test_the_page_and_static_caches_hold_one_entry_per_page_and_file_whatever_is_asked(app):
    # Keys come from the course and the files on disk, never from the request: unknown lessons,
    # query strings and encodings add nothing.
    client = app.test_client()
    encodings = ["br", "gzip", "identity"]
    static = ["css/site.css", "js/main.js"]
    lessons = [lesson.id for lesson in app.extensions["course"].lessons]
    for _round in range(2):
        for encoding in encodings:
            headers = {"Accept-Encoding": encoding}
            client.get("/", headers=headers)
            for lesson in lessons:
                client.get(f"/lessons/{lesson}", headers=headers)
            for name in static:
                client.get(f"/static/{name}", headers=headers)
        first = cached_bytes(app)
        for number in range(200):
            headers = {"Accept-Encoding": encodings[number % 3]}
            assert client.get(f"/lessons/no-such-{number}", headers=headers).status_code == 404
            client.get(f"/static/{static[number % 2]}?v={number}", headers=headers)
            client.get(f"/static/missing-{number}.js", headers=headers)
        assert cached_bytes(app) == first
    assert len(app.extensions["rendered_pages"]) == 1 + len(lessons)
    assert len(app.extensions["compressed_static"]) == len(static) * 2  # br and gzip
    assert cached_bytes(app) < 8 * 2**20
