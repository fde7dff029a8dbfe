"""Assessments in a language (issue 17), below the pages: the tree every page, the PDF and the workbook read, and
the database's finalised triggers, which leave the language free (run on SQLite and PostgreSQL alike)."""
from __future__ import annotations

import pytest

from tests.web.test_assessment_fixtures import fill
from tests.web.test_assessment_language import GERMAN, _assessment, _german, _levels, _version, tiny  # noqa: F401


def test_the_tree_is_in_the_chosen_language_and_keeps_the_source_where_nothing_is_translated(app, tiny):
    from delphi.services.assessments import lifecycle

    with app.app_context():
        version = _version()
        german = lifecycle.tree(version, levels=True, glossary=True, language="de")
        assert german.language == "de"
        a11, a12 = german.domain(1).indicators
        assert german.domain(1).title == "Steuerung" and german.domain(2).title == "Data"
        assert a11.statement == GERMAN["indicator.A.1.1.statement"] and a11.subdomain_title == "Strategie und Planung"
        assert a11.guidance == "Suchen Sie den beschlossenen Plan." and a11.levels[2] == "Stufe 3 auf Deutsch"
        assert a12.statement == "The plan is reviewed every year." and a12.guidance == "Minutes of the review."
        assert a12.levels == _levels("Review")
        assert german.generic_levels[:2] == ("Anfänglich", "Managed")
        assert german.glossary == (("Strategie", "Ein beschlossener Plan mit Zielen."),)
        for source in (lifecycle.tree(version, levels=True, glossary=True),
                       lifecycle.tree(version, levels=True, glossary=True, language=""),
                       lifecycle.tree(version, levels=True, glossary=True, language="fr")):
            assert source.language == "en" and source.domain(1).title == "Governance"
            assert source.indicators[0].levels[2] == "Strat level 3"
            assert source.glossary == (("strategy", "An adopted plan with goals."),)


def test_the_database_lets_a_finalised_assessment_change_its_language_and_nothing_else(app, tiny):
    """On SQLite and PostgreSQL alike (TEST_DATABASE_URL): the finalised triggers leave the language free."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from delphi.extensions import db
    from delphi.services.assessments import language

    aid = _german(app)
    fill(app, aid, "lead@pt.example", level=lambda n, code: 3, finalise=True)
    with app.app_context():
        a = _assessment(app, aid)
        assert language.change(a, "en", by=None) is True and language.change(a, "en", by=None) is False
        db.session.commit()
        db.session.execute(text("UPDATE assessments SET language = 'de' WHERE id = :id"), {"id": aid})
        db.session.commit()
        assert _assessment(app, aid).language == "de"
        with pytest.raises(DBAPIError):
            db.session.execute(text("UPDATE assessments SET title = 'Changed' WHERE id = :id"), {"id": aid})
            db.session.flush()
        db.session.rollback()
