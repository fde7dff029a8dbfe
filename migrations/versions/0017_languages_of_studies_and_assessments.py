"""languages of studies and assessments: the language each expert rates in, each rating and comment was given in,
and each assessment is shown in ('' = the framework version's source language)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:40:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLES = ("panelists", "ratings", "comments", "assessments")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('language', sa.String(length=8), nullable=False, server_default=''))


def downgrade():
    for table in TABLES:
        op.drop_column(table, 'language')
