"""Gunicorn settings for the production server (`make run`, the benchmarks); each says why.

Environment variables override the defaults: WEB_CONCURRENCY (worker count), PORT/HOST via the
command line (`make run` passes --bind), GUNICORN_TIMEOUT, ACCESS_LOG (a path, or "-" for stdout).
"""

import contextlib
import ctypes
import errno
import html
import json
import multiprocessing
import os
import re
import time

from gunicorn.glogging import Logger

from webapp.http import SECURITY_HEADERS

# One worker per core, plus one to cover the moments a worker waits on the database; each uses
# well under 100 MB.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
# Threads: a request is short CPU work (a graph, a page from memory, one SQL insert), but a slow
# client must not hold a whole process while it trickles its request (a sync worker waits on it,
# and three such clients stop the server answering); a thread waits instead, with the request's
# deadline below. WORKER_CLASS=gevent is the measured alternative (see the README's Figures).
threads = int(os.environ.get("GUNICORN_THREADS", "16"))


def _one_malloc_arena() -> None:
    # glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps
    # what they free: 16 threads each briefly holding a large graph left a worker at 160 MB
    # where one thread at a time stays under 80. One arena (Python's small objects have their
    # own allocator, so there is little to contend for) keeps the budget; set in the master, so
    # every forked worker has it. M_ARENA_MAX is -8 in glibc's malloc.h.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, 1)


_one_malloc_arena()

# A client has this long from the first byte of a request (head and body) to its last, and as
# long again for each piece of the response it reads; then it gets a closed connection. Well
# under `timeout`, and far more than any real request needs (bodies are at most 64 KB).
request_read_timeout = float(os.environ.get("REQUEST_READ_TIMEOUT", "5"))

# A request taking longer than this is a bug or an attack: the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# Keep connections from a reverse proxy open briefly, so it can reuse them.
keepalive = 5
# Load the app once in the master, then fork the workers: start-up work (typesetting every
# formula, loading the quizzes) is done once, and a replaced worker is ready at once.
preload_app = True
# Recycle workers now and then, so a slow leak can never grow without bound; rarely, because a
# new worker starts with cold caches (rendered pages, compressed files, computed graphs) and a
# threaded worker closes its kept-alive connections as it goes (a request sent on one just then
# fails). A gthread worker serves about twice what a sync one did, hence twice the old count.
max_requests = 100000
max_requests_jitter = 10000
# Refuse oversized request lines and headers before they reach Flask (which limits bodies).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# gunicorn's control socket is one per user by default, which makes several servers on one
# machine (tests, benchmarks) collide; nothing here uses it.
control_socket_disable = True

accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"


class LateRequest(TimeoutError):
    """A request that did not arrive by its deadline; errno ECONNRESET, so gunicorn closes the
    connection with a debug line rather than a traceback for each slow client."""

    def __init__(self):
        super().__init__(errno.ECONNRESET, "the request did not arrive in time")


class DeadlineSocket:
    """A client socket on which each request must arrive within a deadline (see above)."""

    def __init__(self, sock, seconds: float):
        self._sock = sock
        self._seconds = seconds
        self._deadline = None  # set by the first read of a request, cleared by the response
        self.late = False  # a request missed its deadline: the client is not to be waited for

    def recv(self, size, *flags):
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        remaining = self._deadline - now
        if remaining <= 0:
            self.late = True
            raise LateRequest()
        current = self._sock.gettimeout()
        if current is None or current > remaining:
            self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            if time.monotonic() >= self._deadline:
                self.late = True
                raise LateRequest() from None
            raise

    def sendall(self, data, *flags):
        self._deadline = None
        self._sock.settimeout(self._seconds)
        return self._sock.sendall(as_json_error(data), *flags)

    def send(self, data, *flags):
        self._deadline = None
        self._sock.settimeout(self._seconds)
        return self._sock.send(data, *flags)

    def __getattr__(self, name):
        return getattr(self._sock, name)


# The whole of an error response gunicorn writes itself, before the app sees the request (a
# request line or header over the limits: 414, 431; a bad HTTP version: 400): an HTML page.
SERVER_ERROR = re.compile(
    rb"HTTP/1\.1 (\d{3}) ([^\r]*)\r\nConnection: close\r\nContent-Type: text/html\r\n"
    rb"Content-Length: \d+\r\n\r\n<html>.*<h1><p>.*</p></h1>\s*(.*?)\s*</body>\s*</html>\s*",
    re.S,
)


def as_json_error(data: bytes) -> bytes:
    """gunicorn's own error page rewritten as the app's JSON error, with its security headers.

    The request was not parsed, so its path (API or page) is unknown: JSON, the shape every API
    client expects, is sent for all of them. Any other bytes pass unchanged.
    """
    found = SERVER_ERROR.fullmatch(data) if data.startswith(b"HTTP/1.1 ") else None
    if found is None:
        return data
    status, reason = found.group(1).decode(), found.group(2).decode("latin-1")
    message = html.unescape(found.group(3).decode("latin-1")) or reason
    body = json.dumps({"error": reason, "message": message[:200]}).encode()
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in SECURITY_HEADERS.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _worker_class():
    """The worker class named by WORKER_CLASS (gthread or gevent), its sockets under deadlines;
    `sync` (no deadline, one request per process) only to compare against."""
    kind = os.environ.get("WORKER_CLASS", "gthread")
    if kind == "sync":
        return "sync"
    if kind == "gevent":
        from gunicorn.workers.ggevent import GeventWorker

        class DeadlineGeventWorker(GeventWorker):
            def handle(self, listener, client, addr):
                super().handle(listener, DeadlineSocket(client, request_read_timeout), addr)

        return DeadlineGeventWorker

    from gunicorn.workers.gthread import ThreadWorker

    class DeadlineThreadWorker(ThreadWorker):
        def handle(self, conn):
            if not isinstance(conn.sock, DeadlineSocket):
                conn.sock = DeadlineSocket(conn.sock, request_read_timeout)
            return super().handle(conn)

        def finish_request(self, conn, fs):
            # A graceful close reads what the client still sends for up to 2 s, on the main
            # thread that accepts every connection: for a client that trickled its request past
            # the deadline, that would stall the whole worker. Close such a one at once.
            if getattr(conn.sock, "late", False):
                conn.close = lambda graceful=False: conn.sock.close()
            return super().finish_request(conn, fs)

    return DeadlineThreadWorker


worker_class = _worker_class()


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
