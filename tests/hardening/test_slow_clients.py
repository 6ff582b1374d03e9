"""The server `make run` starts (gunicorn with gunicorn.conf.py) against slow and malformed clients:
it keeps answering while clients trickle, cuts stalled requests off, and never answers a
malformed body with a 500. Raw sockets on loopback, every wait bounded."""

import json
import socket
import time

import pytest
import requests

from tests.servers import SlowClients, gunicorn_in, raw_connection

pytestmark = pytest.mark.slow  # a gunicorn server process

ANSWER = "/api/lessons/chain-rule-in-networks/quiz/neuron-dw/answer"
# gunicorn.conf.py's REQUEST_READ_TIMEOUT, and the worker timeout it must stay well under.
READ_TIMEOUT, WORKER_TIMEOUT = 5, 30


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # As many workers as `make run` starts on this project's 2-core machines.
    with gunicorn_in(tmp_path_factory.mktemp("slow"), workers=3) as running:
        yield running


def connect(server) -> socket.socket:
    return raw_connection(server.url, timeout=WORKER_TIMEOUT + 10)


def head(path: str, body_length: int | None = None, chunked: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if body_length is not None:
        lines.append(f"Content-Length: {body_length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_healthz_answers_within_a_second_while_10_clients_trickle(server):
    worst = 0.0
    with SlowClients(server.url, count=10):
        time.sleep(1)  # every slow client has connected and started
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = requests.get(f"{server.url}/healthz", timeout=5)
            worst = max(worst, time.monotonic() - started)
            assert response.status_code == 200
            time.sleep(0.2)
    assert worst < 1.0, f"/healthz took {worst:.2f} s with 10 slow clients"


def wait_for_answer(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sends until it closes (or 40 s pass), and how long that took."""
    started, received = time.monotonic(), b""
    sock.settimeout(WORKER_TIMEOUT + 10)
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(head(ANSWER)[:40], id="half-a-request-line"),
        pytest.param(head(ANSWER)[:-4], id="headers-never-finished"),
        pytest.param(head(ANSWER, 100) + b'{"choice": ', id="body-shorter-than-its-length"),
        pytest.param(head(ANSWER, chunked=True) + b'5\r\n{"cho', id="chunked-body-stalls"),
    ],
)
def test_a_stalled_request_is_cut_off_well_before_the_worker_timeout(server, sent):
    with connect(server) as sock:
        sock.sendall(sent)
        received, seconds = wait_for_answer(sock)
    assert seconds < READ_TIMEOUT + 3, f"held for {seconds:.1f} s"
    # Either a closed connection or a 408 (never a 500, never an HTML page under /api).
    if received:
        status_line, _, rest = received.partition(b"\r\n")
        assert b" 408 " in status_line, received[:300]
        assert b"application/json" in rest


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param(b"zz\r\n{}\r\n0\r\n\r\n", id="size-zz"),
        pytest.param(b'-5\r\n{"cho\r\n0\r\n\r\n', id="negative-size"),
        pytest.param(b'5\r\n{"choXX0\r\n\r\n', id="missing-terminator"),
        pytest.param(b'14;a b=c\r\n{"choice": "a"}    \r\n0\r\n\r\n', id="bad-extension"),
        pytest.param(b"14\r\n" + b"{" * 20 + b"\r\n", id="ends-without-last-chunk"),
    ],
)
def test_a_malformed_chunked_body_is_a_400_in_json(server, chunks):
    with connect(server) as sock:
        sock.sendall(head(ANSWER, chunked=True) + chunks)
        if chunks.endswith(b"{" * 20 + b"\r\n"):
            sock.shutdown(socket.SHUT_WR)  # the client is done, without the last chunk
        received, seconds = wait_for_answer(sock)
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400 "), received[:300]
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    assert b"x-content-type-options: nosniff" in headers.lower()
    assert set(json.loads(body)) == {"error", "message"}
    assert seconds < READ_TIMEOUT + 3
    assert "Traceback" not in server.log.read_text(errors="replace")


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        pytest.param(f"GET /api/{'x' * 9000} HTTP/1.1\r\n\r\n", 414, id="url-too-long"),
        pytest.param(f"GET /api/ HTTP/1.1\r\nX-Big: {'y' * 9000}\r\n\r\n", 431, id="header"),
        pytest.param(
            "GET /api/ HTTP/1.1\r\n" + "".join(f"X-{n}: 1\r\n" for n in range(120)) + "\r\n",
            431,
            id="too-many-headers",
        ),
        pytest.param("GET /api/ HTTP/7.1\r\n\r\n", 400, id="bad-version"),
        pytest.param("GET /api/ SPDY/1.1\r\n\r\n", 400, id="bad-protocol"),
    ],
)
def test_errors_the_server_answers_itself_are_json_with_the_security_headers(server, sent, status):
    with connect(server) as sock:
        sock.sendall(sent.encode())
        received, _seconds = wait_for_answer(sock)
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.startswith(f"HTTP/1.1 {status} ".encode()), received[:300]
    headers, _, body = rest.partition(b"\r\n\r\n")
    lowered = headers.lower()
    assert b"content-type: application/json" in lowered
    assert b"x-content-type-options: nosniff" in lowered
    assert b"content-security-policy: default-src 'self'" in lowered
    assert b"x-frame-options: deny" in lowered
    payload = json.loads(body)
    assert set(payload) == {"error", "message"} and payload["message"]


def test_the_server_still_serves_after_all_of_that(server):
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
