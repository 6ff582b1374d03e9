"""Lighthouse (mobile preset) on the lesson page served by gunicorn: scores, bytes before scrolling.

Usage: .venv/bin/python bench/lighthouse_audit.py [PATH]  (installs Lighthouse 12.2.3 once)
Targets (issue 6): performance >= 95, accessibility 100, best practices 100, SEO >= 95,
bytes transferred before the first scroll < 250 KB.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import verdict  # noqa: E402
from server import ROOT, serve  # noqa: E402

LIGHTHOUSE_DIR = Path(__file__).resolve().parent / "lighthouse"
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 95}
BYTES_TARGET = 250 * 1024


def lighthouse_bin() -> Path:
    """The pinned Lighthouse, installed from bench/lighthouse/package-lock.json when missing."""
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LIGHTHOUSE_DIR, check=True)
    return binary


def audit(url: str) -> dict:
    """Run Lighthouse once on `url` and return its JSON report."""
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        sys.exit(
            "Lighthouse needs Chromium: run `make test` once (it installs it) or set CHROMIUM_PATH."
        )
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        flags = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic"
        subprocess.run(
            [
                str(lighthouse_bin()),
                url,
                "--quiet",
                f"--chrome-flags={flags}",
                "--output=json",
                f"--output-path={report}",
                "--only-categories=performance,accessibility,best-practices,seo",
            ],
            env={**os.environ, "CHROME_PATH": chromium},
            check=True,
            timeout=180,
        )
        return json.loads(report.read_text())


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/lessons/chain-rule-in-networks"
    with serve() as server:
        audit(server.url + path)  # warm-up: each worker's first compression of static files
        for attempt in range(3):
            try:
                result = audit(server.url + path)
                break
            except subprocess.CalledProcessError:
                # Lighthouse now and then fails to record a trace (NO_NAVSTART): run it again.
                if attempt == 2:
                    raise
    ok = True
    print(f"Lighthouse {result['lighthouseVersion']} on {path} (mobile preset, gunicorn)")
    for name, target in TARGETS.items():
        score = round(result["categories"][name]["score"] * 100)
        ok &= score >= target
        print(f"  {name:<15} {score:>4}   (target {target})")
    transferred = result["audits"]["total-byte-weight"]["numericValue"]
    ok &= transferred < BYTES_TARGET
    print(f"  bytes before first scroll: {transferred / 1024:.0f} KB (target < 250 KB)")
    for audit_id in (
        "first-contentful-paint",
        "largest-contentful-paint",
        "total-blocking-time",
        "cumulative-layout-shift",
        "speed-index",
    ):
        print(f"  {audit_id:<26} {result['audits'][audit_id]['displayValue']}")
    failing = [
        f"{a['id']}: {a['title']}"
        for a in result["audits"].values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
    ]
    if failing:
        print("  failing audits:\n    " + "\n    ".join(failing[:15]))
    return verdict(ok)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
