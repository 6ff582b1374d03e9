"""Schema upgrades on SQLite: a database of an earlier release is migrated in place, losing no
attempt (the PostgreSQL twin is in test_postgres.py)."""

from sqlalchemy import inspect

from tests.migrations import check_upgraded, make_version_1_database
from webapp.schema import SCHEMA_VERSION
from webapp.store import Store, get_schema_version, init_schema, make_engine


def test_version_1_upgrades_to_the_current_schema_keeping_every_attempt(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    make_version_1_database(engine)
    assert "graph_attempts" not in inspect(engine).get_table_names()
    assert init_schema(engine) == 1
    assert get_schema_version(engine) == SCHEMA_VERSION == 4
    check_upgraded(engine)
    # The new table works: a Your-turn attempt can be stored for the old learner.
    from webapp.graph_store import GraphStep

    counts = Store(engine).record_graph_attempt(
        "a" * 32, GraphStep("neuron", "w", "grad", None), "0.5", False, "sign"
    )
    assert counts.attempts == 1 and counts.wrong == 1
    assert init_schema(engine) == SCHEMA_VERSION  # a second start changes nothing
    engine.dispose()
