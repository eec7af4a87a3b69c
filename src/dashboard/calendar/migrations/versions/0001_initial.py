"""The booking calendar (issue 20): people, events, their people, history, imports,
subscriptions and the change counter.

Written out rather than built from `dashboard.calendar.db.metadata`: a migration is a snapshot
of the schema at its revision, and must not change when the metadata does (a later revision
alters the tables; tests check that the migrated schema equals the metadata).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("name_key", name="uq_people_name_key"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(255), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("kommunkod", sa.String(4), nullable=False),
        sa.Column("forening", sa.String(200)),
        sa.Column("valdistrikt", sa.String(8)),
        sa.Column("place", sa.String(300)),
        sa.Column("description", sa.Text),
        sa.Column("visibility", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("message", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id", name="fk_events_import_id")),
        sa.UniqueConstraint("uid", name="uq_events_uid"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_events_end_after_start"),
    )
    op.create_index("ix_events_time", "events", ["starts_at", "ends_at"])
    op.create_index("ix_events_kommun_time", "events", ["kommunkod", "starts_at"])
    op.create_index("ix_events_status", "events", ["status"])
    op.create_index("ix_events_requested_by", "events", ["requested_by"])
    op.create_table(
        "event_people",
        sa.Column("event_id", sa.Integer,
                  sa.ForeignKey("events.id", ondelete="CASCADE", name="fk_event_people_event_id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", name="fk_event_people_person_id"),
                  primary_key=True),
    )
    op.create_index("ix_event_people_person", "event_people", ["person_id", "event_id"])
    op.create_table(
        "event_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", name="fk_event_history_event_id"),
                  nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("version_seen", sa.Integer),
        sa.Column("message", sa.Text),
        sa.Column("details", sa.Text),
    )
    op.create_index("ix_event_history_event", "event_history", ["event_id", "id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revoked_by", sa.String(200)),
    )
    state = op.create_table(
        "calendar_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    for table in ("calendar_state", "subscriptions", "event_history", "event_people", "events", "imports", "people"):
        op.drop_table(table)
