"""the panel as a living list: a panelist can withdraw (or be withdrawn), with the reason

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:25:00
"""
from alembic import op
import sqlalchemy as sa

import delphi.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('panelists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', delphi.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('panelists', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
