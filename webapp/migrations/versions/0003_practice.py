"""Practice: exercises handed out, their answers, and each learner's level per skill (schema
version 3)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "practice_exercises",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("skill", sa.String(64), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index(
        "ix_practice_exercises_learner_skill", "practice_exercises", ["learner", "skill"]
    )
    op.create_table(
        "practice_attempts",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "exercise", sa.String(32), sa.ForeignKey("practice_exercises.id"), nullable=False
        ),
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("skill", sa.String(64), nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("answer", sa.String(1000), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("note", sa.String(32), nullable=False),
        sa.Column("level_before", sa.String(16), nullable=False),
        sa.Column("level_after", sa.String(16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("exercise", name="uq_practice_attempts_exercise"),
    )
    op.create_index("ix_practice_attempts_learner_skill", "practice_attempts", ["learner", "skill"])
    op.create_index("ix_practice_attempts_skill", "practice_attempts", ["skill"])
    op.create_table(
        "skill_levels",
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("skill", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("streak", sa.Integer, nullable=False),
        sa.Column("review_step", sa.Integer, nullable=False),
        sa.Column("due", WHEN),
        sa.Column("last_right_at", WHEN),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("learner", "skill"),
    )
    op.create_index("ix_skill_levels_skill_level", "skill_levels", ["skill", "level"])


def downgrade() -> None:
    op.drop_table("skill_levels")
    op.drop_table("practice_attempts")
    op.drop_table("practice_exercises")
