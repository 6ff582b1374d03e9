"""The quiz store on a real PostgreSQL: a throwaway cluster, several app servers, many learners.

The cluster listens on a Unix socket in a private temporary directory only (nothing on the
network) and is removed afterwards. Without PostgreSQL's server binaries these tests fail, they
never skip: a deployment with `DATABASE_URL` must not go out untested.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import make_test_app
from webapp.schema import SCHEMA_VERSION, attempts, quiz_rounds
from webapp.store import get_schema_version, init_schema

LESSON = "chain-rule-in-networks"
QUIZ = f"/api/lessons/{LESSON}/quiz"
QUESTIONS = ["neuron-dw", "linear-transpose", "error-reuse"]
MISSING = (
    "PostgreSQL 15 server binaries are needed: run `make test` "
    "(it installs Debian's postgresql package)"
)


def answer_url(question):
    return f"{QUIZ}/{question}/answer"


def server_binaries():
    """(initdb, pg_ctl) from PATH or /usr/lib/postgresql/*/bin (newest first), else None."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        initdb, pg_ctl = os.path.join(bindir, "initdb"), os.path.join(bindir, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def free_port():
    # Only names the socket file here (no TCP listener), but a free port avoids any clash.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_as_postgres(*command):
    # initdb refuses to run as root: root runs the server tools as the `postgres` user.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def test_postgresql_server_binaries_are_installed():
    assert server_binaries() is not None, MISSING


@pytest.fixture(scope="module")
def pg_cluster():
    """A running throwaway cluster: yields a URL maker, url(database) -> SQLAlchemy URL."""
    binaries = server_binaries()
    if binaries is None:
        pytest.fail(MISSING)
    initdb, pg_ctl = binaries
    # Directly under /tmp (not pytest's root-only tmp tree, which `postgres` cannot enter), and
    # short: a Unix socket's path is limited to about 100 characters.
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    started = False
    try:
        run_as_postgres(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
        run_as_postgres(pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        started = True

        def url(database):
            return f"postgresql+psycopg://postgres@/{database}?host={sockets}&port={port}"

        admin = create_engine(url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE lessons"))
            conn.execute(text("CREATE DATABASE race"))
        admin.dispose()
        yield url
    finally:
        if started:
            run_as_postgres(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_url(pg_cluster):
    return pg_cluster("lessons")


@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = make_test_app(tmp_path, DATABASE_URL=pg_url)
    yield app
    app.extensions["store"].engine.dispose()


def stored(app, learner=None):
    """(learner, question, choice, correct, round) of every attempt, oldest first."""
    return [
        (a.learner, a.question, a.choice, a.correct, a.round)
        for a in app.extensions["store"].attempts(lesson=LESSON, learner=learner)
    ]


def learner_of(client):
    """The learner id in a test client's signed session cookie."""
    with client.session_transaction() as session:
        return session["learner"]


def right_and_wrong(app, question_id):
    question = app.extensions["quizzes"][LESSON].question(question_id)
    wrong = next(c.id for c in question.choices if c.id != question.correct)
    return question.correct, wrong


# --- Schema -----------------------------------------------------------------------------------


def test_the_schema_is_created_once_with_its_version(pg_app, pg_url, tmp_path):
    engine = pg_app.extensions["store"].engine
    assert engine.dialect.name == "postgresql"
    assert get_schema_version(engine) == SCHEMA_VERSION
    # A second server on the same database finds the schema and changes nothing.
    second = make_test_app(tmp_path / "second", DATABASE_URL=pg_url)
    second.extensions["store"].engine.dispose()
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        columns = {
            row.column_name: row.data_type
            for row in conn.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = 'attempts'"
                )
            )
        }
    assert versions == [f"{SCHEMA_VERSION:04d}"]
    assert columns["id"] == "bigint"
    assert columns["correct"] == "boolean"
    assert columns["created_at"] == "timestamp with time zone"


def test_a_version_1_database_upgrades_in_place_keeping_every_attempt(pg_cluster):
    from tests.migrations import check_upgraded, make_version_1_database

    admin = create_engine(pg_cluster("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE upgrade"))
    admin.dispose()
    engine = create_engine(pg_cluster("upgrade"))
    make_version_1_database(engine)
    assert init_schema(engine) == 1 and get_schema_version(engine) == SCHEMA_VERSION
    check_upgraded(engine)
    engine.dispose()


def test_todays_schema_is_taken_over_by_alembic_keeping_every_attempt(pg_cluster):
    from tests.migrations import check_version_2_upgraded, make_version_2_database

    admin = create_engine(pg_cluster("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE today"))
    admin.dispose()
    engine = create_engine(pg_cluster("today"))
    make_version_2_database(engine)
    assert init_schema(engine) == 2 and get_schema_version(engine) == SCHEMA_VERSION
    check_version_2_upgraded(engine)
    assert init_schema(engine) == SCHEMA_VERSION
    engine.dispose()


def test_servers_starting_together_create_the_schema_once(pg_cluster):
    # The advisory lock: without it, concurrent CREATE TABLEs collide in PostgreSQL's catalogue.
    engine = create_engine(pg_cluster("race"))
    barrier = threading.Barrier(4)

    def start():
        barrier.wait()
        return init_schema(engine)

    with ThreadPoolExecutor(4) as pool:
        before = sorted(pool.map(lambda _: start(), range(4)))
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert before == [0, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION]
    assert versions == [f"{SCHEMA_VERSION:04d}"]


def test_a_plain_postgres_url_uses_the_installed_driver(pg_url, tmp_path):
    # Hosting platforms hand out postgres:// without a driver name: it must reach psycopg (3),
    # the driver in requirements.txt (SQLAlchemy 2.1's default for postgresql://).
    plain = pg_url.replace("postgresql+psycopg://", "postgres://")
    app = make_test_app(tmp_path, DATABASE_URL=plain)
    engine = app.extensions["store"].engine
    assert engine.dialect.name == "postgresql"
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    engine.dispose()


# --- The quiz API -----------------------------------------------------------------------------


def test_the_quiz_api_end_to_end(pg_app):
    client = pg_app.test_client()
    data = client.get(QUIZ).get_json()
    assert [q["id"] for q in data["questions"]] == QUESTIONS
    assert data["progress"]["round"] == 1 and data["progress"]["answered"] == {}
    learner = learner_of(client)

    right, wrong = right_and_wrong(pg_app, "neuron-dw")
    missed = client.post(answer_url("neuron-dw"), json={"choice": wrong}).get_json()
    assert missed["correct"] is False and missed["correct_choice"] == right
    assert missed["progress"]["missed"] == ["neuron-dw"]
    good = right_and_wrong(pg_app, "linear-transpose")[0]
    hit = client.post(answer_url("linear-transpose"), json={"choice": good}).get_json()
    assert hit["correct"] is True
    assert hit["progress"]["score"] == 1 and hit["progress"]["current"] == 2

    progress = client.get(QUIZ).get_json()["progress"]
    assert progress["answered"]["neuron-dw"]["choice"] == wrong
    assert progress["score"] == 1 and progress["current"] == 2

    reset = client.post(f"{QUIZ}/reset")
    assert reset.status_code == 200
    assert reset.get_json()["progress"]["round"] == 2
    assert reset.get_json()["progress"]["answered"] == {}
    again = client.post(answer_url("neuron-dw"), json={"choice": right}).get_json()
    assert again["progress"]["round"] == 2 and again["progress"]["score"] == 1

    assert stored(pg_app, learner) == [
        (learner, "neuron-dw", wrong, False, 1),
        (learner, "linear-transpose", good, True, 1),
        (learner, "neuron-dw", right, True, 2),
    ]
    for attempt in pg_app.extensions["store"].attempts(learner=learner):
        assert attempt.created_at.tzinfo is not None
        assert isinstance(attempt.id, int)


def test_answers_past_the_limit_get_429_and_are_not_stored(pg_url, tmp_path):
    app = make_test_app(tmp_path, DATABASE_URL=pg_url, QUIZ_ANSWERS_PER_MINUTE=3)
    client = app.test_client()
    client.get(QUIZ)
    learner = learner_of(client)
    for question in QUESTIONS:
        assert client.post(answer_url(question), json={"choice": "a"}).status_code == 200
    refused = client.post(answer_url("neuron-dw"), json={"choice": "a"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert len(stored(app, learner)) == 3
    assert app.test_client().post(answer_url("neuron-dw"), json={"choice": "a"}).status_code == 200
    app.extensions["store"].engine.dispose()


def test_try_again_pressed_in_several_tabs_at_once_starts_distinct_rounds(pg_url, tmp_path):
    # Each loser of a round number gets an IntegrityError, rolls back and takes the next one.
    key = {"SECRET_KEY": "shared-secret-of-both-machines"}
    servers = [make_test_app(tmp_path / name, DATABASE_URL=pg_url, **key) for name in "ab"]
    first = servers[0].test_client()
    first.get(QUIZ)
    cookie = first.get_cookie("session").value
    barrier = threading.Barrier(4)

    def press(number):
        client = servers[number % 2].test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        response = client.post(f"{QUIZ}/reset")
        return response.status_code, response.get_json()["progress"]["round"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(press, range(4)))
    # Every press started its own round: 2, 3, 4 and 5 exist, once each. A response shows the
    # learner's newest round when it is read, which a faster tab may already have moved on.
    assert all(status == 200 and 2 <= shown <= 5 for status, shown in results), results
    learner = learner_of(first)
    with servers[0].extensions["store"].engine.connect() as conn:
        rounds = conn.scalars(
            select(quiz_rounds.c.round).where(quiz_rounds.c.learner == learner)
        ).all()
    assert sorted(r for r in rounds if r > 1) == [2, 3, 4, 5]
    final = first.get(QUIZ).get_json()["progress"]["round"]
    assert final == 5
    for server in servers:
        server.extensions["store"].engine.dispose()


def test_racing_answers_on_two_servers_store_exactly_one(pg_url, tmp_path):
    # One learner's tabs on two machines answer one question at once: one answer is stored, the
    # others get a 409 showing it (the learner's row lock orders them).
    key = {"SECRET_KEY": "shared-secret-of-both-machines"}
    servers = [make_test_app(tmp_path / name, DATABASE_URL=pg_url, **key) for name in "ab"]
    first = servers[0].test_client()
    first.get(QUIZ)
    cookie = first.get_cookie("session").value
    barrier = threading.Barrier(6)

    def post(number):
        client = servers[number % 2].test_client()
        client.set_cookie("session", cookie)
        barrier.wait(timeout=10)
        response = client.post(answer_url("error-reuse"), json={"choice": "abcd"[number % 4]})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(post, range(6)))
    assert sorted(status for status, _ in results) == [200] + [409] * 5
    rows = stored(servers[0], learner_of(first))
    assert len(rows) == 1
    assert all(b["progress"]["answered"]["error-reuse"]["choice"] == rows[0][2] for _, b in results)
    for server in servers:
        server.extensions["store"].engine.dispose()


def test_healthz_is_ok(pg_app):
    response = pg_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


# --- Many learners, several servers -----------------------------------------------------------


def test_concurrent_answers_from_many_learners_all_land(pg_url, tmp_path):
    # Two servers on one database, 20 learners answering at once, spread over both.
    servers = [make_test_app(tmp_path / name, DATABASE_URL=pg_url) for name in ("a", "b")]
    barrier = threading.Barrier(20)

    def learner(number):
        app = servers[number % 2]
        client = app.test_client()
        client.get(QUIZ)
        barrier.wait()
        statuses = [
            client.post(answer_url(q), json={"choice": "abcd"[number % 4]}).status_code
            for q in QUESTIONS
        ]
        return learner_of(client), statuses

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(learner, range(20)))
    assert all(statuses == [200, 200, 200] for _, statuses in results)
    ids = {learner for learner, _ in results}
    assert len(ids) == 20
    with servers[0].extensions["store"].engine.connect() as conn:
        rows = conn.execute(
            select(attempts.c.learner, func.count())
            .where(attempts.c.learner.in_(ids))
            .group_by(attempts.c.learner)
        ).all()
    assert dict(rows) == dict.fromkeys(ids, 3)
    for server in servers:
        server.extensions["store"].engine.dispose()


def test_two_servers_see_each_others_attempts_for_one_learner(pg_url, tmp_path):
    key = {"SECRET_KEY": "shared-secret-of-both-machines"}
    one = make_test_app(tmp_path / "one", DATABASE_URL=pg_url, **key)
    two = make_test_app(tmp_path / "two", DATABASE_URL=pg_url, **key)
    first = one.test_client()
    right, wrong = right_and_wrong(one, "neuron-dw")
    first.post(answer_url("neuron-dw"), json={"choice": wrong})
    learner = learner_of(first)

    # The load balancer sends the learner's next request to the other machine.
    second = two.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    progress = second.get(QUIZ).get_json()["progress"]
    assert progress["answered"]["neuron-dw"]["choice"] == wrong
    good = right_and_wrong(two, "linear-transpose")[0]
    second.post(answer_url("linear-transpose"), json={"choice": good})

    back = first.get(QUIZ).get_json()["progress"]
    assert set(back["answered"]) == {"neuron-dw", "linear-transpose"}
    assert back["score"] == 1 and back["current"] == 2
    expected = [
        (learner, "neuron-dw", wrong, False, 1),
        (learner, "linear-transpose", good, True, 1),
    ]
    assert stored(one, learner) == expected
    assert stored(two, learner) == expected
    for app in (one, two):
        app.extensions["store"].engine.dispose()
