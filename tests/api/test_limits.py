"""Limits a public deployment needs: writes per learner and per address, and a health check."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select

from tests.conftest import make_test_app
from webapp.schema import attempts, learners, quiz_rounds

LESSON = "chain-rule-in-networks"
QUIZ = f"/api/lessons/{LESSON}/quiz"
QUESTIONS = ["neuron-dw", "linear-transpose", "error-reuse"]


def answer_url(question):
    return f"{QUIZ}/{question}/answer"


def rows(app, table):
    with app.extensions["store"].engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def assert_429(response, words, window=60):
    assert response.status_code == 429
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "Too Many Requests" and words in body["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= window


def test_answers_past_the_per_learner_limit_get_429_and_change_nothing(tmp_path):
    app = make_test_app(tmp_path, QUIZ_ANSWERS_PER_MINUTE=3)
    client = app.test_client()
    client.get(QUIZ)  # the page reads the quiz first, which gives the learner a cookie
    for question in QUESTIONS:
        assert client.post(answer_url(question), json={"choice": "a"}).status_code == 200
    assert_429(client.post(answer_url("neuron-dw"), json={"choice": "a"}), "3 answers in a minute")
    assert rows(app, attempts) == 3
    # Another learner (a fresh cookie jar) is not limited by the first one.
    assert app.test_client().post(answer_url("neuron-dw"), json={"choice": "a"}).status_code == 200


def test_try_again_is_limited_per_learner(tmp_path):
    app = make_test_app(tmp_path, QUIZ_RESETS_PER_MINUTE=2)
    client = app.test_client()
    client.get(QUIZ)
    assert [client.post(f"{QUIZ}/reset").status_code for _ in range(2)] == [200, 200]
    assert_429(client.post(f"{QUIZ}/reset"), "2 restarts in a minute")
    assert rows(app, quiz_rounds) == 2  # rounds 2 and 3; round 1 is implicit until answered


def test_a_cookieless_flood_gets_429s_and_writes_a_bounded_number_of_rows(tmp_path):
    # Each cookieless request is a new learner, so only the address limit can stop a script.
    app = make_test_app(tmp_path, WRITES_PER_MINUTE_PER_ADDRESS=20)
    statuses = []
    for number in range(100):
        client = app.test_client()  # no cookie, ever
        url = answer_url(QUESTIONS[number % 3]) if number % 2 else f"{QUIZ}/reset"
        statuses.append(client.post(url, json={"choice": "a"}).status_code)
    assert statuses.count(200) == 20 and statuses.count(429) == 80
    # An answer writes its learner, round and attempt; a new learner's reset writes nothing.
    assert rows(app, attempts) == 10
    assert rows(app, learners) == 10 and rows(app, quiz_rounds) == 10
    refused = app.test_client().post(answer_url("neuron-dw"), json={"choice": "a"})
    assert_429(refused, "from your network")


def test_an_address_also_has_an_hourly_limit(tmp_path):
    app = make_test_app(tmp_path, WRITES_PER_MINUTE_PER_ADDRESS=50, WRITES_PER_HOUR_PER_ADDRESS=4)
    statuses = [app.test_client().post(f"{QUIZ}/reset").status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    assert_429(app.test_client().post(f"{QUIZ}/reset"), "4 an hour", window=3600)


def test_the_address_is_the_one_the_trusted_proxy_reports(tmp_path):
    app = make_test_app(tmp_path, WRITES_PER_MINUTE_PER_ADDRESS=5, PROXY_COUNT=1)

    def post(address):
        headers = {"X-Forwarded-For": address}
        return app.test_client().post(f"{QUIZ}/reset", headers=headers).status_code

    assert [post("203.0.113.7") for _ in range(6)] == [200] * 5 + [429]
    assert post("198.51.100.9") == 200  # another school is not limited by the first
    # A client's own X-Forwarded-For in front of the proxy's entry changes nothing.
    assert post("198.51.100.1, 203.0.113.7") == 429


def test_a_class_of_40_behind_one_address_is_not_limited(tmp_path):
    app = make_test_app(tmp_path, PROXY_COUNT=1)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda number: whole_quiz(app, number), range(40)))
    assert statuses == [[200] * 6] * 40


def whole_quiz(app, number):
    """A student behind the school's address: every question, Try again, the first one again."""
    client = app.test_client()
    headers = {"X-Forwarded-For": "192.0.2.10"}
    choice = {"choice": "abcd"[number % 4]}
    statuses = [
        client.post(answer_url(q), json=choice, headers=headers).status_code for q in QUESTIONS
    ]
    statuses.append(client.post(f"{QUIZ}/reset", headers=headers).status_code)
    statuses.append(
        client.post(answer_url("error-reuse"), json=choice, headers=headers).status_code
    )
    statuses.append(client.get(QUIZ, headers=headers).status_code)
    return statuses


def race(app, url, requests, body=None):
    """`requests` POSTs to `url` at once, all with one learner's cookie; their statuses."""
    first = app.test_client()
    first.get(QUIZ)
    cookie = first.get_cookie("session").value
    barrier = threading.Barrier(requests)

    def post(_number):
        client = app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait(timeout=20)
        return client.post(url, json=body).status_code

    with ThreadPoolExecutor(requests) as pool:
        return list(pool.map(post, range(requests)))


def test_60_concurrent_restarts_on_one_cookie_store_exactly_the_limit(tmp_path):
    app = make_test_app(tmp_path, QUIZ_RESETS_PER_MINUTE=30)
    statuses = race(app, f"{QUIZ}/reset", 60)
    assert statuses.count(200) == 30 and statuses.count(429) == 30
    assert rows(app, quiz_rounds) == 30


def test_60_concurrent_answers_on_one_cookie_pass_the_limit_exactly(tmp_path):
    # One answer a question is stored (the rest are 409s); the limit counts every request.
    app = make_test_app(tmp_path, QUIZ_ANSWERS_PER_MINUTE=30)
    statuses = race(app, answer_url("neuron-dw"), 60, {"choice": "b"})
    assert statuses.count(429) == 30
    assert statuses.count(200) == 1 and statuses.count(409) == 29
    assert rows(app, attempts) == 1


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_fails_when_the_database_is_unreachable(app, tmp_path):
    store = app.extensions["store"]
    store.engine = create_engine(f"sqlite:///{tmp_path}/missing-dir/none.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
