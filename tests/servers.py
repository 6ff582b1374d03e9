"""The production server (gunicorn with the project's gunicorn.conf.py) as a child process, for the
tests that need a real server process and for the benchmarks in bench/."""

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

ROOT = Path(__file__).resolve().parent.parent


class Gunicorn:
    """The app under gunicorn on a free loopback port, in its own process group."""

    def __init__(
        self,
        instance: Path,
        log: Path,
        workers: int = 2,
        env: dict | None = None,
        args: tuple[str, ...] = (),
        config: dict | None = None,
    ):
        """Start it with `workers`, extra environment `env`, extra gunicorn `args`, and `config`
        written as the instance folder's config.py (settings such as the rate limits)."""
        if config:
            instance.mkdir(mode=0o700, parents=True, exist_ok=True)
            lines = "".join(f"{key} = {value!r}\n" for key, value in config.items())
            (instance / "config.py").write_text(lines)
        environment = {
            k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")
        }
        environment.update(INSTANCE_PATH=str(instance), WEB_CONCURRENCY=str(workers), **(env or {}))
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        command += ["--bind", "127.0.0.1:0", "--access-logfile", "/dev/null"]
        command += ["--error-logfile", str(log), *args, "app:create_app()"]
        self.instance = instance
        self.log = log
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
        self.url = self._wait_for_url()
        self._wait_until_serving()

    def _wait_for_url(self) -> str:
        # Port 0 picks a free port; gunicorn writes the one it got in its log.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self._log_text()}")
            for line in self._log_text().splitlines():
                if "Listening at: " in line:
                    return line.split("Listening at: ", 1)[1].split()[0]
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start: {self._log_text()}")

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/ping", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn is not answering: {self._log_text()}")

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def workers(self) -> list[int]:
        """The process ids of the current workers."""
        return worker_pids(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no handler runs, nothing is flushed."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@contextlib.contextmanager
def gunicorn_in(folder: Path, **options):
    """Gunicorn (options as for Gunicorn) on the instance folder `folder/instance`, its log in
    `folder/server.log`; stopped when the block ends."""
    server = Gunicorn(folder / "instance", folder / "server.log", **options)
    try:
        yield server
    finally:
        server.stop()


class Threads:
    """Threads around a `with` block: `threads` start on entry; on exit the `stop` event is set
    and each is joined (for at most `join_seconds`)."""

    join_seconds = 10
    threads: list[threading.Thread]
    stop: threading.Event

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=self.join_seconds)


def worker_pids(master_pid: int) -> list[int]:
    """The worker processes of a gunicorn master."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def learner_of(session: requests.Session, secret_key: str) -> str:
    """The learner id inside a session cookie, read with the app's key (as the app reads it)."""
    reader = Flask("reader")
    reader.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(reader)
    return serializer.loads(session.cookies["session"])["learner"]


def stored_attempts(database: Path) -> Counter:
    """(learner, question, choice) of every attempt in an SQLite database, counted."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT learner, question, choice FROM attempts").fetchall()
    return Counter(rows)


class RedisServer:
    """Debian's redis-server on a Unix socket in `directory` (no TCP port), saving nothing."""

    def __init__(self, directory: Path):
        """Start it and wait until it answers; `uri` is its address for RATELIMIT_STORAGE_URI."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is needed: run `make test-deps` (Debian's package)")
        self.socket = directory / "redis.sock"
        self.log = directory / "redis.log"
        command = [binary, "--port", "0", "--unixsocket", str(self.socket)]
        command += ["--unixsocketperm", "700", "--save", "", "--appendonly", "no"]
        command += ["--logfile", str(self.log)]
        self.process = subprocess.Popen(command, start_new_session=True)
        self.uri = f"redis+unix://{self.socket}"
        deadline = time.monotonic() + 20
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start: {self._log_text()}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(2)
            try:
                client.connect(str(self.socket))
                client.sendall(b"PING\r\n")
                return client.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def raw_connection(base_url: str, timeout: float = 40) -> socket.socket:
    """A plain TCP connection to a server at `base_url` (http://host:port), for raw HTTP bytes."""
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


class SlowClients(Threads):
    """`count` clients that trickle requests a byte every `every` seconds, half of them their
    headers and half a body after whole headers (so the app reads it, and answers 408); one cut
    off by the server connects and starts again."""

    PATH = "/api/lessons/chain-rule-in-networks/quiz/neuron-dw/answer"

    def __init__(self, base_url: str, count: int = 10, every: float = 0.5):
        self.base_url = base_url
        self.every = every
        self.stop = threading.Event()
        self.cut_off = 0  # connections the server closed on a trickling client
        start = (
            f"POST {self.PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        )
        headers = (start + "X-Padding: " + "p" * 200 + "\r\n\r\n").encode()
        body = (start + "Content-Length: 200\r\n\r\n" + '{"choice": "a"' + " " * 186).encode()
        split = body.index(b"\r\n\r\n") + 4
        kinds = [(b"", headers), (body[:split], body[split:])]
        self.threads = [
            threading.Thread(target=self._trickle, args=kinds[n % 2]) for n in range(count)
        ]

    def _trickle(self, whole: bytes, data: bytes) -> None:
        while not self.stop.is_set():
            with raw_connection(self.base_url) as sock:
                if whole:
                    sock.sendall(whole)
                for byte in data:
                    if self.stop.wait(self.every):
                        return
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:
                        self.cut_off += 1
                        break
