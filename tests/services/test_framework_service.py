"""Framework services: round trips through the database, the editor's operations, and immutability (service + DB)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

import framework as fwlib


@pytest.fixture
def shipped(ctx):
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    version = versions.ensure_shipped()
    db.session.commit()
    return version


@pytest.fixture
def draft(shipped):
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    version = versions.new_draft(shipped, "draft-2", by=None)
    db.session.commit()
    return version


def _doc(version):
    from delphi.services.frameworks import versions

    return versions.to_document(version)


def _changes(old, new) -> set[tuple[str, str, str, str | None]]:
    return {(c.kind, c.element, c.code, c.field) for c in fwlib.diff(_doc(old), _doc(new))}


# --- Round trip ------------------------------------------------------------------------------------------------

def test_shipped_mlm_round_trips_through_the_database_in_every_format(shipped):
    from delphi.services.frameworks import files

    original = fwlib.load_shipped("1plusmg-mlm")
    counts = original.counts()
    assert (counts.domains, counts.subdomains, counts.indicators, counts.levels) == (8, 33, 49, 245)
    assert _doc(shipped) == original
    for fmt in fwlib.FORMATS:
        out = files.export(shipped, fmt)
        assert out.filename == f"1plusmg-mlm-2022.{fmt}"
        back = fwlib.load(out.data, fmt, filename=out.filename)
        if fmt == "csv":  # the CSV table holds the indicator tree only (docs/FRAMEWORK_FORMATS.md)
            assert back.domains == original.domains
        else:
            assert back == original, fmt
        assert back.counts() == counts
    assert files.export(shipped, "json").data == fwlib.data_path("1plusmg-mlm").read_bytes()


def test_import_file_is_idempotent_for_a_label_and_refuses_other_content_under_it(ctx):
    from delphi.extensions import db
    from delphi.services.frameworks import files

    data = fwlib.dump(fwlib.load_shipped("1plusmg-mlm"), "yaml")
    first = files.import_file(data, "mlm.yaml", by=None, slug="mlm", label="v1")
    db.session.commit()
    again = files.import_file(data, "mlm.yaml", by=None, slug="mlm", label="v1")
    assert first.created and not again.created and again.version.id == first.version.id
    other = data.replace(b"Ad hoc", b"Improvised")
    with pytest.raises(files.InvalidInput, match="already has a version labelled 'v1'"):
        files.import_file(other, "mlm.yaml", by=None, slug="mlm", label="v1")
    unlabelled = files.import_file(other, "mlm.yaml", by=None, slug="mlm")
    assert unlabelled.version.label == "draft-2" and unlabelled.version.is_draft


def test_import_file_refuses_a_malformed_file_with_the_loaders_message(ctx):
    from delphi.services.frameworks import files

    with pytest.raises(files.FileRefused) as refused:
        files.import_file(b'{"name": "X", "domains": 3}', "broken.json", by=None)
    assert refused.value.message.startswith("broken.json")


# --- Immutability ----------------------------------------------------------------------------------------------

def test_every_edit_of_a_released_version_raises_version_immutable_and_changes_nothing(shipped):
    from delphi.services.frameworks import editing as edits
    from delphi.services.frameworks.versions import VersionImmutable

    before = fwlib.checksum(_doc(shipped))
    levels = ["a", "b", "c", "d", "e"]
    attempts = [
        lambda: edits.reword(shipped, "I.1.1", "statement", "Changed."),
        lambda: edits.delete(shipped, "I"),
        lambda: edits.move_indicators(shipped, "I.1", "I.2"),
        lambda: edits.add_domain(shipped, "IX", "New"),
        lambda: edits.add_subdomain(shipped, "I", "I.9", "New"),
        lambda: edits.add_indicator(shipped, "I.1", "I.1.9", "New.", levels),
        lambda: edits.update_indicator(shipped, "I.1.1", "Changed.", None, levels),
        lambda: edits.retitle(shipped, "I", "New"),
        lambda: edits.move(shipped, "I.1.1", "I.2"),
        lambda: edits.reorder(shipped, "II", "up"),
        lambda: edits.remove(shipped, "I.1.1"),
        lambda: edits.add_glossary_term(shipped, "Term", "Definition."),
        lambda: edits.edit_metadata(shipped, name="Other"),
        lambda: edits.edit_generic_levels(shipped, levels),
    ]
    for attempt in attempts:
        with pytest.raises(VersionImmutable, match="released and cannot be changed"):
            attempt()
    assert fwlib.checksum(_doc(shipped)) == before == shipped.checksum


@pytest.mark.parametrize("statement", [
    "UPDATE indicators SET statement = 'Tampered.' WHERE version_id = :v",
    "UPDATE levels SET description = 'Tampered.' WHERE version_id = :v",
    "DELETE FROM subdomains WHERE version_id = :v",
    "UPDATE framework_versions SET name = 'Tampered' WHERE id = :v",
    "UPDATE framework_versions SET status = 'draft' WHERE id = :v",
])
def test_database_refuses_raw_sql_changes_to_a_released_version(shipped, statement):
    from delphi.extensions import db

    with pytest.raises(IntegrityError, match="immutable"):
        db.session.execute(text(statement), {"v": shipped.id})
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(text("SELECT statement FROM indicators WHERE version_id = :v AND code = 'I.1.1'"),
                             {"v": shipped.id}).startswith("Country/region has a dedicated governance")


def test_a_draft_can_be_changed_with_raw_sql_the_triggers_guard_only_released_versions(draft):
    from delphi.extensions import db

    db.session.execute(text("UPDATE indicators SET statement = 'Changed.' WHERE version_id = :v AND code = 'I.1.1'"),
                       {"v": draft.id})
    db.session.commit()


# --- The editor's operations -----------------------------------------------------------------------------------

def test_editor_operations_show_up_in_the_diff_exactly(shipped, draft):
    from delphi.extensions import db
    from delphi.services.frameworks import editing as edits

    levels = ["One.", "Two.", "Three.", "Four.", "Five."]
    results = [
        edits.add_domain(draft, "IX", "Research"),
        edits.add_subdomain(draft, "IX", "IX.1", "Research infrastructure"),
        edits.add_indicator(draft, "IX.1", "IX.1.1", "Research is funded.", levels, guidance="Count grants."),
        edits.update_indicator(draft, "I.1.1", "Country has a governance body for genomics.", "",
                               [lv.description for lv in edits.find_element(draft, "I.1.1").levels]),
        edits.retitle(draft, "II.1", "Funding"),
        edits.move(draft, "I.2.1", "I.1"),
        edits.move(draft, "VIII.3", "IX"),
        edits.remove(draft, "VII.1.1"),
        edits.add_glossary_term(draft, "NGS", "Next-generation sequencing."),
        edits.edit_metadata(draft, description="Revised."),
    ]
    db.session.commit()
    assert all(before or after for before, after in results)  # each returns what changed, for the audit log
    assert _changes(shipped, draft) == {
        ("added", "domain", "IX", None),
        ("added", "subdomain", "IX.1", None),
        ("added", "indicator", "IX.1.1", None),
        ("reworded", "indicator", "I.1.1", "statement"),
        ("reworded", "subdomain", "II.1", "title"),
        ("moved", "indicator", "I.2.1", "parent"),
        ("moved", "subdomain", "VIII.3", "parent"),
        ("removed", "indicator", "VII.1.1", None),
        ("added", "glossary", "NGS", "definition"),
        ("reworded", "metadata", "", "description"),
    }
    moved = edits.find_element(draft, "I.2.1")
    assert moved.subdomain.code == "I.1" and moved.position == 1


def test_reorder_swaps_neighbours_and_refuses_past_the_ends(shipped, draft):
    from delphi.errors import InvalidInput
    from delphi.services.frameworks import editing as edits

    assert edits.reorder(draft, "II", "up") == ({"code": "II", "position": 2}, {"code": "II", "position": 1})
    assert [d.code for d in _doc(draft).domains][:3] == ["II", "I", "III"]
    with pytest.raises(InvalidInput, match="already the first domain"):
        edits.reorder(draft, "II", "up")
    with pytest.raises(InvalidInput, match="already the last"):
        edits.reorder(draft, "VIII", "down")
    assert _changes(shipped, draft) & {("moved", "domain", "I", "position"), ("moved", "domain", "II", "position")}


def test_generic_levels_and_glossary_edits_and_their_audit_values(draft):
    from delphi.services.frameworks import editing as edits

    old = list(draft.generic_levels)
    new = ["Ad hoc", "Local", "Documented", "National", "International"]
    assert edits.edit_generic_levels(draft, new) == ({"generic_levels": old}, {"generic_levels": new})
    assert edits.edit_generic_levels(draft, new) == (None, None)
    assert edits.edit_generic_levels(draft, [""] * 5)[1] == {"generic_levels": []}
    shipped_terms = _doc(draft).glossary  # the MLM's own 36
    _, after = edits.add_glossary_term(draft, "MLM", "Maturity level model.")
    term = next(t for t in draft.glossary if t.term == "MLM")
    assert edits.edit_glossary_term(draft, term.id, "MLM", "Maturity Level Model.")[1]["definition"] == \
        "Maturity Level Model."
    assert edits.delete_glossary_term(draft, term.id) == ({"term": "MLM", "definition": "Maturity Level Model."},
                                                          None)
    assert _doc(draft).glossary == shipped_terms and _doc(draft).generic_levels == ()


@pytest.mark.parametrize("edit, message", [
    (lambda e, v: e.add_domain(v, "I.1.1", "Clash"), "already used by an indicator"),
    (lambda e, v: e.add_domain(v, "has space", "X"), "not a valid domain code"),
    (lambda e, v: e.add_domain(v, "IX", "   "), "domain title cannot be empty"),
    (lambda e, v: e.add_subdomain(v, "I.1", "I.9", "X"), "I.1 is a subdomain, not a domain"),
    (lambda e, v: e.add_indicator(v, "I.1", "I.1.9", "New.", ["a"] * 4), "exactly 5 levels"),
    (lambda e, v: e.add_indicator(v, "I.1", "I.1.9", "New.", ["a", "b", "", "d", "e"]), "level 3 description"),
    (lambda e, v: e.add_indicator(v, "I.1", "I.1.9", "Bell\x07", ["a"] * 5), r"control character U\+0007"),
    (lambda e, v: e.update_indicator(v, "I.1.1", "", None, ["a"] * 5), "statement cannot be empty"),
    (lambda e, v: e.move(v, "I.1.1", "II"), "can only move to a subdomain"),
    (lambda e, v: e.move(v, "I.1.1", "I.1"), "already in I.1"),
    (lambda e, v: e.move(v, "I", "II"), "A domain has no parent"),
    (lambda e, v: e.reorder(v, "I", "sideways"), "not a direction"),
    (lambda e, v: e.retitle(v, "I.1.1", "X"), "is an indicator"),
    (lambda e, v: e.edit_metadata(v, name=""), "name cannot be empty"),
    (lambda e, v: e.edit_generic_levels(v, ["a", "b", "", "d", "e"]), "Give all 5 generic levels or none"),
    (lambda e, v: e.find_element(v, "NOPE"), "No element with code NOPE"),
])
def test_bad_editor_input_is_refused_with_a_message_and_changes_nothing(draft, edit, message):
    from delphi.errors import InvalidInput
    from delphi.services.frameworks import editing

    before = fwlib.checksum(_doc(draft))
    with pytest.raises(InvalidInput, match=message):
        edit(editing, draft)
    assert fwlib.checksum(_doc(draft)) == before


def test_glossary_terms_are_unique_ignoring_case(draft):
    from delphi.errors import InvalidInput
    from delphi.services.frameworks import editing as edits

    edits.add_glossary_term(draft, "NGS", "Next-generation sequencing.")
    with pytest.raises(InvalidInput, match="already defines 'NGS'"):
        edits.add_glossary_term(draft, "ngs", "Again.")
