"""archived studies: a Delphi run elsewhere, imported read-only (where it came from, what it is)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # NULL for a study run here; {"source", "tool", "note", "reconstructed", "imported_at"} for an archived one.
    op.add_column('studies', sa.Column('archive', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('studies', schema=None) as batch_op:
        batch_op.drop_column('archive')
