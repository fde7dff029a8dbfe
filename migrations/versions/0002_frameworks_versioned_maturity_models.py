"""frameworks: versioned maturity models

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:59:03.510116

"""
from alembic import op
import sqlalchemy as sa

import delphi.db


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# Released (and retired) versions are immutable: the database refuses any change to their content, so no code
# path — a service bug, a manual SQL session — can alter what assessments and citations point at.
VERSIONED_TABLES = ("glossary_terms", "domains", "subdomains", "indicators", "levels")
IMMUTABLE_MESSAGE = "released framework versions are immutable"
# Columns of framework_versions that may not change once released (status may go released -> retired).
FROZEN_VERSION_COLUMNS = ("framework_id", "label", "name", "short_name", "description", "source",
                          "numbering_note", "generic_levels", "release_notes", "checksum", "released_at")


def _create_immutability_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in VERSIONED_TABLES:
            for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_immutable_{event.lower()} BEFORE {event} ON {table} "
                    f"WHEN (SELECT status FROM framework_versions WHERE id = {row}.version_id) != 'draft' "
                    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END")
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_VERSION_COLUMNS)
        op.execute(
            "CREATE TRIGGER trg_framework_versions_immutable_update BEFORE UPDATE ON framework_versions "
            f"WHEN OLD.status != 'draft' AND ({changed} OR NEW.status = 'draft') "
            f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END")
        op.execute(
            "CREATE TRIGGER trg_framework_versions_immutable_delete BEFORE DELETE ON framework_versions "
            f"WHEN OLD.status != 'draft' BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}'); END")
    elif dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION refuse_released_content() RETURNS trigger AS $$
            DECLARE vid integer; st text;
            BEGIN
              IF TG_OP = 'DELETE' THEN vid := OLD.version_id; ELSE vid := NEW.version_id; END IF;
              SELECT status INTO st FROM framework_versions WHERE id = vid;
              IF st IS NOT NULL AND st <> 'draft' THEN
                RAISE EXCEPTION '{IMMUTABLE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
              END IF;
              IF TG_OP = 'UPDATE' AND OLD.version_id <> NEW.version_id THEN
                SELECT status INTO st FROM framework_versions WHERE id = OLD.version_id;
                IF st <> 'draft' THEN
                  RAISE EXCEPTION '{IMMUTABLE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        for table in VERSIONED_TABLES:
            op.execute(f"CREATE TRIGGER trg_{table}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_released_content()")
        changed = " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in FROZEN_VERSION_COLUMNS)
        op.execute(f"""
            CREATE FUNCTION refuse_released_version_change() RETURNS trigger AS $$
            BEGIN
              IF OLD.status <> 'draft' THEN
                IF TG_OP = 'DELETE' OR NEW.status = 'draft' OR {changed} THEN
                  RAISE EXCEPTION '{IMMUTABLE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER trg_framework_versions_immutable BEFORE UPDATE OR DELETE ON framework_versions "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_released_version_change()")


def _drop_immutability_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in VERSIONED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_immutable_{event}")
        op.execute("DROP TRIGGER IF EXISTS trg_framework_versions_immutable_update")
        op.execute("DROP TRIGGER IF EXISTS trg_framework_versions_immutable_delete")
    elif dialect == "postgresql":
        for table in VERSIONED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_immutable ON {table}")
        op.execute("DROP TRIGGER IF EXISTS trg_framework_versions_immutable ON framework_versions")
        op.execute("DROP FUNCTION IF EXISTS refuse_released_content()")
        op.execute("DROP FUNCTION IF EXISTS refuse_released_version_change()")


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('created_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frameworks')),
    sa.UniqueConstraint('slug', name=op.f('uq_frameworks_slug'))
    )
    op.create_table('framework_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('draft', 'released', 'retired', name='versionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('short_name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('numbering_note', sa.Text(), nullable=False),
    sa.Column('generic_levels', sa.JSON(), nullable=False),
    sa.Column('release_notes', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', delphi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', delphi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_framework_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['framework_id'], ['frameworks.id'], name=op.f('fk_framework_versions_framework_id_frameworks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['framework_versions.id'], name=op.f('fk_framework_versions_parent_id_framework_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_versions')),
    sa.UniqueConstraint('framework_id', 'label', name=op.f('uq_framework_versions_framework_id_label'))
    )
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_versions_framework_id'), ['framework_id'], unique=False)

    op.create_table('domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], name=op.f('fk_domains_version_id_framework_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domains')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_domains_version_id_code'))
    )
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domains_version_id'), ['version_id'], unique=False)

    op.create_table('glossary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], name=op.f('fk_glossary_terms_version_id_framework_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_terms')),
    sa.UniqueConstraint('version_id', 'term', name=op.f('uq_glossary_terms_version_id_term'))
    )
    with op.batch_alter_table('glossary_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_terms_version_id'), ['version_id'], unique=False)

    op.create_table('subdomains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_subdomains_domain_id_domains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], name=op.f('fk_subdomains_version_id_framework_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subdomains')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_subdomains_version_id_code'))
    )
    with op.batch_alter_table('subdomains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subdomains_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subdomains_version_id'), ['version_id'], unique=False)

    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('subdomain_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subdomain_id'], ['subdomains.id'], name=op.f('fk_indicators_subdomain_id_subdomains'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], name=op.f('fk_indicators_version_id_framework_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_indicators_version_id_code'))
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicators_subdomain_id'), ['subdomain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicators_version_id'), ['version_id'], unique=False)

    op.create_table('levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_levels_level_1_to_5')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_levels_indicator_id_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['framework_versions.id'], name=op.f('fk_levels_version_id_framework_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_levels')),
    sa.UniqueConstraint('indicator_id', 'level', name=op.f('uq_levels_indicator_id_level'))
    )
    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_levels_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_levels_version_id'), ['version_id'], unique=False)

    # ### end Alembic commands ###
    _create_immutability_triggers()


def downgrade():
    _drop_immutability_triggers()
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_levels_version_id'))
        batch_op.drop_index(batch_op.f('ix_levels_indicator_id'))

    op.drop_table('levels')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicators_version_id'))
        batch_op.drop_index(batch_op.f('ix_indicators_subdomain_id'))

    op.drop_table('indicators')
    with op.batch_alter_table('subdomains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subdomains_version_id'))
        batch_op.drop_index(batch_op.f('ix_subdomains_domain_id'))

    op.drop_table('subdomains')
    with op.batch_alter_table('glossary_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_terms_version_id'))

    op.drop_table('glossary_terms')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domains_version_id'))

    op.drop_table('domains')
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_versions_framework_id'))

    op.drop_table('framework_versions')
    op.drop_table('frameworks')
    # ### end Alembic commands ###
