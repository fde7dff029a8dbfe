"""failed logins per account and a temporary lock (any address, any worker: it lives in the database)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:50:00
"""
from alembic import op
import sqlalchemy as sa

import delphi.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', delphi.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
