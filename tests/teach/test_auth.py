"""Teacher logins: the form, the session cookie, refusals, the limits, and no password in clear."""

import logging
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import make_test_app
from tests.teach.conftest import PASSWORD, login, make_teacher, page_token, teacher_token
from webapp.teach import auth
from webapp.teach.auth import WRONG_LOGIN


def test_login_form_has_the_contract_fields(client):
    page = client.get("/teach/login")
    assert page.status_code == 200
    html = page.text
    assert 'name="email"' in html and 'name="password"' in html
    assert 'name="csrf_token" type="hidden"' in html
    assert '<meta name="csrf-token" content="' in html
    assert page.headers["Cache-Control"] == "no-store"


def test_login_redirects_with_an_httponly_lax_session_cookie(client, teacher):
    response = login(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/teach"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over HTTPS see the next test
    page = client.get("/teach")
    assert page.status_code == 200
    assert "ann@example.org" in page.text
    assert '<meta name="csrf-token" content="' in page.text


def test_the_cookie_is_secure_over_https(client, teacher):
    https = {"base_url": "https://localhost"}
    token = page_token(client.get("/teach/login", **https).text)
    form = {"email": "ann@example.org", "password": PASSWORD, "csrf_token": token}
    headers = {"Referer": "https://localhost/teach/login"}
    response = client.post("/teach/login", data=form, headers=headers, **https)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_email_is_normalised_at_login(client, teacher):
    assert login(client, email="  ANN@Example.org ").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["/teach/classes/7", "/teach/classes/7/attempts.csv?x=1"],
)
def test_a_safe_next_is_followed(client, teacher, target):
    response = login(client, next_url=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/teach",
        "//evil.example/teach",
        "/\\evil.example",
        "javascript:alert(1)",
        "/lessons/chain-rule-in-networks",
        "/teach\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_an_outside_next_is_ignored(client, teacher, target):
    from urllib.parse import quote

    response = login(client, next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/teach"


def test_pages_redirect_to_the_login_and_come_back(client, teacher):
    response = client.get("/teach")
    assert response.status_code == 302
    assert response.headers["Location"] == "/teach/login?next=/teach"
    assert login(client, next_url="/teach").headers["Location"] == "/teach"


def test_wrong_password_and_unknown_email_answer_alike(client, teacher):
    wrong = login(client, password="not the password")
    unknown = login(client, email="nobody@example.org")
    assert wrong.status_code == unknown.status_code == 400
    assert WRONG_LOGIN in wrong.text and WRONG_LOGIN in unknown.text
    assert wrong.text.replace("ann@example.org", "X") == unknown.text.replace(
        "nobody@example.org", "X"
    ).replace(page_token(unknown.text), page_token(wrong.text))
    assert client.get("/teach").status_code == 302


def test_an_unknown_email_costs_a_password_check_too(app, teacher, monkeypatch):
    # Same work for an unknown account: one argon2 verification, so the time tells nothing.
    calls = []

    class Counting(PasswordHasher):
        def verify(self, stored, password):
            calls.append(stored)
            return super().verify(stored, password)

    monkeypatch.setattr(auth, "HASHER", Counting(time_cost=2, memory_cost=19 * 1024, parallelism=1))
    timings = {"known": [], "unknown": []}
    for _ in range(5):
        for kind, email in (("known", "ann@example.org"), ("unknown", "zed@example.org")):
            client = app.test_client()
            token = page_token(client.get("/teach/login").text)
            form = {"email": email, "password": "a wrong password", "csrf_token": token}
            start = time.perf_counter()
            assert client.post("/teach/login", data=form).status_code == 400
            timings[kind].append(time.perf_counter() - start)
    assert len(calls) == 10
    assert all(stored.startswith("$argon2id$") for stored in calls)
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    assert 0.5 < unknown / known < 2, timings


def test_a_process_hashes_one_password_at_a_time(app, teacher, monkeypatch):
    # Each argon2 check takes 19 MiB: 16 threads of a worker checking at once broke its budget.
    inside, most = [0], [0]
    lock = threading.Lock()

    class Counting(PasswordHasher):
        def _count(self, work, *args):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                time.sleep(0.01)  # widen the window the threads could overlap in
                return work(*args)
            finally:
                with lock:
                    inside[0] -= 1

        def verify(self, stored, password):
            return self._count(super().verify, stored, password)

        def hash(self, password, *, salt=None):
            return self._count(super().hash, password)

    monkeypatch.setattr(auth, "HASHER", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    start = threading.Barrier(12)

    def attempt(n):
        start.wait()
        with app.app_context():
            if n % 3 == 0:
                return auth.hash_password(f"new password {n}")
            email = "ann@example.org" if n % 3 == 1 else f"nobody{n}@example.org"
            return auth.authenticate(email, f"wrong {n}")

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(attempt, range(12)))
    assert most[0] == 1
    assert inside[0] == 0
    assert [r is None for r in results] == [n % 3 != 0 for n in range(12)]


def test_a_missing_csrf_token_refuses_the_login(client, teacher):
    client.get("/teach/login")
    form = {"email": "ann@example.org", "password": PASSWORD}
    response = client.post("/teach/login", data=form)
    assert response.status_code == 400
    assert "expired" in response.text
    assert client.get("/teach").status_code == 302


def test_logout_needs_the_token_and_keeps_the_learner(app, teacher_client):
    with teacher_client.session_transaction() as session:
        session["learner"] = "a" * 32
    assert teacher_client.post("/teach/logout").status_code == 400  # no token
    assert teacher_client.get("/teach").status_code == 200
    token = teacher_token(teacher_client)
    response = teacher_client.post("/teach/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert teacher_client.get("/teach").status_code == 302
    assert teacher_client.get("/api/teach/classes").status_code == 401
    with teacher_client.session_transaction() as session:
        assert session["learner"] == "a" * 32


def test_a_cookie_copied_before_logout_stops_working(app, teacher, teacher_client):
    token = teacher_token(teacher_client)
    copied = teacher_client.get_cookie("session").value
    second = app.test_client()  # another browser signed in as the same teacher
    assert login(second).status_code == 302
    assert teacher_client.post("/teach/logout", data={"csrf_token": token}).status_code == 302
    for replay in (app.test_client(), second):
        if replay is not second:
            replay.set_cookie("session", copied)
        page = replay.get("/teach")
        assert page.status_code == 302 and "/teach/login" in page.headers["Location"]
        assert replay.get("/api/teach/classes").status_code == 401
        made = replay.post(
            "/api/teach/classes", json={"name": "Stolen"}, headers={"X-CSRFToken": token}
        )
        assert made.status_code == 401
    with app.app_context():
        assert app.extensions["store"].teacher_classes(teacher) == []
    assert login(app.test_client()).status_code == 302  # a new login works again


def _signed(payload, key):
    # A session cookie as Flask signs one, with `key`.
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


def test_a_forged_session_cookie_is_refused(app, teacher, teacher_client):
    # The real session's contents, signed with another key, and the same unsigned.
    with teacher_client.session_transaction() as session:
        payload = dict(session)
    assert payload["_user_id"].startswith(f"{teacher}.")
    for value in (_signed(payload, "not-the-secret"), "eyJfdXNlcl9pZCI6IjEifQ"):
        stranger = app.test_client()
        stranger.set_cookie("session", value)
        assert stranger.get("/teach").status_code == 302
        assert stranger.get("/api/teach/classes").status_code == 401
    # The right key would have been accepted: the refusal is the signature's doing.
    genuine = app.test_client()
    genuine.set_cookie("session", _signed(payload, app.config["SECRET_KEY"]))
    assert genuine.get("/teach").status_code == 200


def test_a_session_naming_a_teacher_without_the_hash_stamp_is_refused(app, teacher):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(teacher)  # signed by the app, but no stamp of the password
        session[auth.SESSION_STAMP] = int(time.time())
    assert client.get("/teach").status_code == 302


def test_a_deleted_teachers_session_stops_working(app, teacher, teacher_client):
    with app.app_context():
        assert app.extensions["store"].delete_teacher("ann@example.org")
    assert teacher_client.get("/teach").status_code == 302
    assert teacher_client.get("/api/teach/classes").status_code == 401
    # A new account that gets the same id (SQLite reuses it) does not inherit the session.
    assert make_teacher(app, "bob@example.org", "another long password") == teacher
    assert teacher_client.get("/teach").status_code == 302


def test_a_session_ends_after_its_hours(app, teacher_client):
    hours = app.config["TEACHER_SESSION_HOURS"]
    with teacher_client.session_transaction() as session:
        session[auth.SESSION_STAMP] -= hours * 3600 + 1
    assert teacher_client.get("/teach").status_code == 302


def test_a_students_cookie_opens_nothing(app, teacher):
    student = app.test_client()
    assert student.get("/api/lessons/chain-rule-in-networks/quiz").status_code == 200
    with student.session_transaction() as session:
        assert "learner" in session
    assert student.get("/teach").status_code == 302
    assert student.get("/api/teach/classes").status_code == 401
    assert student.post("/api/teach/classes", json={"name": "x"}).status_code == 401


def test_an_old_hash_is_upgraded_at_login(app, client):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    with app.app_context():
        store = app.extensions["store"]
        store.create_teacher("old@example.org", weak.hash(PASSWORD))
    assert login(client, email="old@example.org").status_code == 302
    with app.app_context():
        stored = store.teacher_by_email("old@example.org").password_hash
    assert not auth.HASHER.check_needs_rehash(stored)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert client.get("/teach").status_code == 200  # the session follows the new hash


# --- Limits --------------------------------------------------------------------------------


def _limited_app(tmp_path: Path, **limits):
    return make_test_app(tmp_path, **limits)


def test_failed_logins_are_limited_per_account(tmp_path, caplog):
    app = _limited_app(tmp_path, LOGINS_PER_MINUTE_PER_ACCOUNT=3)
    make_teacher(app)
    make_teacher(app, "bob@example.org")
    client = app.test_client()
    for _ in range(3):
        assert login(client, password="wrong password").status_code == 400
    # The account is now closed for a while, even to its right password...
    refused = login(client)
    assert refused.status_code == 429
    assert "Too many login attempts" in refused.text
    assert refused.headers.get("Retry-After")
    assert "refused by the limit: login-account:ann@example.org from" in caplog.text
    # ...but not another account from the same address.
    assert login(client, email="bob@example.org").status_code == 302


def test_failed_logins_are_limited_per_address(tmp_path):
    app = _limited_app(tmp_path, LOGINS_PER_MINUTE_PER_ADDRESS=4)
    make_teacher(app)
    client = app.test_client()
    for n in range(4):
        assert login(client, email=f"guess{n}@example.org").status_code == 400
    assert login(client).status_code == 429
    other = {"environ_base": {"REMOTE_ADDR": "10.0.0.9"}}
    assert login(app.test_client(), **other).status_code == 302


def test_every_login_counts_before_its_password_is_checked(tmp_path):
    app = _limited_app(tmp_path, LOGINS_PER_MINUTE_PER_ACCOUNT=2)
    make_teacher(app)
    for _ in range(2):
        assert login(app.test_client()).status_code == 302
    assert login(app.test_client()).status_code == 429


def _parallel_logins(app, monkeypatch, count, email_of):
    """Post `count` wrong logins at once; their statuses and how many passwords were checked."""
    checked = []
    real = auth.authenticate

    def counting(email, password):
        checked.append(email)
        return real(email, password)

    monkeypatch.setattr(auth, "authenticate", counting)
    clients = [app.test_client() for _ in range(count)]
    tokens = [page_token(c.get("/teach/login").text) for c in clients]
    start = threading.Barrier(count)

    def attempt(n):
        form = {"email": email_of(n), "password": f"wrong {n}", "csrf_token": tokens[n]}
        start.wait()
        return clients[n].post("/teach/login", data=form).status_code

    with ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(attempt, range(count)))
    return statuses, checked


def test_parallel_guesses_at_one_account_stop_at_its_limit(tmp_path, monkeypatch):
    app = _limited_app(tmp_path, LOGINS_PER_MINUTE_PER_ACCOUNT=3)
    make_teacher(app)
    statuses, checked = _parallel_logins(app, monkeypatch, 20, lambda n: "ann@example.org")
    assert len(checked) <= 3
    assert statuses.count(429) == 20 - statuses.count(400) >= 17


def test_parallel_guesses_from_one_address_stop_at_its_limit(tmp_path, monkeypatch):
    app = _limited_app(tmp_path, LOGINS_PER_MINUTE_PER_ADDRESS=4)
    statuses, checked = _parallel_logins(app, monkeypatch, 20, lambda n: f"guess{n}@example.org")
    assert len(checked) <= 4
    assert statuses.count(429) == 20 - statuses.count(400) >= 16


# --- No password in clear ------------------------------------------------------------------


def test_the_password_is_neither_stored_nor_logged(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "a very particular passphrase 7"
    app = make_test_app(tmp_path)
    result = app.test_cli_runner().invoke(
        args=["teacher", "create", "eve@example.org"], input=secret + "\n"
    )
    assert result.exit_code == 0 and secret not in result.output
    client = app.test_client()
    assert login(client, "eve@example.org", secret).status_code == 302
    assert login(app.test_client(), "eve@example.org", secret + "x").status_code == 400
    with app.app_context():
        stored = app.extensions["store"].teacher_by_email("eve@example.org").password_hash
    assert stored.startswith("$argon2id$") and secret not in stored
    instance = tmp_path / "instance"
    files = [p for p in instance.iterdir() if p.name.startswith("lessons.db")]
    assert files
    for path in files:  # the database and its write-ahead log, byte for byte
        assert secret.encode() not in path.read_bytes()
    assert "teacher" in caplog.text  # the login was logged...
    assert secret not in caplog.text  # ...without the password


@pytest.mark.parametrize(
    "path", ["/static/css/site.css", "/", "/lessons/chain-rule-in-networks", "/api/presets"]
)
def test_logins_leave_cookie_free_responses_cacheable(client, path):
    # Flask-Login must not make every response vary by cookie (static files, cached pages).
    response = client.get(path)
    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")


def _teacher_routes(app):
    """(method, URL) of every route under /teach and /api/teach, ids filled in with 1."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/teach", "/api/teach")):
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_teacher_route_refuses_a_students_cookie(app, teacher, teacher_client):
    # The teacher has class 1, so a refusal is not a mere "no such class".
    token = teacher_token(teacher_client)
    created = teacher_client.post(
        "/api/teach/classes", json={"name": "A"}, headers={"X-CSRFToken": token}
    )
    assert created.get_json()["id"] == 1
    student = app.test_client()
    joined = student.post("/api/classes/join", json={"code": created.get_json()["code"]})
    assert joined.status_code == 200
    routes = list(_teacher_routes(app))
    assert ("GET", "/teach") in routes and ("POST", "/api/teach/classes") in routes
    for method, url in routes:
        if url in ("/teach/login", "/teach/logout"):
            continue
        response = student.open(url, method=method, json={})
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/teach/login?next="), url


def test_the_student_apis_need_no_csrf_token(client):
    # CSRF is the teach blueprints' alone: the learner's JSON writes work as before.
    assert client.post("/api/graph", json={"preset": "neuron"}).status_code == 200
    answer = "/api/lessons/chain-rule-in-networks/quiz/neuron-dw/answer"
    assert client.post(answer, json={"choice": "a"}).status_code == 200
    reset = client.post("/api/lessons/chain-rule-in-networks/quiz/reset")
    assert reset.status_code == 200
