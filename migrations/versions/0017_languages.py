"""languages: the language each expert rates in, each rating and comment was given in, each assessment is read in

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


def downgrade():
    for table in reversed(TABLES):
        op.drop_column(table, 'language')
