"""The first release: anonymous learners, quiz rounds and every quiz attempt (schema version 1)."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # SQLite's rowid alias autoincrements


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quiz_rounds",
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("lesson", sa.String(100), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("learner", "lesson", "round"),
    )
    op.create_table(
        "attempts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("lesson", sa.String(100), nullable=False),
        sa.Column("question", sa.String(100), nullable=False),
        sa.Column("choice", sa.String(100), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_attempts_learner_lesson_round", "attempts", ["learner", "lesson", "round"])
    op.create_index("ix_attempts_lesson_question", "attempts", ["lesson", "question"])
    op.create_index("ix_attempts_learner_created", "attempts", ["learner", "created_at"])


def downgrade() -> None:
    op.drop_table("attempts")
    op.drop_table("quiz_rounds")
    op.drop_table("learners")
