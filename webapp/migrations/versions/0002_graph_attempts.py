"""Your turn: every graded step of a graph and every Show me (schema version 2)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "graph_attempts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("learner", sa.String(64), sa.ForeignKey("learners.id"), nullable=False),
        sa.Column("graph", sa.String(100), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("quantity", sa.String(16), nullable=False),
        sa.Column("parent", sa.String(64), nullable=False),
        sa.Column("answer", sa.String(1000), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("note", sa.String(32), nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    step = ["learner", "graph", "node", "quantity", "parent"]
    op.create_index("ix_graph_attempts_step", "graph_attempts", step)
    op.create_index("ix_graph_attempts_graph_node", "graph_attempts", ["graph", "node"])


def downgrade() -> None:
    op.drop_table("graph_attempts")
