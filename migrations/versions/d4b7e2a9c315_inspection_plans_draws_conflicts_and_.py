"""inspection plans: draws (双随机) with their inputs, declared conflicts (回避), visits, complaint flags

Revision ID: d4b7e2a9c315
Revises: c3a9e5d1f702
Create Date: 2026-12-07 12:02:17.784021

New tables only: nothing existing changes.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b7e2a9c315'
down_revision = 'c3a9e5d1f702'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('rubric_id', sa.String(length=64), nullable=False),
    sa.Column('rubric_version', sa.String(length=32), nullable=False),
    sa.Column('last_inspected_before', sa.Date(), nullable=True),
    sa.Column('complaints_only', sa.Boolean(), nullable=False),
    sa.Column('draw_count', sa.Integer(), nullable=True),
    sa.Column('draw_percent', sa.Integer(), nullable=True),
    sa.Column('team_size', sa.Integer(), nullable=False),
    sa.Column('conflict_years', sa.Integer(), nullable=False),
    sa.Column('visit_start', sa.Date(), nullable=False),
    sa.Column('visit_end', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('team_size >= 2', name=op.f('ck_inspection_plans_plan_team_size')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_inspection_plans_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans'))
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plans_region_id'), ['region_id'], unique=False)

    op.create_table('inspector_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('worked', 'trained', 'relative', 'other')", name=op.f('ck_inspector_conflicts_conflict_kind')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_inspector_conflicts_station_id_stations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inspector_conflicts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspector_conflicts'))
    )
    with op.batch_alter_table('inspector_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspector_conflicts_station_id'), ['station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspector_conflicts_user_id'), ['user_id'], unique=False)

    op.create_table('station_complaint_flags',
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('flagged_by_id', sa.Integer(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['flagged_by_id'], ['users.id'], name=op.f('fk_station_complaint_flags_flagged_by_id_users')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_complaint_flags_station_id_stations')),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_station_complaint_flags'))
    )
    op.create_table('plan_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_plan_draws_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_plan_draws_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_draws')),
    sa.UniqueConstraint('plan_id', 'number', name='one_number_per_plan')
    )
    with op.batch_alter_table('plan_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_draws_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_inspectors',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_plan_inspectors_plan_id_inspection_plans')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_plan_inspectors_user_id_users')),
    sa.PrimaryKeyConstraint('plan_id', 'user_id', name=op.f('pk_plan_inspectors'))
    )
    op.create_table('plan_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_plan_visits_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['draw_id'], ['plan_draws.id'], name=op.f('fk_plan_visits_draw_id_plan_draws')),
    sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_plan_visits_lead_id_users')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_plan_visits_station_id_stations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_visits')),
    sa.UniqueConstraint('assessment_id', name=op.f('uq_plan_visits_assessment_id'))
    )
    with op.batch_alter_table('plan_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_visits_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_visits_station_id'), ['station_id'], unique=False)

    op.create_table('plan_visit_team',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_plan_visit_team_user_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['plan_visits.id'], name=op.f('fk_plan_visit_team_visit_id_plan_visits')),
    sa.PrimaryKeyConstraint('visit_id', 'user_id', name=op.f('pk_plan_visit_team'))
    )
    with op.batch_alter_table('plan_visit_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_visit_team_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('plan_visit_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_visit_team_user_id'))

    op.drop_table('plan_visit_team')
    with op.batch_alter_table('plan_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_visits_station_id'))
        batch_op.drop_index(batch_op.f('ix_plan_visits_draw_id'))

    op.drop_table('plan_visits')
    op.drop_table('plan_inspectors')
    with op.batch_alter_table('plan_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_draws_plan_id'))

    op.drop_table('plan_draws')
    op.drop_table('station_complaint_flags')
    with op.batch_alter_table('inspector_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspector_conflicts_user_id'))
        batch_op.drop_index(batch_op.f('ix_inspector_conflicts_station_id'))

    op.drop_table('inspector_conflicts')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plans_region_id'))

    op.drop_table('inspection_plans')
