"""between rounds: aware round deadlines; decisions that come with another item's

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:40:00

rounds.deadline was a naive DateTime (read back without a time zone on SQLite, `timestamp without time zone` on
PostgreSQL), which broke every comparison with an aware now(). Existing values were written as UTC, so
PostgreSQL converts them AT TIME ZONE 'UTC'.
"""
from alembic import op
import sqlalchemy as sa

import delphi.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE rounds ALTER COLUMN deadline TYPE TIMESTAMP WITH TIME ZONE "
                   "USING deadline AT TIME ZONE 'UTC'")
    else:
        with op.batch_alter_table('rounds', schema=None) as batch_op:
            batch_op.alter_column('deadline', existing_type=sa.DateTime(), type_=delphi.db.UTCDateTime(),
                                  existing_nullable=False)
    with op.batch_alter_table('item_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_item_decisions_settled_by_id_items'), 'items',
                                    ['settled_by_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('item_decisions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_item_decisions_settled_by_id_items'), type_='foreignkey')
        batch_op.drop_column('settled_by_id')
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE rounds ALTER COLUMN deadline TYPE TIMESTAMP WITHOUT TIME ZONE "
                   "USING deadline AT TIME ZONE 'UTC'")
    else:
        with op.batch_alter_table('rounds', schema=None) as batch_op:
            batch_op.alter_column('deadline', existing_type=delphi.db.UTCDateTime(), type_=sa.DateTime(),
                                  existing_nullable=False)
