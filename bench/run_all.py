"""Every benchmark in turn (`make bench`): each starts its own gunicorn and prints its figures.

Bounded in time (a few minutes in all), loopback only. The figures go in the README's Figures.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ("engine API vs a trivial endpoint (issue 3)", ["api_bench.py", "--duration", "10"]),
    ("click to panel in the browser (issue 4)", ["click_latency.py"]),
    ("Lighthouse on the lesson page (issue 6)", ["lighthouse_audit.py"]),
    ("mixed load, 64 connections, 30 s (issue 7)", ["load_test.py"]),
    ("/healthz under 10 slow clients (issue 15)", ["slow_clients.py"]),
    ("a cookieless flood against the rate limits (issue 15)", ["flood.py"]),
    (
        "the teacher's dashboard, 10,000 learners, SQLite and PostgreSQL (issue 13)",
        ["teach_bench.py"],
    ),
]


def main() -> int:
    failed = []
    for title, command in SCRIPTS:
        print(f"\n=== {title}: {' '.join(command)}", flush=True)
        result = subprocess.run([sys.executable, *command], cwd=HERE, check=False)
        if result.returncode != 0:
            failed.append(command[0])
    print("\nall benchmarks met their targets" if not failed else f"\nmissed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
