"""rating events and snapshots: every answer as it was given, and statistics taken while a round is open

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 15:20:00

Existing ratings get one event each (their current value at their last update): the history starts with what is
known.
"""

from alembic import op
import sqlalchemy as sa

import delphi.db

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rating_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('panelist_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('language', sa.String(length=35), server_default='', nullable=False),
        sa.Column('carried', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('given_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['panelist_id'], ['panelists.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_rating_events_round_id', 'rating_events', ['round_id', 'id'])
    op.create_index('ix_rating_events_panelist_id', 'rating_events', ['panelist_id'])
    op.create_index('ix_rating_events_round_item', 'rating_events', ['round_id', 'item_id', 'id'])
    op.execute("INSERT INTO rating_events (round_id, panelist_id, item_id, question, value, language, carried, "
               "given_at) SELECT round_id, panelist_id, item_id, question, value, language, carried, updated_at "
               "FROM ratings ORDER BY updated_at, id")
    op.create_table(
        'round_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('taken_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('taken_by_id', sa.Integer(), nullable=True),
        sa.Column('results', sa.JSON(), nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['taken_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_round_snapshots_round_id', 'round_snapshots', ['round_id'])


def downgrade():
    op.drop_index('ix_round_snapshots_round_id', table_name='round_snapshots')
    op.drop_table('round_snapshots')
    op.drop_index('ix_rating_events_round_item', table_name='rating_events')
    op.drop_index('ix_rating_events_panelist_id', table_name='rating_events')
    op.drop_index('ix_rating_events_round_id', table_name='rating_events')
    op.drop_table('rating_events')
