"""languages: the language each expert rates in, each rating and comment was given in, each assessment is read in; the source each framework translation translates

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:30:00

'' (the default for every existing row) means the framework version's source language: every rating given
before studies offered several languages was given in it.
"""

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLES = ('panelists', 'ratings', 'comments', 'assessments')


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('language', sa.String(length=35), nullable=False, server_default=''))
    # A plain ADD COLUMN: on SQLite the released-version triggers of 0015 stay (no table copy).
    op.add_column('framework_translations', sa.Column('source_digest', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('framework_translations', 'source_digest')
    for table in reversed(TABLES):
        op.drop_column(table, 'language')
