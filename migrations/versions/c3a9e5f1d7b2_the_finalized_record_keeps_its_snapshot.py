"""the finalized record keeps a snapshot of its station, people and form; reopened links stay ended

Revision ID: c3a9e5f1d7b2
Revises: c3a9e5d17f20
Create Date: 2026-12-07 09:30:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e5f1d7b2'
down_revision = 'c3a9e5d17f20'
branch_labels = None
depends_on = None


def _form_title(rubric_id, version):
    """The form's title from the forms shipped with the app, or its id where it is not among them."""
    try:
        from rubric import default_registry

        return default_registry().get(rubric_id, version).title
    except Exception:
        return rubric_id


def upgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen', sa.JSON(), nullable=True))

    # Records finalized before this version get the snapshot of what they print today: the best
    # that is known of them.
    bind = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    names = {
        row.id: row.display_name or row.username
        for row in bind.execute(sa.text("SELECT id, username, display_name FROM users"))
    }
    finalized = bind.execute(sa.text(
        "SELECT a.id, a.lead_assessor_id, a.rubric_id, a.rubric_version, s.code, s.name, s.address "
        "FROM assessments a JOIN stations s ON s.id = a.station_id WHERE a.status = 'finalized'"
    )).all()
    for row in finalized:
        team = bind.execute(
            sa.text("SELECT user_id FROM assessment_team WHERE assessment_id = :id ORDER BY user_id"),
            {"id": row.id},
        ).scalars().all()
        signatures = bind.execute(
            sa.text("SELECT role, name, recorded_by_id FROM signatures WHERE assessment_id = :id"),
            {"id": row.id},
        ).all()
        snapshot = {
            "station": {"code": row.code, "name": row.name, "address": row.address or ""},
            "lead_assessor": {"id": row.lead_assessor_id, "name": names.get(row.lead_assessor_id, "")}
            if row.lead_assessor_id else None,
            "team": [{"id": user_id, "name": names.get(user_id, "")} for user_id in team],
            "signatures": {
                s.role: {"name": s.name, "recorded_by": names.get(s.recorded_by_id, "")} for s in signatures
            },
            "form": {"id": row.rubric_id, "version": row.rubric_version,
                     "title": _form_title(row.rubric_id, row.rubric_version)},
            "taken_at": now.isoformat(timespec="seconds"),
        }
        bind.execute(
            sa.text("UPDATE assessments SET frozen = :frozen WHERE id = :id").bindparams(
                sa.bindparam("frozen", type_=sa.JSON)
            ),
            {"frozen": snapshot, "id": row.id},
        )

    # A link made before its assessment's current 定稿 was ended by a reopen since: it stays ended.
    bind.execute(
        sa.text(
            "UPDATE share_links SET revoked_at = :now WHERE revoked_at IS NULL AND created_at < "
            "(SELECT finalized_at FROM assessments a WHERE a.id = share_links.assessment_id "
            "AND a.status = 'finalized')"
        ),
        {"now": now},
    )


def downgrade():
    # Dropped in place (SQLite 3.35+): rebuilding assessments would trip the rows pointing at it.
    with op.batch_alter_table('assessments', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('frozen')
