"""The production server for the benchmarks: the same gunicorn runner the tests use."""

import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Gunicorn, SlowClients, gunicorn_in, rss_mb, worker_pids  # noqa: E402

__all__ = ["ROOT", "Gunicorn", "SlowClients", "rss_mb", "serve", "worker_pids"]


@contextlib.contextmanager
def serve(**options):
    """Run gunicorn (the project's gunicorn.conf.py; options as for tests.servers.Gunicorn) on a
    fresh instance folder; yield it."""
    with tempfile.TemporaryDirectory() as tmp, gunicorn_in(Path(tmp), **options) as server:
        yield server
