"""The database's tables (SQLAlchemy Core), as the newest migration leaves them.

A schema change is an Alembic migration in webapp/migrations/versions (its revision id the new
SCHEMA_VERSION as four digits) plus the change here; webapp.store.init_schema runs them.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

SCHEMA_VERSION = 2

metadata = MetaData()

# Releases before Alembic kept their version here (one row per version applied); init_schema
# reads it once to stamp the matching revision, then drops it.
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# An anonymous learner: a random id from their cookie, nothing personal.
learners = Table(
    "learners",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A pass through a lesson's quiz; "Try again" starts the next round.
quiz_rounds = Table(
    "quiz_rounds",
    metadata,
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("lesson", String(100), nullable=False),
    Column("round", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("learner", "lesson", "round"),
)

# Every answer ever given, right or wrong: what a teacher reads to see what students get wrong.
attempts = Table(
    "attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("lesson", String(100), nullable=False),
    Column("question", String(100), nullable=False),
    Column("choice", String(100), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("round", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_attempts_learner_lesson_round", "learner", "lesson", "round"),
    Index("ix_attempts_lesson_question", "lesson", "question"),
    Index("ix_attempts_learner_created", "learner", "created_at"),
)

# Every graded Your-turn step: the learner, the graph (a preset's id, or a hash of program and
# values), the step (node, quantity, parent), the answer as typed and its grade. A "Show me" is a
# row with revealed set. What the teacher view reads to see where on the graph students stumble.
graph_attempts = Table(
    "graph_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("graph", String(100), nullable=False),
    Column("node", String(64), nullable=False),
    Column("quantity", String(16), nullable=False),
    Column("parent", String(64), nullable=False),  # "" for a grad
    Column("answer", String(1000), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("note", String(32), nullable=False),
    Column("revealed", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_graph_attempts_step", "learner", "graph", "node", "quantity", "parent"),
    Index("ix_graph_attempts_graph_node", "graph", "node"),
)
