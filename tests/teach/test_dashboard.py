"""The dashboard's routes: who may see them, the statistics as the API contract shapes them, and
the CSV export (streamed, every kind of attempt, safe to open in a spreadsheet)."""

import csv
import html
import io
import json
import re

import pytest
from sqlalchemy import insert

from lessonengine.assessment.mistakes import NOTES
from tests.teach.conftest import login, make_teacher, teacher_token
from tests.test_postgres import pg_cluster  # noqa: F401 (a fixture)
from webapp.db import utc_now
from webapp.schema import graph_attempts, practice_attempts, practice_exercises
from webapp.teach.dashboard import CSV_COLUMNS, PLAIN_NUMBER, pseudonym, safe_cell
from webapp.teach.notes import NOTE_TITLES, note_titles

LESSON = "chain-rule-in-networks"


def create_class(client, name="Group A") -> dict:
    response = client.post(
        "/api/teach/classes", json={"name": name}, headers={"X-CSRFToken": teacher_token(client)}
    )
    assert response.status_code == 201
    return response.get_json()


def join(app, code, nickname=None):
    """A student's browser (its own learner cookie) that joined the class."""
    student = app.test_client()
    body = {"code": code} if nickname is None else {"code": code, "nickname": nickname}
    assert student.post("/api/classes/join", json=body).status_code == 200
    return student


def learner_id(app, klass, nickname):
    with app.app_context(), app.extensions["store"].engine.connect() as conn:
        from webapp.schema import class_members

        return (
            conn.execute(
                class_members.select().where(
                    class_members.c.class_id == klass["id"], class_members.c.nickname == nickname
                )
            )
            .one()
            .learner
        )


@pytest.fixture
def klass(teacher_client):
    return create_class(teacher_client)


def test_the_stats_follow_the_contract_and_show_a_students_answers(app, teacher_client, klass):
    kim = join(app, klass["code"], "Kim")
    lee = join(app, klass["code"], "Lee")
    outsider = app.test_client()  # not in the class: never counted
    for client, choice in ((kim, "b"), (lee, "c"), (outsider, "b")):
        answered = client.post(
            f"/api/lessons/{LESSON}/quiz/neuron-dw/answer", json={"choice": choice}
        )
        assert answered.status_code == 200
    step = {"preset": "neuron", "node": "w", "quantity": "grad"}
    assert kim.post("/api/graph/answer", json={**step, "answer": "0.5"}).status_code == 200

    response = teacher_client.get(f"/api/teach/classes/{klass['id']}/stats")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    stats = response.get_json()
    assert set(stats) >= {"class", "quiz", "nodes", "skills"}
    assert stats["class"] == {"id": klass["id"], "name": "Group A", "learners": 2}
    item = next(q for q in stats["quiz"] if q["question"] == "neuron-dw")
    assert set(item) >= {"question", "answered", "facility", "discrimination", "choices"}
    assert item["answered"] == 2 and item["facility"] == 0.5
    # Each of two students answered one question: the rest scores do not vary.
    assert item["discrimination"] is None
    counts = {c["id"]: (c["count"], c["correct"]) for c in item["choices"]}
    assert counts == {"a": (0, False), "b": (1, False), "c": (1, True), "d": (0, False)}
    wrong = next(c for c in item["choices"] if c["id"] == "b")
    assert "That is" in wrong["misconception"]  # the first sentence of its feedback
    [node] = stats["nodes"]
    assert {k: node[k] for k in ("graph", "node", "quantity", "attempts")} == {
        "graph": "neuron",
        "node": "w",
        "quantity": "grad",
        "attempts": 1,
    }
    assert node["first_try_correct"] == 0.0 and len(node["notes"]) == 1
    assert set(node["notes"][0]) == {"note", "count"} and node["notes"][0]["count"] == 1
    for skill in stats["skills"]:
        assert set(skill["levels"]) == {"new", "attempted", "familiar", "proficient", "mastered"}
        assert skill["levels"]["new"] == 2

    days = teacher_client.get(f"/api/teach/classes/{klass['id']}/activity").get_json()["days"]
    assert sum(d["answers"] for d in days) == 3 and days[-1]["learners"] == 2

    page = teacher_client.get(f"/teach/classes/{klass['id']}")
    assert page.status_code == 200
    assert '<meta name="csrf-token"' in page.text
    assert "Group A" in page.text and "data-dashboard" in page.text


def test_every_note_of_the_catalogue_has_words_for_the_dashboard(teacher_client, klass):
    """The graphs list notes by their words: each note the grader can give has a short title,
    so a new mistake in the catalogue cannot show up as a bare code."""
    titles = note_titles()
    assert set(titles) == set(NOTES)
    for note, title in titles.items():
        assert title != note and 0 < len(title) <= 60, note
    assert titles["missed-fork"] == NOTE_TITLES["missed-fork"]
    page = teacher_client.get(f"/teach/classes/{klass['id']}")
    settings = json.loads(html.unescape(re.search(r"data-dashboard='([^']*)'", page.text)[1]))
    assert settings["notes"] == titles


def test_access_is_refused_without_a_session_to_a_student_and_to_another_teacher(
    app, teacher_client, klass
):
    cid = klass["id"]
    paths = [f"/teach/classes/{cid}", f"/teach/classes/{cid}/attempts.csv"]
    apis = [f"/api/teach/classes/{cid}/stats", f"/api/teach/classes/{cid}/activity"]
    stranger = app.test_client()
    student = join(app, klass["code"], "Kim")
    for client in (stranger, student):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 302 and "/teach/login" in response.location, path
        for path in apis:
            response = client.get(path)
            assert response.status_code == 401, path
            assert set(response.get_json()) == {"error", "message"}
    make_teacher(app, "bob@example.org")
    bob = app.test_client()
    assert login(bob, "bob@example.org").status_code == 302
    huge = 10**20  # beyond any database integer: a 404 too, never a 500
    others = ["/teach/classes/9999", "/api/teach/classes/9999/stats"]
    others += [f"/teach/classes/{huge}/attempts.csv", f"/api/teach/classes/{huge}/stats"]
    for path in paths + apis + others:
        response = bob.get(path)
        assert response.status_code == 404, path
    assert bob.get(apis[0]).get_json()["error"] == "Not Found"
    # A forged session cookie is a stranger.
    forged = app.test_client()
    forged.set_cookie("session", teacher_client.get_cookie("session").value[:-4] + "AAAA")
    assert forged.get(apis[0]).status_code == 401


def test_the_csv_is_streamed_with_every_kind_and_is_safe_in_a_spreadsheet(
    app, teacher_client, klass
):
    kim = join(app, klass["code"], "=HYPERLINK(1)")
    anon = join(app, klass["code"])
    assert (
        kim.post(f"/api/lessons/{LESSON}/quiz/neuron-dw/answer", json={"choice": "b"}).status_code
        == 200
    )
    step = {"preset": "neuron", "node": "w", "quantity": "grad"}
    assert anon.post("/api/graph/answer", json={**step, "answer": "-0.5"}).status_code == 200
    anon_id = learner_id(app, klass, None)
    with app.app_context(), app.extensions["store"].engine.begin() as conn:
        # A step whose answer a spreadsheet would run, and a practice answer.
        conn.execute(
            insert(graph_attempts).values(
                learner=anon_id,
                graph="neuron",
                node="z",
                quantity="grad",
                parent="",
                answer="@SUM(A1:A9)",
                correct=False,
                note="sign",
                revealed=False,
                created_at=utc_now(),
            )
        )
        conn.execute(
            insert(practice_exercises).values(
                id="ex1", learner=anon_id, skill="chain", seed=7, created_at=utc_now()
            )
        )
        conn.execute(
            insert(practice_attempts).values(
                exercise="ex1",
                learner=anon_id,
                skill="chain",
                seed=7,
                answer="+3",
                correct=True,
                note="correct",
                level_before="new",
                level_after="attempted",
                created_at=utc_now(),
            )
        )
    response = teacher_client.get(f"/teach/classes/{klass['id']}/attempts.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["kind"] for r in body] == ["quiz", "graph", "graph", "practice"]
    quiz, graph, formula, practice = body
    assert quiz["learner"] == "'=HYPERLINK(1)"  # the nickname, defused
    assert quiz["item"] == f"{LESSON}/neuron-dw" and quiz["answer"] == "b"
    assert quiz["correct"] == "false" and quiz["time"].endswith("+00:00")
    assert graph["learner"] == pseudonym(klass["id"], anon_id) != anon_id
    assert graph["item"] == "neuron/w/grad" and graph["answer"] == "-0.5"
    assert formula["answer"] == "'@SUM(A1:A9)" and formula["note"] == "sign"
    assert (practice["item"], practice["answer"], practice["correct"]) == ("chain#7", "+3", "true")
    for row in rows:
        for cell in row:
            # Only a plain number may start with a sign: it is data, and stays a number.
            if cell.startswith(("=", "+", "-", "@")):
                assert PLAIN_NUMBER.fullmatch(cell), cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "+1"),
        # A plain number stays a number (a quote would turn it into text in the spreadsheet).
        ("-0.5", "-0.5"),
        ("-0.3318", "-0.3318"),
        ("-2.0999999999999996", "-2.0999999999999996"),
        ("+3", "+3"),
        ("-1e-05", "-1e-05"),
        (".5", ".5"),
        # Anything else that starts like a formula is defused, numbers' look-alikes included.
        ("-1/a", "'-1/a"),
        ("-1+2", "'-1+2"),
        ("-inf", "'-inf"),
        ("-nan", "'-nan"),
        ("-", "'-"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("\t1", "'\t1"),
        ("\r1", "'\r1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("0.5", "0.5"),
        ("a=b", "a=b"),
        (None, ""),
        (3, "3"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_the_csv_of_a_large_class_comes_in_pieces(app, teacher_client, klass):
    from webapp.teach import dashboard

    student = join(app, klass["code"], "Kim")
    learner = learner_id(app, klass, "Kim")
    rows = [
        {
            "learner": learner,
            "graph": "neuron",
            "node": "w",
            "quantity": "grad",
            "parent": "",
            "answer": f"{i / 7:.6f}" * 8,
            "correct": False,
            "note": "sign",
            "revealed": False,
            "created_at": utc_now(),
        }
        for i in range(3000)
    ]
    with app.app_context(), app.extensions["store"].engine.begin() as conn:
        conn.execute(insert(graph_attempts), rows)
    assert student is not None
    response = teacher_client.get(f"/teach/classes/{klass['id']}/attempts.csv")
    pieces = list(response.response)
    assert len(pieces) > 2  # sent as it is read, not as one string
    assert all(len(p) < dashboard.CHUNK_BYTES + 2000 for p in pieces)
    assert sum(p.count(b"\n") if isinstance(p, bytes) else p.count("\n") for p in pieces) == 3001


def test_stats_and_the_streamed_csv_on_postgresql(request, tmp_path):
    """The same routes on the suite's PostgreSQL: a server-side cursor streams the CSV."""
    from sqlalchemy import create_engine, text

    from tests.conftest import make_test_app

    cluster = request.getfixturevalue("pg_cluster")
    admin = create_engine(cluster("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE dashboard"))
    admin.dispose()
    app = make_test_app(tmp_path, DATABASE_URL=cluster("dashboard"))
    try:
        make_teacher(app)
        teacher = app.test_client()
        assert login(teacher).status_code == 302
        klass = create_class(teacher)
        for nickname, choice in (("Kim", "b"), ("Lee", "c"), ("Max", "c")):
            student = join(app, klass["code"], nickname)
            url = f"/api/lessons/{LESSON}/quiz/neuron-dw/answer"
            assert student.post(url, json={"choice": choice}).status_code == 200
        stats = teacher.get(f"/api/teach/classes/{klass['id']}/stats").get_json()
        item = next(q for q in stats["quiz"] if q["question"] == "neuron-dw")
        assert (item["answered"], item["facility"]) == (3, pytest.approx(2 / 3))
        response = teacher.get(f"/teach/classes/{klass['id']}/attempts.csv")
        assert response.is_streamed
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == CSV_COLUMNS
        assert sorted(r[1] for r in rows[1:]) == ["Kim", "Lee", "Max"]
        days = teacher.get(f"/api/teach/classes/{klass['id']}/activity").get_json()["days"]
        assert days[-1]["answers"] == 3 and days[-1]["quiz"] == 3
    finally:
        app.extensions["store"].engine.dispose()
