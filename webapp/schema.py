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
    UniqueConstraint,
)

SCHEMA_VERSION = 4

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

# Practice (schema version 3). An exercise handed out to a learner: the skill's template and the
# seed that regenerates it. Its id is a random token, so ids cannot be guessed or enumerated.
practice_exercises = Table(
    "practice_exercises",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("skill", String(64), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_practice_exercises_learner_skill", "learner", "skill"),
)

# The one answer to an exercise (a second one is refused: the unique exercise makes two tabs
# unable to answer, and so to promote, twice), with the level it moved the skill from and to.
practice_attempts = Table(
    "practice_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("exercise", String(32), ForeignKey("practice_exercises.id"), nullable=False),
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("skill", String(64), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("answer", String(1000), nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("note", String(32), nullable=False),
    Column("level_before", String(16), nullable=False),
    Column("level_after", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("exercise", name="uq_practice_attempts_exercise"),
    Index("ix_practice_attempts_learner_skill", "learner", "skill"),
    Index("ix_practice_attempts_skill", "skill"),
)

# Each learner's mastery of each skill: its level, the run of right answers that leads to the
# next one, where it stands on the review ladder, and when its next review falls due.
skill_levels = Table(
    "skill_levels",
    metadata,
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("skill", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("streak", Integer, nullable=False),
    Column("review_step", Integer, nullable=False),
    Column("due", DateTime(timezone=True)),
    Column("last_right_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("learner", "skill"),
    Index("ix_skill_levels_skill_level", "skill", "level"),
)

# Teachers (schema version 4): accounts made by an administrator's command, never by sign-up.
# The password is stored only as its argon2 hash.
teachers = Table(
    "teachers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Raised by a logout: every session that stored an older number ends (the cookie is signed,
    # not revocable, so the server keeps this one number).
    Column("session_version", Integer, nullable=False, server_default="0"),
)

# A teacher's class; students join it with its code.
classes = Table(
    "classes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("teacher", Integer, ForeignKey("teachers.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("code", String(16), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_classes_teacher", "teacher"),
)

# Which anonymous learners are in which class, with the nickname only the teacher sees.
class_members = Table(
    "class_members",
    metadata,
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("learner", String(64), ForeignKey("learners.id"), nullable=False),
    Column("nickname", String(40)),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("class_id", "learner"),
    Index("ix_class_members_learner", "learner"),
)
