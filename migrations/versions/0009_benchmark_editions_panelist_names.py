"""benchmark editions (frozen, published pools of levels) and the name an organiser typed for a panelist

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:15:00
"""
from alembic import op
import sqlalchemy as sa

import delphi.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('panelists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=False, server_default=''))
    # What organisers saw until now was the account's name: keep showing it for existing panelists.
    op.execute("UPDATE panelists SET name = (SELECT users.name FROM users WHERE users.id = panelists.user_id)")

    op.create_table(
        'benchmark_editions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('published_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('min_organisations', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'number'),
    )
    op.create_index('ix_benchmark_editions_version_id', 'benchmark_editions', ['version_id'])
    op.create_table(
        'benchmark_contributors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['edition_id'], ['benchmark_editions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('edition_id', 'organisation_id'),
    )
    op.create_index('ix_benchmark_contributors_edition_id', 'benchmark_contributors', ['edition_id'])
    op.create_table(
        'benchmark_levels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('indicator_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.CheckConstraint('level BETWEEN 1 AND 5', name='ck_benchmark_levels_level'),
        sa.ForeignKeyConstraint(['edition_id'], ['benchmark_editions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('edition_id', 'organisation_id', 'indicator_id'),
    )
    op.create_index('ix_benchmark_levels_edition_id', 'benchmark_levels', ['edition_id'])


def downgrade():
    op.drop_index('ix_benchmark_levels_edition_id', table_name='benchmark_levels')
    op.drop_table('benchmark_levels')
    op.drop_index('ix_benchmark_contributors_edition_id', table_name='benchmark_contributors')
    op.drop_table('benchmark_contributors')
    op.drop_index('ix_benchmark_editions_version_id', table_name='benchmark_editions')
    op.drop_table('benchmark_editions')
    with op.batch_alter_table('panelists', schema=None) as batch_op:
        batch_op.drop_column('name')
