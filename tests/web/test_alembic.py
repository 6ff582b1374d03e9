"""Alembic takes over a database made before it (the hand-written version table) on SQLite; the
PostgreSQL twin is in test_postgres.py."""

from tests.migrations import check_version_2_upgraded, make_version_2_database
from webapp.schema import SCHEMA_VERSION
from webapp.store import Store, get_schema_version, init_schema, make_engine


def test_todays_schema_is_stamped_and_kept_whole(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'today.db'}")
    make_version_2_database(engine)
    # Stamped at 0002 (the old table dropped), then upgraded to the newest revision.
    assert init_schema(engine) == 2
    check_version_2_upgraded(engine)
    assert get_schema_version(engine) == SCHEMA_VERSION
    assert init_schema(engine) == SCHEMA_VERSION  # a second start changes nothing
    assert len(Store(engine).attempts()) == 25
    engine.dispose()
