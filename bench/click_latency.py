"""Benchmark: from a click on a graph node to the details panel drawn with the engine's answer.

Serves the app with the production server (gunicorn, 2 workers, the project's gunicorn.conf.py) on
a free loopback port, opens the lesson in headless Chromium (Debian's /usr/bin/chromium unless
CHROMIUM_PATH says otherwise) and clicks the neuron's nodes in turn, a different node each time so
every click asks the engine (POST /api/graph/node). Each click is timed in the page with
performance.now(): from dispatching the click to the widget's `graph:panel-drawn` event (the panel
holds the engine's numbers), and to the next frame after it (painted). The time to the panel is
split as the widget reports it: the request (click to the engine's answer), the panel's drawing
(KaTeX typesetting included) and what comes after (the event reaching the page). Prints the median
and p95 of each, the same requests made by fetch() alone (the network and the engine by
themselves), and the size of the widget's own JavaScript and CSS as it mounts (widget.js and
what it imports statically, and graph.css; what loads later, Your turn, the descent controls and
the playground's editor, is listed apart), then stops the server. KaTeX
itself is loaded before the timed clicks, as it is once a student's pointer or focus reaches the
widget. The lesson opens the graph in Your turn (no engine panel on a click): it is switched off
first.

Targets (issue 14): median at most 12 ms and p95 at most 25 ms over at least 50 clicks; the
widget's own JS + CSS under 60 KB uncompressed (KaTeX, vendored and shared with the lesson, not
counted). Bounded in time: start-up, then at most `--clicks` × 5 s, usually a few seconds.

    .venv/bin/python bench/click_latency.py
    .venv/bin/python bench/click_latency.py --clicks 200
"""

import argparse
import gzip
import json
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import ROOT, serve  # noqa: E402

LESSON = "/lessons/chain-rule-in-networks"
WIDGET = '[data-widget="graph"][data-preset="neuron"]'
GRAPH_JS = ROOT / "static/js/graph"
# `import ... from "./x.js"` (also over several lines) and `import "./x.js"`; not import().
STATIC_IMPORT = re.compile(
    r'^\s*(?:import|export)\b[^;()]*?\bfrom\s*"(\.[^"]+)"|^\s*import\s*"(\.[^"]+)"', re.M
)
TARGET_MEDIAN_MS, TARGET_P95_MS, TARGET_KB = 12, 25, 60

# Runs in the page: click node after node, wait for the panel, time both moments.
CLICKS_JS = """
async ([ids, count, pause]) => {
  const widget = document.querySelector('[data-widget="graph"][data-preset="neuron"]');
  const times = [];
  for (let i = 0; i < count; i += 1) {
    const id = ids[i % ids.length];
    const target = widget.querySelector(`[data-node="${id}"]`);
    const drawn = new Promise((resolve) => {
      const timer = setTimeout(() => resolve({}), 5000);
      widget.addEventListener("graph:panel-drawn", (event) => {
        clearTimeout(timer);
        resolve(event.detail);
      }, { once: true });
    });
    const start = performance.now();
    target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    const detail = await drawn;
    const node = detail.node;
    const drawnAt = performance.now();
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const paintedAt = performance.now();
    const shown = document.querySelector("#node-details [data-node-title]");
    const ok = node === id && shown && shown.dataset.nodeTitle === id;
    const after = drawnAt - start - (detail.request ?? 0) - (detail.draw ?? 0);
    times.push({
      id, ok, drawn: drawnAt - start, painted: paintedAt - start,
      request: detail.request, draw: detail.draw, after,
    });
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return times;
}
"""


# The same requests without the widget: what the network and the engine cost by themselves.
FETCH_JS = """
async ([ids, count, pause, api]) => {
  const times = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    const body = JSON.stringify({ preset: "neuron", values: {}, node: ids[i % ids.length] });
    const headers = { "Content-Type": "application/json" };
    const response = await fetch(api + "graph/node", { method: "POST", headers, body });
    await response.json();
    times.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return times;
}
"""


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(url, clicks, pause_ms, reduced_motion=False):
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    args += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            motion = "reduce" if reduced_motion else "no-preference"
            page = browser.new_page(viewport={"width": 1280, "height": 900}, reduced_motion=motion)
            page.goto(url + LESSON)
            widget = page.locator(WIDGET)
            widget.scroll_into_view_if_needed()  # mounts on approach
            widget.locator('[data-node="L"]').wait_for(timeout=15000)
            # The lesson opens this graph in Your turn, where a click asks the student instead
            # of showing the engine's panel: the worked panel is what is timed.
            turn = widget.locator('[data-action="your-turn"]')
            if turn.is_checked():
                turn.uncheck()
            widget.hover()  # a student's pointer arriving: KaTeX loads
            page.wait_for_function("() => Boolean(window.katex)", timeout=15000)
            ids = widget.locator("[data-node]").evaluate_all(
                "els => els.map((el) => el.dataset.node)"
            )
            page.evaluate(CLICKS_JS, [ids, 2 * len(ids), pause_ms])  # warm up: JIT, connections
            times = page.evaluate(CLICKS_JS, [ids, clicks, pause_ms])
            api = page.evaluate("JSON.parse(document.getElementById('app-config').textContent).api")
            fetches = page.evaluate(FETCH_JS, [ids, clicks, pause_ms, api])
            return ids, times, fetches
        finally:
            browser.close()


def static_imports(entry):
    """`entry` and every module it imports statically, directly or not: what loads with it."""
    seen, todo = [], [entry.resolve()]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.append(path)
            todo += [
                (path.parent / (a or b)).resolve()
                for a, b in STATIC_IMPORT.findall(path.read_text())
            ]
    return seen


def widget_files():
    """(at mount, later, shared): the widget's own files it loads as it mounts (with graph.css),
    its own files loaded later (dynamic import(): Your turn, descent, the playground's editor) with
    Your turn's stylesheet, and the modules it shares with other widgets (counted with neither)."""
    closure = static_imports(GRAPH_JS / "widget.js")
    mount = [p for p in closure if p.parent == GRAPH_JS] + [ROOT / "static/css/graph.css"]
    later = [p for p in sorted(GRAPH_JS.glob("*.js")) if p not in closure]
    later.append(ROOT / "static/css/yourturn.css")
    shared = [p for p in closure if p.parent != GRAPH_JS]
    return mount, later, shared


def sizes(paths):
    rows = [(p.relative_to(ROOT), p.read_bytes()) for p in paths]
    return [(str(name), len(data), len(gzip.compress(data, 9))) for name, data in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=60, help="timed clicks (at least 50)")
    parser.add_argument("--pause", type=int, default=40, help="ms between clicks")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--reduced-motion", action="store_true", help="emulate prefers-reduced-motion (no flow)"
    )
    options = parser.parse_args()
    clicks = max(50, options.clicks)

    with serve(workers=options.workers) as server:
        ids, times, fetches = measure(server.url, clicks, options.pause, options.reduced_motion)

    good = [t for t in times if t["ok"]]
    failed = len(times) - len(good)
    print(f"click -> panel drawn with the engine's answer: {len(times)} clicks on {len(ids)} nodes")
    if good:
        drawn = [t["drawn"] for t in good]
        painted = [t["painted"] for t in good]
        rows = (
            ("panel drawn", drawn),
            ("  request", [t["request"] for t in good]),
            ("  drawing", [t["draw"] for t in good]),
            ("  after", [t["after"] for t in good]),
            ("next frame", painted),
            ("fetch alone", fetches),
        )
        for name, values in rows:
            print(
                f"  {name:12s} median {statistics.median(values):6.2f} ms   "
                f"p95 {percentile(values, 95):6.2f} ms   max {max(values):6.2f} ms"
            )
        median, p95 = statistics.median(drawn), percentile(drawn, 95)
        verdict = median <= TARGET_MEDIAN_MS and p95 <= TARGET_P95_MS
        print(
            f"  target: median <= {TARGET_MEDIAN_MS} ms and p95 <= {TARGET_P95_MS} ms "
            f"(panel drawn): {'met' if verdict else 'NOT met'}"
        )
    if failed:
        print(
            f"  {failed} clicks got no panel for their node within 5 s (an error, or an answer "
            "about another node, which the widget refuses to draw)"
        )
    mount, later, shared = widget_files()
    total = 0
    for title, paths in (
        ("widget files loaded as it mounts", mount),
        ("loaded later (Your turn, the descent controls, the playground page's editor)", later),
        ("shared with the other widgets (not counted)", shared),
    ):
        rows = sizes(paths)
        print(f"{title} (bytes, gzip -9):")
        for name, size, packed in rows:
            print(f"  {name:34s} {size:7d} {packed:7d}")
        all_bytes, packed = sum(r[1] for r in rows), sum(r[2] for r in rows)
        print(f"  total {all_bytes / 1024:.1f} KB uncompressed, {packed / 1024:.1f} KB gzipped")
        total = total or all_bytes
    met = "met" if total < TARGET_KB * 1024 else "NOT met"
    print(f"widget JS + CSS at mount: {total / 1024:.1f} KB (target < {TARGET_KB} KB: {met})")
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores (other work skews)")
    print(json.dumps({"clicks": len(times), "failed": failed, "bytes": total, "load": load}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
