"""assessments: self-assessments, answers, individual levels, team, action plan

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:03:18.209570

"""
from alembic import op
import sqlalchemy as sa

import delphi.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# A finalised assessment is the record that progress and the benchmark rely on: the database refuses any change to
# its content, answers, individual levels and team. Deleting stays possible (an organisation can be removed as a
# whole) and so does ON DELETE SET NULL of the *_by_id columns when a person is deleted. The action plan stays live.
FINALISED_MESSAGE = "finalised assessments are read-only"
FROZEN_COLUMNS = {
    "assessments": ("organisation_id", "version_id", "title", "scope", "reference_date", "team_mode", "status",
                    "finalised_at"),
    "assessment_answers": ("assessment_id", "indicator_id", "current_level", "target_level", "target_date",
                           "confidence", "evidence", "links", "not_applicable", "na_reason", "agreed_note",
                           "revision"),
    "assessment_member_levels": ("assessment_id", "indicator_id", "user_id", "level", "comment"),
    "assessment_team_members": ("assessment_id", "user_id"),
}
CHILD_TABLES = ("assessment_answers", "assessment_member_levels", "assessment_team_members")


def _changed(table: str, dialect: str) -> str:
    if dialect == "sqlite":
        return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS[table])
    return " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in FROZEN_COLUMNS[table])


def _create_finalised_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in CHILD_TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_finalised_insert BEFORE INSERT ON {table} "
                "WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) = 'finalised' "
                f"BEGIN SELECT RAISE(ABORT, '{FINALISED_MESSAGE}'); END")
            op.execute(
                f"CREATE TRIGGER trg_{table}_finalised_update BEFORE UPDATE ON {table} "
                "WHEN ((SELECT status FROM assessments WHERE id = OLD.assessment_id) = 'finalised' "
                "OR (SELECT status FROM assessments WHERE id = NEW.assessment_id) = 'finalised') "
                f"AND ({_changed(table, dialect)}) "
                f"BEGIN SELECT RAISE(ABORT, '{FINALISED_MESSAGE}'); END")
        op.execute(
            "CREATE TRIGGER trg_assessments_finalised_update BEFORE UPDATE ON assessments "
            f"WHEN OLD.status = 'finalised' AND ({_changed('assessments', dialect)}) "
            f"BEGIN SELECT RAISE(ABORT, '{FINALISED_MESSAGE}'); END")
    elif dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION refuse_finalised_assessment_content() RETURNS trigger AS $$
            DECLARE st text;
            BEGIN
              IF TG_OP = 'UPDATE' THEN
                SELECT status INTO st FROM assessments WHERE id = OLD.assessment_id;
                IF st = 'finalised' THEN
                  RAISE EXCEPTION '{FINALISED_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
              END IF;
              SELECT status INTO st FROM assessments WHERE id = NEW.assessment_id;
              IF st = 'finalised' THEN
                RAISE EXCEPTION '{FINALISED_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        for table in CHILD_TABLES:
            op.execute(f"CREATE TRIGGER trg_{table}_finalised_insert BEFORE INSERT ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_finalised_assessment_content()")
            op.execute(f"CREATE TRIGGER trg_{table}_finalised_update BEFORE UPDATE ON {table} "
                       f"FOR EACH ROW WHEN ({_changed(table, dialect)}) "
                       "EXECUTE FUNCTION refuse_finalised_assessment_content()")
        op.execute(f"""
            CREATE FUNCTION refuse_finalised_assessment_change() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{FINALISED_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER trg_assessments_finalised_update BEFORE UPDATE ON assessments "
                   f"FOR EACH ROW WHEN (OLD.status = 'finalised' AND ({_changed('assessments', dialect)})) "
                   "EXECUTE FUNCTION refuse_finalised_assessment_change()")


def _drop_finalised_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in CHILD_TABLES:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_finalised_{event}")
        op.execute("DROP TRIGGER IF EXISTS trg_assessments_finalised_update")
    elif dialect == "postgresql":
        for table in CHILD_TABLES:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_finalised_{event} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS trg_assessments_finalised_update ON assessments")
        op.execute("DROP FUNCTION IF EXISTS refuse_finalised_assessment_content()")
        op.execute("DROP FUNCTION IF EXISTS refuse_finalised_assessment_change()")


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('reference_date', sa.Date(), nullable=False),
    sa.Column('team_mode', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'finalised', name='assessmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finalised_at', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finalised_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'finalised') = (finalised_at IS NOT NULL)", name=op.f('ck_assessments_finalised_when_timed')),
    sa.CheckConstraint("title <> ''", name=op.f('ck_assessments_title_not_empty')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assessments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['finalised_by_id'], ['users.id'], name=op.f('fk_assessments_finalised_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_assessments_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], name=op.f('fk_assessments_version_id_framework_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_version_id'), ['version_id'], unique=False)

    op.create_table('assessment_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_team_members_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_team_members')),
    sa.UniqueConstraint('assessment_id', 'user_id', name=op.f('uq_assessment_team_members_assessment_id_user_id'))
    )
    with op.batch_alter_table('assessment_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_team_members_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('assessment_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', name='actionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("description <> ''", name=op.f('ck_assessment_actions_description_not_empty')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_actions_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assessment_actions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_assessment_actions_indicator_id_indicators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_actions'))
    )
    with op.batch_alter_table('assessment_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_actions_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_actions_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('assessment_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('current_level', sa.Integer(), nullable=True),
    sa.Column('target_level', sa.Integer(), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('confidence', sa.Enum('low', 'medium', 'high', name='confidence', native_enum=False, length=20), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('not_applicable', sa.Boolean(), nullable=False),
    sa.Column('na_reason', sa.Text(), nullable=False),
    sa.Column('agreed_note', sa.Text(), nullable=False),
    sa.Column('agreed_at', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('agreed_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('NOT not_applicable OR (current_level IS NULL AND target_level IS NULL)', name=op.f('ck_assessment_answers_not_applicable_has_no_levels')),
    sa.CheckConstraint('current_level IS NULL OR current_level BETWEEN 1 AND 5', name=op.f('ck_assessment_answers_current_level_1_to_5')),
    sa.CheckConstraint('revision >= 0', name=op.f('ck_assessment_answers_revision_not_negative')),
    sa.CheckConstraint('target_level IS NULL OR current_level IS NULL OR target_level >= current_level', name=op.f('ck_assessment_answers_target_not_below_current')),
    sa.CheckConstraint('target_level IS NULL OR target_level BETWEEN 1 AND 5', name=op.f('ck_assessment_answers_target_level_1_to_5')),
    sa.ForeignKeyConstraint(['agreed_by_id'], ['users.id'], name=op.f('fk_assessment_answers_agreed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_answers_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_assessment_answers_indicator_id_indicators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_assessment_answers_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_answers')),
    sa.UniqueConstraint('assessment_id', 'indicator_id', name=op.f('uq_assessment_answers_assessment_id_indicator_id'))
    )
    with op.batch_alter_table('assessment_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_answers_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_answers_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('assessment_member_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('level IS NULL OR level BETWEEN 1 AND 5', name=op.f('ck_assessment_member_levels_level_1_to_5')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_member_levels_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_assessment_member_levels_indicator_id_indicators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_member_levels_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_member_levels')),
    sa.UniqueConstraint('assessment_id', 'indicator_id', 'user_id', name=op.f('uq_assessment_member_levels_assessment_id_indicator_id_user_id'))
    )
    with op.batch_alter_table('assessment_member_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_member_levels_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_member_levels_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_member_levels_user_id'), ['user_id'], unique=False)

    # ### end Alembic commands ###
    _create_finalised_triggers()


def downgrade():
    _drop_finalised_triggers()
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('assessment_member_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_member_levels_user_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_member_levels_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_member_levels_assessment_id'))

    op.drop_table('assessment_member_levels')
    with op.batch_alter_table('assessment_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_answers_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_answers_assessment_id'))

    op.drop_table('assessment_answers')
    with op.batch_alter_table('assessment_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_actions_indicator_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_actions_assessment_id'))

    op.drop_table('assessment_actions')
    with op.batch_alter_table('assessment_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_team_members_assessment_id'))

    op.drop_table('assessment_team_members')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_version_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_organisation_id'))

    op.drop_table('assessments')
    # ### end Alembic commands ###
