"""regions: a tree of territory; stations, administrators and assessors belong to one

Revision ID: c3a9e5d1f702
Revises: c3a9e5f1d7b2
Create Date: 2026-12-07 09:40:00.000000

Existing stations, administrators and assessors move into one root region, so every existing
administrator keeps seeing everything. An empty database gets no root yet (a restore needs every
table empty): the first station or account makes it.
"""
from datetime import datetime, UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e5d1f702'
down_revision = 'c3a9e5f1d7b2'
branch_labels = None
depends_on = None

ROOT_CODE = "ROOT"
ROOT_NAME = "全部区域"


def _foreign_keys_on(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _rebuilding_on_sqlite() -> bool:
    """SQLite rebuilds stations and users to change their columns, dropping the old tables while
    other rows point at them: foreign keys go off for this migration (the pragma works only before
    its first write, so it comes first; each migration commits on its own) and on again once its
    connection goes back to the pool."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys = OFF")
        sa.event.listen(op.get_bind().engine.pool, "checkin", _foreign_keys_on, once=True)
    return sqlite


def upgrade():
    sqlite = _rebuilding_on_sqlite()
    op.create_table('regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['regions.id'], name=op.f('fk_regions_parent_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('code', name=op.f('uq_regions_code'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_parent_id'), ['parent_id'], unique=False)

    op.create_table('station_assignments',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_station_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_assignments_station_id_stations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_station_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('station_id', 'user_id', name=op.f('pk_station_assignments'))
    )
    with op.batch_alter_table('station_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_assignments_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_id', sa.Integer(), nullable=True))

    connection = op.get_bind()
    stations = connection.scalar(sa.text("SELECT count(*) FROM stations"))
    users = connection.scalar(sa.text("SELECT count(*) FROM users"))
    if stations or users:
        connection.execute(
            sa.text("INSERT INTO regions (code, name, created_at) VALUES (:code, :name, :at)"),
            {"code": ROOT_CODE, "name": ROOT_NAME, "at": datetime.now(UTC).replace(tzinfo=None)},
        )
        root = connection.scalar(sa.text("SELECT id FROM regions WHERE code = :code"), {"code": ROOT_CODE})
        connection.execute(sa.text("UPDATE stations SET region_id = :root"), {"root": root})
        connection.execute(sa.text("UPDATE users SET region_id = :root WHERE role != 'staff'"), {"root": root})

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.alter_column('region_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_stations_region_id'), ['region_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stations_region_id_regions'), 'regions', ['region_id'], ['id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_region_id'), ['region_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_region_id_regions'), 'regions', ['region_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_users_user_region'), "role = 'staff' or region_id is not null")
    if sqlite:
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"rows point at nothing after rebuilding stations and users: {problems[:5]}")


def downgrade():
    _rebuilding_on_sqlite()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_region'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_users_region_id_regions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_region_id'))
        batch_op.drop_column('region_id')
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stations_region_id_regions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stations_region_id'))
        batch_op.drop_column('region_id')
    with op.batch_alter_table('station_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_assignments_user_id'))
    op.drop_table('station_assignments')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_id'))
    op.drop_table('regions')
