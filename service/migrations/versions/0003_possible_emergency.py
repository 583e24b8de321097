"""Whether the model's emergency alert was raised on a complaint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Complaints stored before the alert existed were never alerted.
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("possible_emergency", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("possible_emergency")
