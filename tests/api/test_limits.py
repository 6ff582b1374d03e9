"""Limits a public deployment needs: answers per minute, and a health check for load balancers."""

from sqlalchemy import create_engine

from tests.conftest import make_test_app

QUIZ = "/api/lessons/chain-rule-in-networks/quiz"


def test_answers_past_the_per_minute_limit_get_429_and_change_nothing(tmp_path):
    app = make_test_app(tmp_path, QUIZ_ANSWERS_PER_MINUTE=3)
    client = app.test_client()
    questions = client.get(QUIZ).get_json()["questions"]
    for question in questions:
        url = f"{QUIZ}/{question['id']}/answer"
        choice = question["choices"][0]["id"]
        assert client.post(url, json={"choice": choice}).status_code == 200
    refused = client.post(url, json={"choice": choice})
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"] == "Too Many Requests"
    assert "3 answers in a minute" in body["message"]
    assert refused.headers["Retry-After"] == "60"
    assert len(app.extensions["store"].attempts()) == 3
    # Another learner (a fresh cookie jar) is not limited by the first one.
    assert app.test_client().post(url, json={"choice": choice}).status_code == 200


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
