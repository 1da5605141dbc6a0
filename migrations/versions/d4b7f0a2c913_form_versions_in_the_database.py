"""form versions live in the database: drafts, published versions, the one in use; test walks

Revision ID: d4b7f0a2c913
Revises: d7e2b4c9a615
Create Date: 2026-12-07 12:10:00.000000

A database with data gets the shipped forms now, as published versions, the newest of
ACTIVE_RUBRIC_ID in use (what new assessments used before). An empty database gets them at first
use instead: a restore needs every table empty.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b7f0a2c913'
down_revision = 'd7e2b4c9a615'
branch_labels = None
depends_on = None

ONE_IN_PROGRESS = "uq_assessments_one_in_progress"


def upgrade():
    op.create_table('form_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('source', sa.LargeBinary(), nullable=False),
    sa.Column('source_kind', sa.String(length=8), nullable=False),
    sa.Column('source_name', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("source_kind in ('toml', 'xlsx')", name=op.f('ck_form_versions_form_source_kind')),
    sa.CheckConstraint("status = 'draft' or published_at is not null", name=op.f('ck_form_versions_form_published_at')),
    sa.CheckConstraint("status in ('draft', 'published')", name=op.f('ck_form_versions_form_status')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_form_versions_published_by_id_users')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_form_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_versions')),
    sa.UniqueConstraint('rubric_id', 'version', name='one_per_version')
    )
    op.create_table('form_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('in_use_id', sa.Integer(), nullable=True),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['in_use_id'], ['form_versions.id'], name=op.f('fk_form_setting_in_use_id_form_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_setting'))
    )
    # Plain ALTER TABLE, no batch: rebuilding assessments on SQLite would drop the table other
    # rows point at.
    op.add_column('assessments', sa.Column('is_test', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.drop_index(ONE_IN_PROGRESS, table_name='assessments')
    op.create_index(
        ONE_IN_PROGRESS,
        'assessments',
        ['station_id'],
        unique=True,
        sqlite_where=sa.text("status = 'in_progress' AND NOT is_test"),
        postgresql_where=sa.text("status = 'in_progress' AND NOT is_test"),
    )

    connection = op.get_bind()
    if connection.scalar(sa.text("SELECT count(*) FROM users")):
        # The app's own import (flask db upgrade runs inside the app, with the shipped forms read).
        from app.services.rubrics import ensure_forms

        ensure_forms(connection)


def downgrade():
    op.drop_index(ONE_IN_PROGRESS, table_name='assessments')
    op.create_index(
        ONE_IN_PROGRESS,
        'assessments',
        ['station_id'],
        unique=True,
        sqlite_where=sa.text("status = 'in_progress'"),
        postgresql_where=sa.text("status = 'in_progress'"),
    )
    op.drop_column('assessments', 'is_test')
    op.drop_table('form_setting')
    op.drop_table('form_versions')
