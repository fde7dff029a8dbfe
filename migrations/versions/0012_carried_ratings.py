"""a rating carried over unchanged from the previous round (protocol prefill_previous)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy of the table), like 0010.
    op.add_column('ratings', sa.Column('carried', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_column('carried')
