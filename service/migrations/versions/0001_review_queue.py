"""Review queue: complaints, append-only audit log, admins.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(80), nullable=False),
        sa.Column("external_id", sa.String(128)),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("title_masked", sa.Text()),
        sa.Column("text_masked", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("predictions", sa.JSON(), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("agency_confidence", sa.Float(), nullable=False),
        sa.Column("opd_name", sa.String(200)),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("urgency_rank", sa.Integer(), nullable=False),
        sa.Column("report_type", sa.String(64), nullable=False),
        sa.Column("deadline_working_days", sa.Integer()),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("decision_reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("final_agency", sa.String(64)),
        sa.Column("final_category", sa.String(64)),
        sa.Column("final_urgency", sa.String(16)),
        sa.Column("final_report_type", sa.String(64)),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_complaints_request_id", "complaints", ["request_id"], unique=True)
    for column in (
        "external_id",
        "region",
        "channel",
        "agency",
        "category",
        "urgency",
        "decision",
        "created_at",
    ):
        op.create_index(f"ix_complaints_{column}", "complaints", [column])
    op.create_index("ix_complaints_queue", "complaints", ["status", "urgency_rank", "created_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("admin", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_log_complaint_id", "audit_log", ["complaint_id"])
    op.create_table(
        "admins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    elif bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("admins")
    op.drop_table("audit_log")
    op.drop_table("complaints")
