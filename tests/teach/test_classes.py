"""Classes: a teacher creates them, students join and leave; who may see what."""

import re

import pytest

from tests.conftest import make_test_app
from tests.teach.conftest import login, make_teacher, page_token, teacher_token
from webapp.teach.auth import owned_class
from webapp.teach.store import CODE_ALPHABET

CODE = re.compile(f"[{CODE_ALPHABET}]{{8}}")
# Names that show nothing: zero-width space, BOM, bidi overrides and isolates, tag characters,
# no-break and ideographic spaces, a Hangul filler, a lone combining mark.
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"  # a word that needs its joiner
INVISIBLE = [
    "\u200b",
    "\ufeff\ufeff",
    "\u202e\u202d\u202c",
    "\u2066 \u2069",
    "\U000e0041\U000e0042\U000e007f",
    "\u00a0\u3000\u200b",
    "\u3164",
    "\u0301",
    "\u200d",
]


def create(client, name, token=None):
    headers = {"X-CSRFToken": token or teacher_token(client)}
    return client.post("/api/teach/classes", json={"name": name}, headers=headers)


def learners_of(client, class_id):
    classes = client.get("/api/teach/classes").get_json()["classes"]
    return next(c["learners"] for c in classes if c["id"] == class_id)


# --- The teacher's side ---------------------------------------------------------------------


def test_create_answers_201_with_id_name_and_code(teacher_client):
    response = create(teacher_client, "  Deep learning,\n group   B ")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "name", "code"}
    assert body["name"] == "Deep learning, group B"
    assert CODE.fullmatch(body["code"])
    listed = teacher_client.get("/api/teach/classes").get_json()["classes"]
    assert listed == [{**body, "learners": 0}]


def test_codes_are_unambiguous_and_unique(teacher_client):
    token = teacher_token(teacher_client)
    codes = [create(teacher_client, f"Class {n}", token).get_json()["code"] for n in range(40)]
    assert len(set(codes)) == 40
    assert all(CODE.fullmatch(code) for code in codes)
    assert not set("".join(codes)) & set("01OIL")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give a class name"),
        ("   \n ", "Give a class name"),
        ("x" * 101, "at most 100"),
        (None, "must be text"),
        (42, "must be text"),
        (["A"], "must be text"),
        ("A\x00B", "cannot be stored"),
        *[(blank, "visible") for blank in INVISIBLE],
    ],
)
def test_a_bad_name_is_a_400(teacher_client, name, message):
    response = create(teacher_client, name)
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"error", "message"} and message in body["message"]
    assert teacher_client.get("/api/teach/classes").get_json()["classes"] == []


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("\u202eGroup B\u202c", "Group B"),
        ("Gr\u200boup\ufeff B", "Group B"),
        ("Tag\U000e0041s", "Tags"),
        (PERSIAN, PERSIAN),  # its zero-width non-joiner is part of the spelling
    ],
)
def test_format_characters_are_dropped_but_joiners_kept(teacher_client, typed, kept):
    assert create(teacher_client, typed).get_json()["name"] == kept


def test_a_name_of_100_characters_is_kept_whole(teacher_client):
    assert create(teacher_client, "é" * 100).get_json()["name"] == "é" * 100


def test_bad_bodies_are_4xx(teacher_client):
    headers = {"X-CSRFToken": teacher_token(teacher_client)}
    not_json = teacher_client.post("/api/teach/classes", data="name=A", headers=headers)
    assert not_json.status_code == 415
    array = teacher_client.post("/api/teach/classes", json=["A"], headers=headers)
    assert array.status_code == 400
    extra = teacher_client.post(
        "/api/teach/classes", json={"name": "A", "teacher": 1, "code": "X"}, headers=headers
    )
    assert extra.status_code == 400
    assert extra.get_json()["message"] == "unknown field(s): code, teacher"
    assert teacher_client.get("/api/teach/classes").get_json()["classes"] == []


def test_the_number_of_classes_is_bounded(tmp_path):
    app = make_test_app(tmp_path, CLASSES_PER_TEACHER=2)
    make_teacher(app)
    client = app.test_client()
    login(client)
    token = teacher_token(client)
    assert [create(client, n, token).status_code for n in "AB"] == [201, 201]
    refused = create(client, "C", token)
    assert refused.status_code == 409
    assert "2 classes" in refused.get_json()["message"]


def test_writes_need_the_csrf_token(teacher_client):
    missing = teacher_client.post("/api/teach/classes", json={"name": "A"})
    assert missing.status_code == 400
    assert missing.get_json()["message"] == "The CSRF token is missing."
    wrong = create(teacher_client, "A", token="IjNmZGQ5In0.aaaa.bbbb")
    assert wrong.status_code == 400
    assert teacher_client.get("/api/teach/classes").get_json()["classes"] == []


def test_without_a_session_the_api_is_401_and_pages_redirect(client):
    for response in (
        client.get("/api/teach/classes"),
        client.post("/api/teach/classes", json={"name": "A"}),
    ):
        assert response.status_code == 401
        assert set(response.get_json()) == {"error", "message"}
    page = client.post("/teach/classes", data={"name": "A"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/teach/login")


def test_another_teachers_class_is_none_and_not_listed(app, teacher_client):
    mine = create(teacher_client, "Ann's class").get_json()
    make_teacher(app, "bob@example.org")
    bob = app.test_client()
    login(bob, "bob@example.org")
    assert bob.get("/api/teach/classes").get_json()["classes"] == []
    assert "Ann&#39;s class" not in bob.get("/teach").text
    with app.test_request_context():
        from flask_login import login_user

        from webapp.teach.auth import Teacher

        with app.app_context():
            store = app.extensions["store"]
            login_user(Teacher(store.teacher_by_email("bob@example.org")))
            assert owned_class(mine["id"]) is None
            assert owned_class(mine["id"] + 1000) is None
            login_user(Teacher(store.teacher_by_email("ann@example.org")))
            assert owned_class(mine["id"]) == {**mine, "learners": 0}


def test_the_page_form_creates_a_class(teacher_client):
    page = teacher_client.get("/teach")
    assert "No classes yet" in page.text
    token = page_token(page.text)
    response = teacher_client.post("/teach/classes", data={"name": "Group C", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/teach"
    page = teacher_client.get("/teach").text
    code = teacher_client.get("/api/teach/classes").get_json()["classes"][0]["code"]
    assert "Group C" in page and f"Its join code is {code}" in page
    assert f"/join/{code}" in page


def test_the_page_form_refuses_without_token_or_name(teacher_client):
    assert teacher_client.post("/teach/classes", data={"name": "A"}).status_code == 400
    token = teacher_token(teacher_client)
    empty = teacher_client.post("/teach/classes", data={"name": " ", "csrf_token": token})
    assert empty.status_code == 400 and "Give a class name" in empty.text
    assert teacher_client.get("/api/teach/classes").get_json()["classes"] == []


# --- The student's side ---------------------------------------------------------------------


@pytest.fixture
def klass(teacher_client):
    return create(teacher_client, "Group B").get_json()


def join(client, code, nickname=None):
    body = {"code": code} if nickname is None else {"code": code, "nickname": nickname}
    return client.post("/api/classes/join", json=body)


def test_a_student_joins_with_the_code(app, teacher_client, klass):
    student = app.test_client()
    response = join(student, klass["code"], "Zed")
    assert response.status_code == 200
    assert response.get_json() == {"class": {"id": klass["id"], "name": "Group B"}}
    assert learners_of(teacher_client, klass["id"]) == 1
    mine = student.get("/api/classes").get_json()["classes"]
    assert mine == [{"id": klass["id"], "name": "Group B", "nickname": "Zed"}]


@pytest.mark.parametrize("spelling", [str.lower, lambda c: f" {c[:4]}-{c[4:]} ", str])
def test_the_code_is_read_in_any_case_with_spaces_and_dashes(app, klass, spelling):
    assert join(app.test_client(), spelling(klass["code"])).status_code == 200


def test_joining_twice_is_one_membership_with_the_new_nickname(app, teacher_client, klass):
    student = app.test_client()
    assert join(student, klass["code"], "Zed").status_code == 200
    assert join(student, klass["code"], "Zoe").status_code == 200
    assert join(student, klass["code"]).status_code == 200  # no nickname: the old one stays
    assert learners_of(teacher_client, klass["id"]) == 1
    assert student.get("/api/classes").get_json()["classes"][0]["nickname"] == "Zoe"


@pytest.mark.parametrize("code", ["ZZZZZZZZ", "", "short", "x" * 200, "ABCD EFGH IJKL"])
def test_an_unknown_code_is_a_404(app, klass, code):
    response = join(app.test_client(), code)
    assert response.status_code == 404
    assert "No class has this join code" in response.get_json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": 12345678},
        {"code": None},
        {"code": "X", "nickname": 3},
        {"code": "ABCDEFGH", "learner": "someone-else"},
    ],
)
def test_a_bad_join_body_is_a_400(app, klass, body):
    response = app.test_client().post("/api/classes/join", json=body)
    assert response.status_code == 400
    assert set(response.get_json()) == {"error", "message"}


@pytest.mark.parametrize(
    ("nickname", "status"),
    [
        ("x" * 40, 200),
        ("x" * 41, 400),
        ("Zed\x00", 400),
        ("  ", 200),
        ("", 200),
        *[(blank, 400) for blank in INVISIBLE],
    ],
)
def test_nicknames(app, klass, nickname, status):
    student = app.test_client()
    assert join(student, klass["code"], nickname).status_code == status
    if status == 200:
        stored = student.get("/api/classes").get_json()["classes"][0]["nickname"]
        assert stored == (nickname.strip() or None)


def test_a_student_leaves_a_class(app, teacher_client, klass):
    student = app.test_client()
    join(student, klass["code"], "Zed")
    url = f"/api/classes/{klass['id']}/membership"
    assert student.delete(url).status_code == 204
    assert learners_of(teacher_client, klass["id"]) == 0
    assert student.get("/api/classes").get_json()["classes"] == []
    again = student.delete(url)
    assert again.status_code == 404 and "not in this class" in again.get_json()["message"]
    assert app.test_client().delete(url).status_code == 404  # a stranger: no cookie


def test_one_student_cannot_take_another_out(app, teacher_client, klass):
    first, second = app.test_client(), app.test_client()
    join(first, klass["code"])
    join(second, klass["code"])
    assert second.delete(f"/api/classes/{klass['id']}/membership").status_code == 204
    assert second.delete(f"/api/classes/{klass['id']}/membership").status_code == 404
    assert learners_of(teacher_client, klass["id"]) == 1


def test_joins_are_rate_limited(tmp_path):
    app = make_test_app(tmp_path, CLASS_JOINS_PER_MINUTE=2)
    make_teacher(app)
    teacher = app.test_client()
    login(teacher)
    code = create(teacher, "A").get_json()["code"]
    student = app.test_client()
    # The first join has no learner yet (it makes one): only its address counts it.
    assert [join(student, code).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_learner_is_in_a_bounded_number_of_classes(tmp_path):
    app = make_test_app(tmp_path, CLASSES_PER_LEARNER=2)
    make_teacher(app)
    teacher = app.test_client()
    login(teacher)
    token = teacher_token(teacher)
    codes = [create(teacher, n, token).get_json()["code"] for n in "ABC"]
    student = app.test_client()
    assert [join(student, code).status_code for code in codes] == [200, 200, 409]


def test_deleting_a_teacher_deletes_their_classes(app, teacher_client, klass):
    student = app.test_client()
    join(student, klass["code"])
    with app.app_context():
        assert app.extensions["store"].delete_teacher("ann@example.org")
    assert student.get("/api/classes").get_json()["classes"] == []
    assert join(student, klass["code"]).status_code == 404


# --- The student's pages --------------------------------------------------------------------


def test_the_join_page_shows_the_class_and_joins_by_form(app, teacher_client, klass):
    student = app.test_client()
    page = student.get(f"/join/{klass['code'].lower()}")
    assert page.status_code == 200
    assert "<h1>Group B</h1>" in page.text and 'name="nickname"' in page.text
    form = {"nickname": "Zed", "csrf_token": page_token(page.text)}
    done = student.post(f"/join/{klass['code']}", data=form)
    assert done.status_code == 302 and done.headers["Location"] == "/join"
    listing = student.get("/join").text
    assert "You joined \u201cGroup B\u201d." in listing
    assert "Group B" in listing and "(as Zed)" in listing and "Leave Group B" in listing
    assert learners_of(teacher_client, klass["id"]) == 1


def test_the_join_form_needs_its_token(app, teacher_client, klass):
    student = app.test_client()
    student.get(f"/join/{klass['code']}")
    refused = student.post(f"/join/{klass['code']}", data={"nickname": "Zed"})
    assert refused.status_code == 400 and "expired" in refused.text
    assert learners_of(teacher_client, klass["id"]) == 0


def test_an_unknown_code_is_a_friendly_404_page(client):
    page = client.get("/join/NOPE1234")
    assert page.status_code == 404
    assert "No class has the code NOPE1234" in page.text
    assert 'name="code"' in page.text  # a form to type it again


def test_the_course_pages_form_leads_to_the_join_page(client, klass):
    course = client.get("/").text
    assert 'action="/join"' in course and 'id="course-join-code"' in course
    assert '<a href="/join">Your classes</a>' in course
    response = client.get("/join", query_string={"code": f" {klass['code'].lower()} "})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/join/{klass['code']}"


def test_the_leave_button(app, teacher_client, klass):
    student = app.test_client()
    join(student, klass["code"])
    page = student.get("/join").text
    token = page_token(page)
    url = f"/join/classes/{klass['id']}/leave"
    assert student.post(url).status_code == 400  # without the token
    assert learners_of(teacher_client, klass["id"]) == 1
    left = student.post(url, data={"csrf_token": token})
    assert left.status_code == 302
    assert "You left the class." in student.get("/join").text
    assert learners_of(teacher_client, klass["id"]) == 0
    assert student.post(url, data={"csrf_token": token}).status_code == 404


def test_the_class_endpoints_are_documented(app):
    from tests.api.test_graph_api import api_routes
    from webapp.api.openapi import build_document

    documented = {
        (path, method) for path, item in build_document()["paths"].items() for method in item
    }
    mine = {
        (p, m) for p, m in api_routes(app) if p.startswith(("/api/classes", "/api/teach/classes"))
    }
    assert {
        ("/api/classes/join", "post"),
        ("/api/classes", "get"),
        ("/api/classes/{class_id}/membership", "delete"),
        ("/api/teach/classes", "get"),
        ("/api/teach/classes", "post"),
    } <= mine & documented


def test_every_class_route_is_a_404_for_another_teacher(app, teacher_client):
    from tests.teach.test_auth import _teacher_routes

    mine = create(teacher_client, "Ann's class").get_json()
    assert mine["id"] == 1
    make_teacher(app, "bob@example.org")
    bob = app.test_client()
    login(bob, "bob@example.org")
    routes = [(m, u) for m, u in _teacher_routes(app) if "/classes/1" in u]
    assert ("GET", "/api/teach/classes/1/stats") in routes
    for method, url in routes:
        assert bob.open(url, method=method).status_code == 404, url
        # The owner gets the class: the 404 above is about ownership, not a bad URL.
        assert teacher_client.open(url, method=method).status_code == 200, url
