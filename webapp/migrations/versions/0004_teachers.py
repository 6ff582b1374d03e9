"""Teachers, their classes and the learners who joined them (schema version 4)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "teachers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "teacher",
            sa.Integer,
            sa.ForeignKey("teachers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_classes_teacher", "classes", ["teacher"])
    op.create_table(
        "class_members",
        sa.Column(
            "class_id",
            sa.Integer,
            sa.ForeignKey("classes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("nickname", sa.String(40)),
        sa.Column("joined_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("class_id", "learner"),
    )
    op.create_index("ix_class_members_learner", "class_members", ["learner"])


def downgrade() -> None:
    op.drop_table("class_members")
    op.drop_table("classes")
    op.drop_table("teachers")
