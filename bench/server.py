"""The production server for the benchmarks: the same gunicorn runner the tests use."""

import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Gunicorn, SlowClients, rss_mb, worker_pids  # noqa: E402

__all__ = ["ROOT", "Gunicorn", "SlowClients", "rss_mb", "serve", "worker_pids"]


@contextlib.contextmanager
def serve(
    workers: int = 2,
    env: dict | None = None,
    args: tuple[str, ...] = (),
    config: dict | None = None,
):
    """Run gunicorn (the project's gunicorn.conf.py) on a fresh instance folder; yield it."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        instance = Path(tmp) / "instance"
        server = Gunicorn(instance, log, workers=workers, env=env, args=args, config=config)
        try:
            yield server
        finally:
            server.stop()
