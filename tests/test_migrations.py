"""Migrations build the schema from empty and match the models (no drift)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def test_upgrade_from_empty_reaches_head_and_models_match(app):
    from delphi.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            heads = context.get_current_heads()
    assert diff == [], f"models and migrations differ: {diff}"
    assert len(heads) == 1


def test_flask_db_check_reports_no_drift(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
