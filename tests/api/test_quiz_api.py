"""The quiz API's contract: its shapes, no answer before its time, each error, and storage."""

import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import make_test_app

LESSON = "chain-rule-in-networks"
QUIZ = f"/api/lessons/{LESSON}/quiz"
QUESTIONS = ["neuron-dw", "linear-transpose", "error-reuse"]
PROGRESS_KEYS = {"round", "answered", "score", "total", "current", "missed"}
ANSWERED_KEYS = {"choice", "correct", "correct_choice", "feedback", "explanation"}


def answer_url(question, lesson=LESSON):
    return f"/api/lessons/{lesson}/quiz/{question}/answer"


@pytest.fixture
def quiz(app):
    return app.extensions["quizzes"][LESSON]


def right_and_wrong(quiz, question_id):
    question = quiz.question(question_id)
    wrong = next(c.id for c in question.choices if c.id != question.correct)
    return question.correct, wrong


def secrets_of(quiz):
    """Every text that must not reach the browser before its question is answered."""
    for question in quiz.questions:
        yield question.explanation
        for choice in question.choices:
            yield choice.feedback


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_strings(item)


# --- GET the quiz ----------------------------------------------------------------------------


def test_get_returns_the_questions_and_empty_progress(client, quiz):
    response = client.get(QUIZ)
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"lesson", "questions", "progress"}
    assert data["lesson"] == LESSON
    assert [q["id"] for q in data["questions"]] == QUESTIONS
    for sent, question in zip(data["questions"], quiz.questions, strict=True):
        assert set(sent) == {"id", "prompt", "choices", "section"}  # never an answer
        assert sent["prompt"] == question.prompt
        assert 'class="katex"' in sent["prompt"], "math is rendered like the lesson's"
        assert sorted(c["id"] for c in sent["choices"]) == ["a", "b", "c", "d"]
        for choice in sent["choices"]:
            assert set(choice) == {"id", "text"}
            assert choice["text"] == question.choice(choice["id"]).text
    assert data["progress"] == {
        "round": 1,
        "answered": {},
        "score": 0,
        "total": 3,
        "current": 0,
        "missed": [],
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_nothing_in_the_quiz_response_gives_an_answer_away(client, quiz):
    data = client.get(QUIZ).get_json()
    strings = set(all_strings(data))
    assert not strings & {"correct", "correct_choice", "feedback", "explanation"}
    for secret in secrets_of(quiz):
        assert all(secret not in s for s in strings)


def test_nothing_in_the_lesson_page_gives_an_answer_away(client, quiz):
    response = client.get(f"/lessons/{LESSON}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-widget="quiz"' in page
    raw = __import__("lessonengine.assessment.quiz", fromlist=["load_quiz"]).load_quiz(quiz.path)
    for secret in [*secrets_of(quiz), *secrets_of(raw)]:
        assert secret not in page
    for question in raw.questions:
        # Not even a fragment of an explanation's or a feedback's words.
        assert question.explanation[:40] not in page
        for choice in question.choices:
            assert choice.feedback[:40] not in page


def test_the_choice_order_stays_across_reloads_but_differs_between_learners(app):
    first, second = app.test_client(), app.test_client()
    orders = [
        [[c["id"] for c in q["choices"]] for q in client.get(QUIZ).get_json()["questions"]]
        for client in (first, first, second)
    ]
    assert orders[0] == orders[1]
    # 24 orders a question and 3 questions: two learners almost never get the same three.
    others = [
        [
            [c["id"] for c in q["choices"]]
            for q in app.test_client().get(QUIZ).get_json()["questions"]
        ]
        for _ in range(5)
    ]
    assert any(order != orders[0] for order in [orders[2], *others])


# --- POST an answer --------------------------------------------------------------------------


def test_a_wrong_answer_gets_its_feedback_the_explanation_and_the_right_choice(client, quiz):
    right, wrong = right_and_wrong(quiz, "neuron-dw")
    response = client.post(answer_url("neuron-dw"), json={"choice": wrong})
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"correct", "correct_choice", "feedback", "explanation", "progress"}
    question = quiz.question("neuron-dw")
    assert data["correct"] is False
    assert data["correct_choice"] == right
    assert data["feedback"] == question.choice(wrong).feedback
    assert data["explanation"] == question.explanation
    progress = data["progress"]
    assert set(progress) == PROGRESS_KEYS
    assert progress["answered"] == {
        "neuron-dw": {
            "choice": wrong,
            "correct": False,
            "correct_choice": right,
            "feedback": question.choice(wrong).feedback,
            "explanation": question.explanation,
        }
    }
    assert progress["score"] == 0 and progress["current"] == 1
    assert progress["missed"] == ["neuron-dw"]


def test_answering_all_three_gives_the_score_and_the_missed_questions(client, quiz):
    choices = {}
    for question_id, correct in zip(QUESTIONS, [True, False, True], strict=True):
        right, wrong = right_and_wrong(quiz, question_id)
        choices[question_id] = right if correct else wrong
        data = client.post(answer_url(question_id), json={"choice": choices[question_id]})
        assert data.get_json()["correct"] is correct
    progress = data.get_json()["progress"]
    assert progress["score"] == 2 and progress["total"] == 3
    assert progress["current"] is None
    assert progress["missed"] == ["linear-transpose"]
    assert set(progress["answered"]) == set(QUESTIONS)  # a JSON object: no order promised
    for question_id, answered in progress["answered"].items():
        assert set(answered) == ANSWERED_KEYS
        assert answered["choice"] == choices[question_id]


def test_the_feedback_of_an_unanswered_question_stays_hidden(client, quiz):
    right, _ = right_and_wrong(quiz, "neuron-dw")
    data = client.post(answer_url("neuron-dw"), json={"choice": right}).get_json()
    later = [q for q in quiz.questions if q.id != "neuron-dw"]
    strings = list(all_strings(data))
    for question in later:
        for secret in [question.explanation, *(c.feedback for c in question.choices)]:
            assert all(secret not in s for s in strings)


def test_a_reload_finds_the_answers_and_the_score(client, quiz):
    right, wrong = right_and_wrong(quiz, "neuron-dw")
    client.post(answer_url("neuron-dw"), json={"choice": wrong})
    client.post(
        answer_url("linear-transpose"),
        json={"choice": right_and_wrong(quiz, "linear-transpose")[0]},
    )
    progress = client.get(QUIZ).get_json()["progress"]
    assert progress["current"] == 2
    assert progress["score"] == 1
    assert progress["answered"]["neuron-dw"]["choice"] == wrong
    assert progress["answered"]["neuron-dw"]["correct_choice"] == right
    assert progress["missed"] == ["neuron-dw"]


@pytest.mark.parametrize("second", ["same", "other"])
def test_a_second_answer_in_the_same_round_is_a_409_and_changes_nothing(app, client, quiz, second):
    right, wrong = right_and_wrong(quiz, "neuron-dw")
    first = client.post(answer_url("neuron-dw"), json={"choice": wrong}).get_json()
    choice = right if second == "other" else wrong
    again = client.post(answer_url("neuron-dw"), json={"choice": choice})
    assert again.status_code == 409
    body = again.get_json()
    assert set(body) == {"error", "message", "progress"}
    assert body["error"] == "Conflict" and "Try again starts a new round" in body["message"]
    assert "correct" not in body  # no verdict on an answer that was not recorded
    # The progress is what is stored: the first answer, graded as it was.
    assert body["progress"] == first["progress"]
    assert body["progress"]["answered"]["neuron-dw"]["choice"] == wrong
    assert body["progress"]["score"] == 0
    stored = app.extensions["store"].attempts(lesson=LESSON)
    assert [(a.question, a.choice, a.correct) for a in stored] == [("neuron-dw", wrong, False)]
    assert client.get(QUIZ).get_json()["progress"] == first["progress"]


def test_after_try_again_the_question_can_be_answered_again(app, client, quiz):
    right, wrong = right_and_wrong(quiz, "neuron-dw")
    client.post(answer_url("neuron-dw"), json={"choice": wrong})
    client.post(f"{QUIZ}/reset")
    response = client.post(answer_url("neuron-dw"), json={"choice": right})
    assert response.status_code == 200 and response.get_json()["progress"]["score"] == 1
    stored = app.extensions["store"].attempts(lesson=LESSON)
    assert [(a.choice, a.round) for a in stored] == [(wrong, 1), (right, 2)]


def test_racing_answers_to_one_question_store_exactly_one(app, quiz):
    # Eight tabs of one learner post at once: one answer is stored, the other seven get a 409
    # whose progress shows that stored answer.
    first = app.test_client()
    first.get(QUIZ)
    cookie = first.get_cookie("session").value
    choices = [c.id for c in quiz.question("neuron-dw").choices]
    barrier = threading.Barrier(8)

    def post(number):
        client = app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait(timeout=10)
        response = client.post(answer_url("neuron-dw"), json={"choice": choices[number % 3]})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(8)))
    assert sorted(status for status, _ in results) == [200] + [409] * 7
    stored = app.extensions["store"].attempts(lesson=LESSON)
    assert len(stored) == 1
    for _status, body in results:
        assert body["progress"]["answered"]["neuron-dw"]["choice"] == stored[0].choice


def test_try_again_starts_a_new_round_with_every_choice_in_a_new_order(app, client, quiz):
    before = client.get(QUIZ).get_json()
    for question_id in QUESTIONS:
        client.post(answer_url(question_id), json={"choice": right_and_wrong(quiz, question_id)[1]})
    response = client.post(f"{QUIZ}/reset")
    assert response.status_code == 200
    after = response.get_json()
    assert set(after) == {"lesson", "questions", "progress"}
    assert after["progress"] == {
        "round": 2,
        "answered": {},
        "score": 0,
        "total": 3,
        "current": 0,
        "missed": [],
    }
    for old, new in zip(before["questions"], after["questions"], strict=True):
        assert [c["id"] for c in old["choices"]] != [c["id"] for c in new["choices"]]
    assert client.get(QUIZ).get_json() == after  # and a reload keeps the new round
    assert len(app.extensions["store"].attempts(lesson=LESSON)) == 3  # the old answers stay
    right, _ = right_and_wrong(quiz, "neuron-dw")
    data = client.post(answer_url("neuron-dw"), json={"choice": right}).get_json()
    assert data["progress"]["round"] == 2 and data["progress"]["score"] == 1


# --- Errors: 404, 400, 415, never 500 --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/lessons/no-such-lesson/quiz", None),
        ("post", answer_url("neuron-dw", lesson="no-such-lesson"), {"choice": "a"}),
        ("post", "/api/lessons/no-such-lesson/quiz/reset", None),
        ("post", answer_url("no-such-question"), {"choice": "a"}),
        ("post", answer_url("NEURON-DW"), {"choice": "a"}),
    ],
)
def test_an_unknown_lesson_or_question_is_a_json_404(client, method, url, body):
    response = getattr(client, method)(url, json=body)
    assert response.status_code == 404
    data = response.get_json()
    assert data["error"] == "Not Found" and data["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"choice": None},
        {"choice": "z"},
        {"choice": ""},
        {"choice": 1},
        {"choice": ["a"]},
        {"choice": {"id": "a"}},
        {"choice": "A"},
        {"choise": "a"},
    ],
)
def test_a_missing_or_unknown_choice_is_a_400(client, body):
    response = client.post(answer_url("neuron-dw"), json=body)
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"] == "Bad Request" and data["message"]
    assert sorted(data["choices"]) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("choice=a", "application/x-www-form-urlencoded", 415),
        ('{"choice": "a"}', "text/plain", 415),
        ("", None, 415),
        ("{not json", "application/json", 400),
        ('["a"]', "application/json", 400),
        ('{"choice": NaN}', "application/json", 400),
        ('{"choice": "' + "a" * 70_000 + '"}', "application/json", 413),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, data, content_type, status):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(answer_url("neuron-dw"), data=data, headers=headers)
    assert response.status_code == status
    assert response.get_json()["message"]


def test_a_refused_answer_is_not_stored(app, client):
    client.post(answer_url("neuron-dw"), json={"choice": "z"})
    client.post(answer_url("neuron-dw"), data="x", headers={"Content-Type": "text/plain"})
    assert app.extensions["store"].attempts() == []


def test_the_wrong_method_is_a_json_405(client):
    response = client.get(answer_url("neuron-dw"))
    assert response.status_code == 405
    assert response.get_json()["error"] == "Method Not Allowed"


@pytest.mark.parametrize(
    ("method", "url", "broken_call", "words"),
    [
        ("post", answer_url("neuron-dw"), "record_attempt", "could not be saved"),
        ("post", f"{QUIZ}/reset", "start_round", "could not be saved"),
        ("get", QUIZ, "round_state", "could not be read"),
    ],
)
def test_a_database_failure_is_a_503_in_words_not_a_500(
    app, client, monkeypatch, method, url, broken_call, words
):
    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    client.get(QUIZ)  # a learner with a cookie, so Try again reaches the database
    monkeypatch.setattr(app.extensions["store"], broken_call, broken)
    response = getattr(client, method)(url, json={"choice": "a"} if method == "post" else None)
    assert response.status_code == 503
    body = response.get_json()
    assert set(body) == {"error", "message"} and body["error"] == "Service Unavailable"
    assert words in body["message"]


def test_a_database_failure_on_a_page_is_a_503_page(app, client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("disk I/O error"))

    monkeypatch.setattr("webapp.pages.render_template", broken)
    response = client.get("/")
    assert response.status_code == 503 and response.mimetype == "text/html"


# --- The learner cookie and the secret key ---------------------------------------------------


def test_the_learner_cookie_is_signed_httponly_and_samesite_lax(client):
    response = client.get(QUIZ)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # it outlives the browser session


def test_a_tampered_cookie_is_a_new_learner(app, quiz):
    client = app.test_client()
    client.post(answer_url("neuron-dw"), json={"choice": "a"})
    cookie = client.get_cookie("session")
    forged = app.test_client()
    forged.set_cookie("session", cookie.value[:-3] + "AAA")
    assert forged.get(QUIZ).get_json()["progress"]["answered"] == {}
    same = app.test_client()
    same.set_cookie("session", cookie.value)
    assert list(same.get(QUIZ).get_json()["progress"]["answered"]) == ["neuron-dw"]


def test_the_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = make_test_app(tmp_path, SECRET_KEY=None)
    path = tmp_path / "instance" / "secret_key"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = first.config["SECRET_KEY"]
    assert len(key) == 64 and key == path.read_text().strip()
    second = make_test_app(tmp_path, SECRET_KEY=None)
    assert second.config["SECRET_KEY"] == key
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_the_secret_key_comes_from_the_environment_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-" + "x" * 20)
    app = make_test_app(tmp_path, SECRET_KEY=None)
    assert app.config["SECRET_KEY"].startswith("from-the-environment-")
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_there_is_no_fixed_secret_key_in_the_code():
    import webapp.learner

    with open(webapp.learner.__file__, encoding="utf-8") as file:
        source = file.read()
    assert "SECRET_KEY =" not in source and "SECRET_KEY=" not in source
