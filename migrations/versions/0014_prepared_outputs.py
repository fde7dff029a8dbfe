"""prepared outputs: report PDFs, data packages and assessment PDFs built by a job, kept for every app server

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:30:00
"""

from alembic import op
import sqlalchemy as sa

import delphi.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('prepared_outputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=True),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('queued', 'building', 'ready', 'failed', name='outputstatus', native_enum=False,
                                length=10), nullable=False),
    sa.Column('stage', sa.String(length=80), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('requested_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('built_at', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('build_seconds', sa.Float(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint('(study_id IS NULL) <> (assessment_id IS NULL)', name=op.f('ck_prepared_outputs_one_subject')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'],
                            name=op.f('fk_prepared_outputs_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_prepared_outputs_study_id_studies'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepared_outputs')),
    sa.UniqueConstraint('key', name=op.f('uq_prepared_outputs_key'))
    )
    op.create_index(op.f('ix_prepared_outputs_assessment_id'), 'prepared_outputs', ['assessment_id'], unique=False)
    op.create_index(op.f('ix_prepared_outputs_study_id'), 'prepared_outputs', ['study_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_prepared_outputs_study_id'), table_name='prepared_outputs')
    op.drop_index(op.f('ix_prepared_outputs_assessment_id'), table_name='prepared_outputs')
    op.drop_table('prepared_outputs')
