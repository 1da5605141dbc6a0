"""index deadlines and deduction tallies for the dashboard

Revision ID: b7d41c2e9a55
Revises: 470e9df02929
Create Date: 2026-12-05 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41c2e9a55'
down_revision = '470e9df02929'
branch_labels = None
depends_on = None

HAS_DEADLINE = sa.text("rectification_due IS NOT NULL")


def upgrade():
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(
            'ix_findings_rectification_due', ['rectification_due'], unique=False,
            sqlite_where=HAS_DEADLINE, postgresql_where=HAS_DEADLINE,
        )
    with op.batch_alter_table('daily_deductions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_daily_deductions_item_day',
            ['rubric_id', 'rubric_version', 'item_id', 'outcome', 'day', 'assessments'], unique=False,
        )


def downgrade():
    with op.batch_alter_table('daily_deductions', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_deductions_item_day')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_rectification_due')
