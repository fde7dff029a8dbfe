"""decisions can be undone until the next round opens: what undo needs is kept with the decision

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('item_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undo', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('item_decisions', schema=None) as batch_op:
        batch_op.drop_column('undo')
