"""framework translations: every text of a version in other languages, frozen with the release; the source language

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 08:00:00
"""

from alembic import op
import sqlalchemy as sa

import delphi.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

IMMUTABLE_MESSAGE = "released framework versions are immutable"
# 0002's frozen columns of a released version, and now its source language too.
FROZEN_BEFORE = ("framework_id", "label", "name", "short_name", "description", "source",
                 "numbering_note", "generic_levels", "release_notes", "checksum", "released_at")
FROZEN_NOW = FROZEN_BEFORE + ("source_language",)


def _version_trigger(columns):
    """framework_versions' guard of 0002, over these columns."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_framework_versions_immutable_update")
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        op.execute(
            "CREATE TRIGGER trg_framework_versions_immutable_update BEFORE UPDATE ON framework_versions "
            f"WHEN OLD.status != 'draft' AND ({changed} OR NEW.status = 'draft') "
            f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END")
    elif dialect == "postgresql":
        changed = " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in columns)
        op.execute(f"""
            CREATE OR REPLACE FUNCTION refuse_released_version_change() RETURNS trigger AS $$
            BEGIN
              IF OLD.status <> 'draft' THEN
                IF TG_OP = 'DELETE' OR NEW.status = 'draft' OR {changed} THEN
                  RAISE EXCEPTION '{IMMUTABLE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")


def upgrade():
    op.add_column('framework_versions', sa.Column('source_language', sa.String(length=35), server_default='en',
                                                  nullable=False))
    op.create_table('framework_translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'],
                            name=op.f('fk_framework_translations_version_id_framework_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_translations')),
    sa.UniqueConstraint('version_id', 'language', 'key', name=op.f('uq_framework_translations_version_id_language_key'))
    )
    op.create_index(op.f('ix_framework_translations_version_id'), 'framework_translations', ['version_id'],
                    unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER trg_framework_translations_immutable_{event.lower()} BEFORE {event} "
                "ON framework_translations "
                f"WHEN (SELECT status FROM framework_versions WHERE id = {row}.version_id) != 'draft' "
                f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END")
    elif dialect == "postgresql":
        op.execute("CREATE TRIGGER trg_framework_translations_immutable BEFORE INSERT OR UPDATE OR DELETE "
                   "ON framework_translations FOR EACH ROW EXECUTE FUNCTION refuse_released_content()")
    _version_trigger(FROZEN_NOW)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_framework_translations_immutable_{event}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_framework_translations_immutable ON framework_translations")
    op.drop_index(op.f('ix_framework_translations_version_id'), table_name='framework_translations')
    op.drop_table('framework_translations')
    if dialect == "postgresql":
        _version_trigger(FROZEN_BEFORE)  # before the column goes: the function names it
        op.drop_column('framework_versions', 'source_language')
    else:  # SQLite >= 3.35 drops a column in place, once no trigger names it (a table rebuild would trip
        # over the other tables' triggers, which name framework_versions)
        op.execute("DROP TRIGGER IF EXISTS trg_framework_versions_immutable_update")
        op.execute("ALTER TABLE framework_versions DROP COLUMN source_language")
        _version_trigger(FROZEN_BEFORE)
