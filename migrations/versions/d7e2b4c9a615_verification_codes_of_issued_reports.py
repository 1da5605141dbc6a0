"""verification codes: a short code per issued PDF of a finalized report, for the public 核验 page

Revision ID: d7e2b4c9a615
Revises: d4b8e6a2c913
Create Date: 2026-12-07 12:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e2b4c9a615'
down_revision = 'd4b8e6a2c913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'verification_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('pdf_name', sa.String(length=100), nullable=False),
        sa.Column('finalize_event_id', sa.Integer(), nullable=True),
        sa.Column('record', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_verification_codes_assessment_id_assessments')),
        sa.ForeignKeyConstraint(['finalize_event_id'], ['audit_events.id'], name=op.f('fk_verification_codes_finalize_event_id_audit_events')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_codes')),
        sa.UniqueConstraint('code', name=op.f('uq_verification_codes_code')),
        sa.UniqueConstraint('pdf_name', name=op.f('uq_verification_codes_pdf_name')),
    )
    with op.batch_alter_table('verification_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_codes_assessment_id'), ['assessment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('verification_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_codes_assessment_id'))
    op.drop_table('verification_codes')
