"""assessment answers: one revision per field (team mode saves field by field, nothing lost in a team)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

FIELDS = ("current_level", "target_level", "target_date", "confidence", "evidence", "links", "not_applicable",
          "na_reason", "agreed_note")


def upgrade():
    # A plain ADD COLUMN (no table copy on SQLite, so the finalised-assessment triggers of 0004 stay).
    op.add_column('assessment_answers', sa.Column('field_revisions', sa.JSON(), nullable=False, server_default='{}'))
    # What an existing answer holds may have changed at its latest revision, field by field: a page drawn before
    # that conflicts on a field it changes (as before), never on one it leaves alone. The column is not among the
    # frozen ones of migration 0004, so finalised answers take the update too.
    conn = op.get_bind()
    answers = sa.table('assessment_answers', sa.column('revision', sa.Integer),
                       sa.column('field_revisions', sa.JSON))
    for (rev,) in conn.execute(sa.select(answers.c.revision).distinct()).all():
        conn.execute(answers.update().where(answers.c.revision == rev)
                     .values(field_revisions={f: {"revision": rev} for f in FIELDS}))


def downgrade():
    # Not a batch operation: recreating the table on SQLite would drop the finalised-assessment triggers of 0004.
    op.execute("ALTER TABLE assessment_answers DROP COLUMN field_revisions")
