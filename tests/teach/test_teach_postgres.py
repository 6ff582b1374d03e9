"""Teachers, classes and joining on a real PostgreSQL (the throwaway cluster of test_postgres)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import make_test_app
from tests.teach.conftest import PASSWORD, login, teacher_token
from tests.test_postgres import pg_cluster  # noqa: F401  (the fixture)


@pytest.fixture(scope="module")
def pg_url(pg_cluster):  # noqa: F811
    return pg_cluster("lessons")


@pytest.fixture
def servers(tmp_path, pg_url):
    """Two app servers on one PostgreSQL database."""
    apps = [make_test_app(tmp_path / name, DATABASE_URL=pg_url) for name in ("one", "two")]
    yield apps
    for app in apps:
        app.extensions["store"].engine.dispose()


def create_teacher(app, email):
    result = app.test_cli_runner().invoke(args=["teacher", "create", email], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def test_accounts_classes_and_members_end_to_end(servers):
    one, two = servers
    create_teacher(one, "pg-ann@example.org")
    duplicate = two.test_cli_runner().invoke(
        args=["teacher", "create", "PG-Ann@example.org"], input=PASSWORD + "\n"
    )
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    teacher = one.test_client()
    assert login(teacher, "pg-ann@example.org").status_code == 302
    headers = {"X-CSRFToken": teacher_token(teacher)}
    created = teacher.post("/api/teach/classes", json={"name": "PG class"}, headers=headers)
    assert created.status_code == 201
    klass = created.get_json()
    student = two.test_client()  # the other server: one database
    nul = student.post("/api/classes/join", json={"code": klass["code"], "nickname": "A\x00"})
    assert nul.status_code == 400  # PostgreSQL would refuse the NUL: never sent to it
    for nickname in ("Pat", "Pia"):
        joined = student.post(
            "/api/classes/join", json={"code": klass["code"], "nickname": nickname}
        )
        assert joined.status_code == 200
    listed = teacher.get("/api/teach/classes").get_json()["classes"]
    assert listed == [{**klass, "learners": 1}]
    assert student.get("/api/classes").get_json()["classes"][0]["nickname"] == "Pia"
    assert student.delete(f"/api/classes/{klass['id']}/membership").status_code == 204
    assert teacher.get("/api/teach/classes").get_json()["classes"][0]["learners"] == 0
    student.post("/api/classes/join", json={"code": klass["code"]})
    deleted = one.test_cli_runner().invoke(args=["teacher", "delete", "pg-ann@example.org"])
    assert deleted.exit_code == 0
    assert teacher.get("/api/teach/classes").status_code == 401
    assert student.get("/api/classes").get_json()["classes"] == []


def test_racing_creates_on_two_servers_stop_at_the_bound(tmp_path, pg_url):
    apps = [
        make_test_app(tmp_path / name, DATABASE_URL=pg_url, CLASSES_PER_TEACHER=3)
        for name in ("one", "two")
    ]
    create_teacher(apps[0], "pg-race@example.org")
    clients = []
    for app in apps:
        for _ in range(4):
            client = app.test_client()
            assert login(client, "pg-race@example.org").status_code == 302
            clients.append((client, teacher_token(client)))

    def create(pair):
        client, token = pair
        response = client.post(
            "/api/teach/classes", json={"name": "race"}, headers={"X-CSRFToken": token}
        )
        return response.status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(create, clients))
    assert statuses == [201] * 3 + [409] * 5
    client, _ = clients[0]
    assert len(client.get("/api/teach/classes").get_json()["classes"]) == 3
    for app in apps:
        app.extensions["store"].engine.dispose()
