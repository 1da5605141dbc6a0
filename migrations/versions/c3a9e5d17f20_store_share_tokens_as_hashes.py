"""store share link tokens as SHA-256 hashes, like session tokens

Revision ID: c3a9e5d17f20
Revises: c3a9e5d1f7b2
Create Date: 2026-12-07 09:40:00.000000

A link handed out before this keeps working: its token's hash is computed from the stored token,
then the token itself is dropped.
"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e5d17f20'
down_revision = 'c3a9e5d1f7b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_sha256', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    links = sa.table('share_links', sa.column('id', sa.Integer), sa.column('token', sa.String),
                     sa.column('token_sha256', sa.String))
    for link_id, token in connection.execute(sa.select(links.c.id, links.c.token)).all():
        digest = hashlib.sha256(token.encode()).hexdigest()
        connection.execute(links.update().where(links.c.id == link_id).values(token_sha256=digest))
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.alter_column('token_sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_share_links_token_sha256'), ['token_sha256'])
        batch_op.drop_constraint(batch_op.f('uq_share_links_token'), type_='unique')
        batch_op.drop_column('token')


def downgrade():
    """The tokens cannot be recovered from their hashes: the links made so far stop working."""
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    links = sa.table('share_links', sa.column('id', sa.Integer), sa.column('token', sa.String),
                     sa.column('revoked_at', sa.DateTime))
    for (link_id,) in connection.execute(sa.select(links.c.id)).all():
        connection.execute(links.update().where(links.c.id == link_id).values(token=f"withdrawn-{link_id}"))
    connection.execute(links.update().where(links.c.revoked_at.is_(None)).values(revoked_at=sa.func.now()))
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_share_links_token'), ['token'])
        batch_op.drop_constraint(batch_op.f('uq_share_links_token_sha256'), type_='unique')
        batch_op.drop_column('token_sha256')
