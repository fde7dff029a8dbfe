"""user locale: the interface language a person chose on the switcher

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 12:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('users', 'locale')  # SQLite 3.35+ drops a column in place, as 0015 does
