"""findings keep their result's revision: how many results were applied, by whom the last, and when

Revision ID: d4b8e6a2c913
Revises: d4b7e2a9c315
Create Date: 2026-12-07 12:10:00.000000

A scored finding counts as revision 1, set by whoever saved it last, when they did; an unscored
one (photos or a note only) stays at 0.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4b8e6a2c913'
down_revision = 'd4b7e2a9c315'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('revised_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_findings_revised_by_id_users'), 'users', ['revised_by_id'], ['id']
        )
    op.execute(
        "UPDATE findings SET revision = 1, revised_by_id = updated_by_id, revised_at = updated_at "
        "WHERE outcome IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_findings_revised_by_id_users'), type_='foreignkey')
        batch_op.drop_column('revised_at')
        batch_op.drop_column('revised_by_id')
        batch_op.drop_column('revision')
