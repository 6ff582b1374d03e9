"""A database as the first release made it (schema version 1: the quiz only), for upgrade tests."""

from datetime import UTC, datetime

from sqlalchemy import insert, inspect, select, text

from webapp.schema import (
    SCHEMA_VERSION,
    attempts,
    class_members,
    classes,
    graph_attempts,
    learners,
    metadata,
    practice_attempts,
    practice_exercises,
    quiz_rounds,
    schema_version,
    skill_levels,
    teachers,
)

VERSION_1_TABLES = [schema_version, learners, quiz_rounds, attempts]
NEWER_TABLES = [
    practice_exercises,
    practice_attempts,
    skill_levels,
    teachers,
    classes,
    class_members,
]


def make_version_1_database(engine, answers=25):
    """Create the version-1 tables and store `answers` quiz attempts of one learner."""
    now = datetime.now(UTC)
    metadata.create_all(engine, tables=VERSION_1_TABLES)
    with engine.begin() as conn:
        conn.execute(insert(schema_version).values(version=1, applied_at=now))
        conn.execute(insert(learners).values(id="a" * 32, created_at=now))
        conn.execute(
            insert(quiz_rounds).values(
                learner="a" * 32, lesson="chain-rule-in-networks", round=1, started_at=now
            )
        )
        for k in range(answers):
            conn.execute(
                insert(attempts).values(
                    learner="a" * 32,
                    lesson="chain-rule-in-networks",
                    question=f"q{k}",
                    choice="a",
                    correct=k % 2 == 0,
                    round=1,
                    created_at=now,
                )
            )


def check_upgraded(engine, answers=25):
    """The upgrade kept every attempt and added the Your-turn table, empty."""
    with engine.connect() as conn:
        kept = conn.execute(select(attempts.c.question).order_by(attempts.c.id)).scalars().all()
        assert kept == [f"q{k}" for k in range(answers)]
        assert conn.execute(select(graph_attempts)).all() == []
        for table in NEWER_TABLES:
            assert conn.execute(select(table)).all() == [], table.name
        # Alembic took over the version: the old table is gone, the revision is the newest.
        assert not inspect(conn).has_table(schema_version.name)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert revision == f"{SCHEMA_VERSION:04d}"


def make_version_2_database(engine, answers=25):
    """Today's schema before Alembic (version 2: the quiz and Your turn) with one graph attempt."""
    make_version_1_database(engine, answers)
    now = datetime.now(UTC)
    metadata.create_all(engine, tables=[graph_attempts])
    with engine.begin() as conn:
        conn.execute(insert(schema_version).values(version=2, applied_at=now))
        conn.execute(
            insert(graph_attempts).values(
                learner="a" * 32,
                graph="neuron",
                node="w",
                quantity="grad",
                parent="",
                answer="0.5",
                correct=False,
                note="sign",
                revealed=False,
                created_at=now,
            )
        )


def check_version_2_upgraded(engine, answers=25):
    """Every quiz attempt and the graph attempt are still there, and Alembic has the version."""
    with engine.connect() as conn:
        kept = conn.execute(select(attempts.c.question).order_by(attempts.c.id)).scalars().all()
        assert kept == [f"q{k}" for k in range(answers)]
        steps = conn.execute(select(graph_attempts.c.node, graph_attempts.c.answer)).all()
        assert [tuple(step) for step in steps] == [("w", "0.5")]
        assert not inspect(conn).has_table(schema_version.name)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert revision == f"{SCHEMA_VERSION:04d}"
    check_new_tables_empty(engine)


def check_new_tables_empty(engine):
    """The tables added after version 2 (practice, teachers and classes) exist and are empty."""
    with engine.connect() as conn:
        for table in NEWER_TABLES:
            assert conn.execute(select(table)).all() == [], table.name
