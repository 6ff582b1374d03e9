"""Alembic migrations of the database, one file per schema change in versions/ (run at start-up by
webapp.store.init_schema, under its lock). A revision id is the schema version as four digits."""
