"""mail outbox: every message a row in the transaction that causes it, delivered by the worker

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:00:00
"""

from alembic import op
import sqlalchemy as sa

import delphi.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('to_addr', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=True),
    sa.Column('panelist_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', name='outboxstatus', native_enum=False,
                                length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['panelist_id'], ['panelists.id'], name=op.f('fk_outbox_messages_panelist_id_panelists'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_outbox_messages_study_id_studies'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_messages_idempotency_key'))
    )
    op.create_index('ix_outbox_messages_due', 'outbox_messages', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_messages_study_id'), 'outbox_messages', ['study_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_outbox_messages_study_id'), table_name='outbox_messages')
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.drop_table('outbox_messages')
