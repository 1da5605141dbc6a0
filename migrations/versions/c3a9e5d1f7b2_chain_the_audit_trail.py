"""chain the audit trail: each event's place and hash, and the chain's last link

Revision ID: c3a9e5d1f7b2
Revises: b7d41c2e9a55
Create Date: 2026-12-07 10:05:00.000000

"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3a9e5d1f7b2'
down_revision = 'b7d41c2e9a55'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
EVENT_FIELDS = ("id", "at", "user_id", "action", "assessment_id", "subject", "before", "after", "reason")


def link_hash(previous, seq, event):
    """As app/services/audit.py hashes a link (frozen here, as a migration must be)."""
    content = dict(zip(EVENT_FIELDS, event, strict=True))
    content["at"] = content["at"].replace(tzinfo=None).isoformat(timespec="microseconds")
    body = json.dumps(
        {"previous": previous, "seq": seq, "event": content}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(body.encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain_seq'])
    head = op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    connection = op.get_bind()
    types = {"at": sa.DateTime(), "before": sa.JSON(), "after": sa.JSON()}
    events = sa.table(
        'audit_events',
        *(sa.column(name, types.get(name)) for name in EVENT_FIELDS),
        sa.column('chain_seq'),
        sa.column('chain_hash'),
    )
    previous, seq = GENESIS, 0
    rows = connection.execute(sa.select(*(events.c[name] for name in EVENT_FIELDS)).order_by(events.c.id)).all()
    for row in rows:
        seq += 1
        previous = link_hash(previous, seq, tuple(row))
        connection.execute(
            events.update().where(events.c.id == row.id).values(chain_seq=seq, chain_hash=previous)
        )
    op.bulk_insert(head, [{"id": 1, "seq": seq, "hash": previous}])


def downgrade():
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_chain_seq'), type_='unique')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_seq')
