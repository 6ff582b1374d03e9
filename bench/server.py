"""Start and stop the production server (gunicorn) on a free loopback port for the benchmarks."""

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn worker processes of `master_pid`."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclasses.dataclass
class Server:
    """A running gunicorn: its base URL and the master's process id."""

    url: str
    pid: int

    def workers(self) -> list[int]:
        return worker_pids(self.pid)


@contextlib.contextmanager
def serve(workers: int = 2, instance: str | None = None, extra_env: dict | None = None):
    """Run gunicorn with the project's config; yield a `Server`, then stop it."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "INSTANCE_PATH": instance or tmp,
            "WEB_CONCURRENCY": str(workers),
            **(extra_env or {}),
        }
        gunicorn = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        process = subprocess.Popen(
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "app:app"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base_url + "/api/ping", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("gunicorn did not start") from None
                    time.sleep(0.2)
            yield Server(base_url, process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
