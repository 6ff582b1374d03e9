"""The quiz API's storage: schema, migrations, no personal data, and per-learner responses."""

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import inspect as sa_inspect

from tests.api.test_quiz_api import (
    LESSON,
    QUIZ,
    answer_url,
    right_and_wrong,
)
from tests.conftest import make_test_app
from webapp import schema
from webapp import store as store_module
from webapp.schema import SCHEMA_VERSION, metadata
from webapp.store import StoreError, get_schema_version, init_schema


@pytest.fixture
def quiz(app):
    return app.extensions["quizzes"][LESSON]


# --- Storage ---------------------------------------------------------------------------------


def test_the_default_database_is_an_sqlite_file_in_the_instance_folder(app, tmp_path):
    path = tmp_path / "instance" / "lessons.db"
    assert path.is_file()
    assert str(app.extensions["store"].engine.url) == f"sqlite:///{path}"


def test_an_answer_is_committed_before_the_response(app, client, tmp_path):
    client.post(answer_url("neuron-dw"), json={"choice": "a"})
    # A separate connection, as another process would open it, sees the attempt already.
    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'lessons.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT lesson, question, choice, round FROM attempts")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(LESSON, "neuron-dw", "a", 1)]


def test_sqlite_runs_in_wal_mode_with_full_sync_and_a_busy_timeout(app):
    with app.extensions["store"].engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_database_url_from_the_config_or_the_environment(tmp_path, monkeypatch):
    configured = tmp_path / "configured.db"
    app = make_test_app(tmp_path / "a", DATABASE_URL=f"sqlite:///{configured}")
    app.test_client().post(answer_url("neuron-dw"), json={"choice": "a"})
    assert configured.is_file()
    assert not (tmp_path / "a" / "instance" / "lessons.db").exists()

    from_env = tmp_path / "from-env.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{from_env}")
    app = make_test_app(tmp_path / "b")
    assert str(app.extensions["store"].engine.url) == f"sqlite:///{from_env}"


def test_the_schema_is_made_by_the_migrations_and_a_new_one_runs_once(tmp_path):
    engine = store_module.make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert get_schema_version(engine) is None
    assert init_schema(engine) == 0
    assert get_schema_version(engine) == SCHEMA_VERSION
    assert init_schema(engine) == SCHEMA_VERSION  # a second start changes nothing
    # The migrations make exactly the tables the code declares.
    with engine.connect() as conn:
        made = set(sa_inspect(conn).get_table_names()) - {"alembic_version"}
    assert made == set(metadata.tables) - {"schema_version"}

    # A later release adds a migration file: the next start runs it once, in place.
    later = tmp_path / "migrations"
    shutil.copytree(
        store_module.MIGRATIONS_DIR, later, ignore=shutil.ignore_patterns("__pycache__")
    )
    revision = f"{SCHEMA_VERSION + 1:04d}"
    (later / "versions" / f"{revision}_seconds.py").write_text(
        f"""from alembic import op
import sqlalchemy as sa

revision = "{revision}"
down_revision = "{SCHEMA_VERSION:04d}"


def upgrade():
    op.add_column("attempts", sa.Column("seconds_taken", sa.Integer))
"""
    )
    assert init_schema(engine, str(later)) == SCHEMA_VERSION
    assert init_schema(engine, str(later)) == SCHEMA_VERSION + 1
    with engine.connect() as conn:
        columns = {c["name"] for c in sa_inspect(conn).get_columns("attempts")}
    assert "seconds_taken" in columns and get_schema_version(engine) == SCHEMA_VERSION + 1
    with pytest.raises(StoreError, match="newer than this code"):
        init_schema(engine)  # old code, newer database: refuse rather than corrupt
    engine.dispose()


def test_the_schema_version_is_the_newest_migration():
    revisions = sorted(
        p.name[:4] for p in Path(store_module.MIGRATIONS_DIR, "versions").glob("*.py")
    )
    assert revisions == [f"{n:04d}" for n in range(1, SCHEMA_VERSION + 1)]


def test_attempts_hold_learner_lesson_question_choice_correct_round_and_time(app, client, quiz):
    right, _ = right_and_wrong(quiz, "linear-transpose")
    client.post(answer_url("linear-transpose"), json={"choice": right})
    (attempt,) = app.extensions["store"].attempts()
    assert len(attempt.learner) == 32
    assert (attempt.lesson, attempt.question, attempt.choice) == (LESSON, "linear-transpose", right)
    assert attempt.correct is True and attempt.round == 1 and attempt.created_at is not None


def test_no_personal_data_is_stored(app):
    columns = {c.name for c in schema.learners.columns}
    assert columns == {"id", "created_at"}
    assert os.path.basename(store_module.DEFAULT_FILE) == "lessons.db"


# --- Per-learner responses are never shared --------------------------------------------------


def test_compressed_responses_are_never_shared_between_learners(app, quiz):
    """Browsers send Accept-Encoding: a compressed response must still be this learner's own."""
    import gzip
    import json

    def body(response):
        data = response.data
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return json.loads(data)

    gz = {"Accept-Encoding": "gzip"}
    first, second = app.test_client(), app.test_client()
    right, wrong = right_and_wrong(quiz, "neuron-dw")
    body(first.get(QUIZ, headers=gz))
    mine = body(first.post(answer_url("neuron-dw"), json={"choice": right}, headers=gz))
    theirs = body(second.post(answer_url("neuron-dw"), json={"choice": wrong}, headers=gz))
    assert mine["correct"] is True and theirs["correct"] is False
    assert body(first.get(QUIZ, headers=gz))["progress"]["answered"]["neuron-dw"]["choice"] == right
    assert (
        body(second.get(QUIZ, headers=gz))["progress"]["answered"]["neuron-dw"]["choice"] == wrong
    )
    assert body(app.test_client().get(QUIZ, headers=gz))["progress"]["answered"] == {}


def test_each_question_names_the_lesson_section_it_tests(client):
    questions = client.get(QUIZ).get_json()["questions"]
    sections = {q["id"]: q["section"] for q in questions}
    assert sections == {
        "neuron-dw": "tracing-gradients-through-one-neuron",
        "linear-transpose": "extending-to-multiple-layers",
        "error-reuse": "why-it-is-efficient",
    }
    page = client.get("/lessons/chain-rule-in-networks").get_data(as_text=True)
    assert all(f'id="{section}"' in page for section in sections.values())
