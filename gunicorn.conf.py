"""Gunicorn settings for the production server (`make run`, the benchmarks); each says why.

Environment variables override the defaults: WEB_CONCURRENCY (worker count), PORT/HOST via the
command line (`make run` passes --bind), GUNICORN_TIMEOUT, ACCESS_LOG (a path, or "-" for stdout).
"""

import json
import multiprocessing
import os
import time

from gunicorn.glogging import Logger

# Sync workers: a request is short CPU work (a graph, a page from memory, one SQL insert), so one
# request per process is the simplest model that uses every core. One worker per core, plus one
# to cover the moments a worker waits on the database; each uses well under 100 MB.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"

# A request taking longer than this is a bug or an attack: the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# Keep connections from a reverse proxy open briefly, so it can reuse them.
keepalive = 5
# Load the app once in the master, then fork the workers: start-up work (typesetting every
# formula, loading the quizzes) is done once, and a replaced worker is ready at once.
preload_app = True
# Recycle workers now and then, so a slow leak can never grow without bound; rarely, because a
# new worker starts with cold caches (rendered pages, compressed files, computed graphs).
max_requests = 50000
max_requests_jitter = 5000
# Refuse oversized request lines and headers before they reach Flask (which limits bodies).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# gunicorn's control socket is one per user by default, which makes several servers on one
# machine (tests, benchmarks) collide; nothing here uses it.
control_socket_disable = True

accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"


class JsonAccessLogger(Logger):
    """Access log lines as JSON objects, one per request, for log collectors."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "remote": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "ms": round(request_time.total_seconds() * 1000, 2),
            "agent": environ.get("HTTP_USER_AGENT"),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(record))


logger_class = JsonAccessLogger
