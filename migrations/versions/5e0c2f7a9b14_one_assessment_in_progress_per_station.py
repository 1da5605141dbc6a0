"""one assessment in progress per station

Revision ID: 5e0c2f7a9b14
Revises: 5e0c1a7d2b41
Create Date: 2026-11-25 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e0c2f7a9b14'
down_revision = '5e0c1a7d2b41'
branch_labels = None
depends_on = None

IN_PROGRESS = sa.text("status = 'in_progress'")


def upgrade():
    # Two starts at once could open two assessments of one station. Merging them is a person's
    # decision (each may hold findings), so the upgrade stops and names them instead.
    doubled = op.get_bind().execute(sa.text(
        "SELECT stations.code FROM assessments JOIN stations ON stations.id = assessments.station_id "
        "WHERE assessments.status = 'in_progress' GROUP BY stations.code HAVING count(*) > 1"
    )).scalars().all()
    if doubled:
        raise RuntimeError(
            "These stations have more than one assessment in progress; finalize all but one of each "
            "before upgrading: " + ", ".join(doubled)
        )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(
            'uq_assessments_one_in_progress', ['station_id'], unique=True,
            sqlite_where=IN_PROGRESS, postgresql_where=IN_PROGRESS,
        )


def downgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('uq_assessments_one_in_progress')
