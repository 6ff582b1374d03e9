"""Schema upgrades on SQLite: a database of an earlier release is migrated in place, losing no
attempt (the PostgreSQL twin is in test_postgres.py)."""

import subprocess
import sys

import pytest
from sqlalchemy import inspect, text

from tests.migrations import check_upgraded, make_version_1_database
from webapp.schema import SCHEMA_VERSION
from webapp.store import (
    Store,
    StoreError,
    get_schema_version,
    init_schema,
    make_engine,
    migrate_in_child,
)


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


def test_the_server_migrates_in_a_child_and_never_loads_alembic(tmp_path):
    # Alembic weighs ~12 MB; with gunicorn's preload every worker would carry it for good.
    url = f"sqlite:///{tmp_path / 'served.db'}"
    script = (
        "import sys\n"
        "from webapp import create_app\n"
        f"app = create_app({{'DATABASE_URL': {url!r}, 'INSTANCE_PATH': {str(tmp_path)!r}}})\n"
        "print('alembic' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "False"
    engine = make_engine(url)
    assert get_schema_version(engine) == SCHEMA_VERSION  # the child did migrate it
    engine.dispose()


def test_a_failed_migration_in_the_child_is_the_servers_error_with_its_reason(tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = make_engine(url)
    init_schema(engine)
    with engine.begin() as conn:  # a database a newer release migrated
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this code"):
        migrate_in_child(url)
