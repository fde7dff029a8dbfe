"""Translations: keys for every text, translate with fallback, completeness, XLIFF 2.0 files and diffs."""

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework import Domain, Framework, GlossaryTerm, Indicator, Subdomain
from framework.translations import (
    TranslationFileError,
    completeness,
    diff_translations,
    digest,
    from_xliff,
    location,
    source_texts,
    to_xliff,
    translate,
)

NS = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
# XML 1.0 NMTOKEN restricted to ASCII plus everything above U+00BF: enough to catch a space or a slash.
NMTOKEN = re.compile(r"[A-Za-z0-9:_.\-\u00b7\u00c0-\U000effff]+")


def tiny() -> Framework:
    return Framework(
        name="Maturity model",
        short_name="MM",
        description="A model for tests.",
        source="Written for the tests.",
        generic_levels=("Ad hoc", "Emerging", "Defined", "Managed", "Optimised"),
        glossary=(
            GlossaryTerm(term="Data reuse", definition="Using data again."),
            GlossaryTerm(term="Data-reuse", definition="Same words, other punctuation."),
            GlossaryTerm(term="Ζωή (life)", definition="A Greek term."),
        ),
        domains=(
            Domain(code="I", title="Governance", subdomains=(
                Subdomain(code="I.1", title="Strategy", indicators=(
                    Indicator(code="I.1.1", statement="There is a strategy.", guidance="Look for a document.",
                              levels=("None", "Draft", "Adopted", "Funded", "Reviewed")),
                    Indicator(code="I.1.2", statement="There is a budget.",
                              levels=("No budget", "Some", "Planned", "Secured", "Multi-year")),
                )),
            )),
        ),
    )


GERMAN = {
    "name": "Reifegradmodell",
    "description": "Ein Modell für Tests.",
    "generic_level.1": "Ad hoc",
    "glossary.data-reuse.term": "Datenweiternutzung",
    "glossary.data-reuse.definition": "Daten erneut nutzen.",
    "domain.I.title": "Steuerung",
    "subdomain.I.1.title": "Strategie",
    "indicator.I.1.1.statement": "Es gibt eine Strategie.",
    "indicator.I.1.1.guidance": "Nach einem Dokument suchen.",
    "indicator.I.1.1.level.3": "Beschlossen",
    "indicator.I.1.2.level.5": "Mehrjährig – „gesichert“",
}
GREEK_AND_SERBIAN = {
    "name": "Μοντέλο ωριμότητας",
    "glossary.ζωή-life.term": "Ζωή (ζωή)",
    "glossary.ζωή-life.definition": "Ένας ελληνικός όρος.",
    "domain.I.title": "Управљање",
    "indicator.I.1.1.statement": "Постоји стратегија.",
    "indicator.I.1.2.level.1": "Нема буџета",
}


def xliff(units: str, *, head: str = 'version="2.0" srcLang="en" trgLang="de"') -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff xmlns="{NS["x"]}" {head}>\n'
            f'<file id="f1">\n{units}\n</file>\n</xliff>\n').encode()


def unit(key: str, source: str, target: str) -> str:
    return f'<unit id="{key}"><segment><source>{source}</source><target>{target}</target></segment></unit>'


def export(fw: Framework, targets: dict[str, str] | None = None, **languages: str) -> bytes:
    languages = {"source_language": "en", "target_language": "de", **languages}
    return to_xliff(fw, targets=targets or {}, original="tiny.json", **languages)  # type: ignore[arg-type]


# Keys


def test_keys_cover_every_text_of_the_mlm_exactly_once(mlm: Framework) -> None:
    indicators = list(mlm.indicators())
    assert (len(mlm.domains), len(list(mlm.subdomains())), len(indicators), len(mlm.glossary)) == (8, 33, 49, 36)
    expected = [mlm.name, mlm.description, *mlm.generic_levels]
    expected += [text for entry in mlm.glossary for text in (entry.term, entry.definition)]
    expected += [d.title for d in mlm.domains] + [s.title for s in mlm.subdomains()]
    expected += [text for i in indicators for text in (i.statement, i.guidance, *i.levels) if text]
    guidance = sum(1 for i in indicators if i.guidance)
    texts = source_texts(mlm)
    assert len(texts) == 2 + 5 + 36 * 2 + 8 + 33 + 49 * 6 + guidance == len(expected)
    assert Counter(texts.values()) == Counter(expected)
    assert all(NMTOKEN.fullmatch(key) for key in texts)


def test_keys_follow_document_order_and_name_codes() -> None:
    keys = list(source_texts(tiny()))
    assert keys[:7] == ["name", "description", *(f"generic_level.{n}" for n in range(1, 6))]
    assert keys[7:13] == [
        "glossary.data-reuse.term", "glossary.data-reuse.definition",
        "glossary.data-reuse-2.term", "glossary.data-reuse-2.definition",
        "glossary.ζωή-life.term", "glossary.ζωή-life.definition",
    ]
    assert keys[13:17] == ["domain.I.title", "subdomain.I.1.title", "indicator.I.1.1.statement",
                           "indicator.I.1.1.guidance"]
    assert keys[-6:] == ["indicator.I.1.2.statement", *(f"indicator.I.1.2.level.{n}" for n in range(1, 6))]


def test_empty_texts_have_no_key() -> None:
    glossary = (GlossaryTerm(term="?!", definition="x"),)
    fw = dataclasses.replace(tiny(), description="", generic_levels=(), glossary=glossary)
    keys = source_texts(fw)
    assert "description" not in keys and "generic_level.1" not in keys and "indicator.I.1.2.guidance" not in keys
    assert "glossary.term.term" in keys  # a term without letters or digits still gets a slug


def test_locations_read_as_places_in_the_framework() -> None:
    fw = tiny()
    assert location("name") == "Framework name"
    assert location("generic_level.2") == "Generic level 2"
    assert location("glossary.ζωή-life.definition", fw) == "Glossary: Ζωή (life), definition"
    assert location("glossary.ζωή-life.term") == "Glossary: ζωή-life, term"
    assert location("domain.I.title") == "Domain I, title"
    assert location("subdomain.I.1.title") == "Subdomain I.1, title"
    assert location("indicator.I.1.1.level.3") == "Indicator I.1.1, level 3"
    assert location("indicator.I.1.1.guidance") == "Indicator I.1.1, guidance"
    with pytest.raises(ValueError, match="not a translation key"):
        location("domain.I.statement")


# translate and completeness


def test_translate_replaces_translated_texts_and_falls_back_to_the_source() -> None:
    fw = tiny()
    german = translate(fw, {**GERMAN, "indicator.I.1.2.statement": "   ", "unknown.key": "x"})
    indicator = german.domains[0].subdomains[0].indicators[0]
    assert german.name == "Reifegradmodell" and german.short_name == "MM" and german.source == fw.source
    assert german.glossary[0] == GlossaryTerm(term="Datenweiternutzung", definition="Daten erneut nutzen.")
    assert german.glossary[1] == fw.glossary[1]
    assert german.generic_levels[1:] == fw.generic_levels[1:]
    assert (indicator.statement, indicator.guidance) == ("Es gibt eine Strategie.", "Nach einem Dokument suchen.")
    assert indicator.levels == ("None", "Draft", "Beschlossen", "Funded", "Reviewed")
    assert german.domains[0].subdomains[0].indicators[1].statement == "There is a budget."  # blank target
    assert german.counts() == fw.counts()
    assert [d.code for d in german.domains] == ["I"] and german.find("I.1.2") is not None
    assert translate(fw, {}) == fw


def test_completeness_counts_translated_missing_and_unknown_keys() -> None:
    fw = tiny()
    total = len(source_texts(fw))
    result = completeness(fw, {**GERMAN, "domain.IX.title": "Neu", "indicator.I.1.2.level.1": ""})
    assert (result.total, result.translated) == (total, len(GERMAN))
    assert result.unknown == ("domain.IX.title",)
    assert "indicator.I.1.2.level.1" in result.missing and len(result.missing) == total - len(GERMAN)
    assert result.percent == len(GERMAN) * 100 // total
    assert completeness(fw, {}).percent == 0


def test_percent_is_100_only_when_nothing_is_missing(mlm: Framework) -> None:
    texts = source_texts(mlm)
    all_but_one = dict(list(texts.items())[1:])
    assert completeness(mlm, all_but_one).percent == 99
    assert completeness(mlm, texts).percent == 100 and completeness(mlm, texts).missing == ()


# XLIFF export and import


@pytest.mark.parametrize(
    ("language", "targets"), [("de", GERMAN), ("el", GREEK_AND_SERBIAN), ("sr-Cyrl", GREEK_AND_SERBIAN)]
)
def test_xliff_round_trip_gives_back_the_translation(language: str, targets: dict[str, str]) -> None:
    fw = tiny()
    imported = from_xliff(export(fw, targets, target_language=language), fw)
    assert (imported.source_language, imported.target_language) == ("en", language)
    assert imported.targets == targets and list(imported.targets) == [k for k in source_texts(fw) if k in targets]
    assert imported.problems == () and imported.stale == ()


def test_exported_file_is_xliff_2_with_a_location_note_per_unit() -> None:
    fw = tiny()
    root = ET.fromstring(export(fw, GERMAN))
    assert root.tag == "{urn:oasis:names:tc:xliff:document:2.0}xliff"
    assert (root.get("version"), root.get("srcLang"), root.get("trgLang")) == ("2.0", "en", "de")
    files = root.findall("x:file", NS)
    assert [(f.get("id"), f.get("original")) for f in files] == [("f1", "tiny.json")]
    units = root.findall(".//x:unit", NS)
    assert [u.get("id") for u in units] == list(source_texts(fw))
    by_id = {u.get("id"): u for u in units}
    level = by_id["indicator.I.1.1.level.3"]
    assert level.find("x:notes/x:note[@category='location']", NS).text == "Indicator I.1.1, level 3"
    assert level.find("x:segment", NS).get("state") == "translated"
    assert level.find("x:segment/x:source", NS).text == "Adopted"
    assert level.find("x:segment/x:target", NS).text == "Beschlossen"
    untranslated = by_id["indicator.I.1.2.statement"].find("x:segment", NS)
    assert untranslated.get("state") == "initial" and not untranslated.find("x:target", NS).text


def test_untranslated_export_imports_as_no_translation(mlm: Framework) -> None:
    imported = from_xliff(export(mlm, {}), mlm)
    assert imported.targets == {} and imported.problems == ()
    assert completeness(mlm, imported.targets).percent == 0


def test_special_characters_and_emoji_survive_the_round_trip() -> None:
    fw = dataclasses.replace(tiny(), name='Model <&> "quoted" \'single\' ]]> 🧬')
    targets = {
        "name": 'Modell <&> "zitiert" ]]> 🧬 👩🏽‍⚕️',
        "domain.I.title": "  leading\tand\r\ntrailing  \r",  # kept exactly: nothing is trimmed or normalised
    }
    data = to_xliff(fw, source_language="en", target_language="de", targets=targets, original='a "b" & <c>.json')
    assert ET.fromstring(data).find("x:file", NS).get("original") == 'a "b" & <c>.json'
    imported = from_xliff(data, fw)
    assert imported.targets == targets and imported.stale == ()


def test_export_refuses_characters_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match=r"translation of Indicator I\.1\.1, level 3 contains the character U\+0001"):
        export(tiny(), {"indicator.I.1.1.level.3": "bad\x01"})
    with pytest.raises(ValueError, match="source text of Framework name contains the character U\\+FFFF"):
        export(dataclasses.replace(tiny(), name="x\uffff"))
    for character in "\x00\x1b\ud800\ufffe":
        with pytest.raises(ValueError, match=f"U\\+{ord(character):04X}, which an XML file cannot carry"):
            export(tiny(), {"name": f"a{character}b"})


@pytest.mark.parametrize("tag", ["english", "e", "de_DE", "de-", "en US", "", "deu-DE-x"])
def test_export_refuses_what_is_not_a_language_tag(tag: str) -> None:
    with pytest.raises(ValueError, match="not a language tag: use a BCP 47 tag such as en, de, pt-PT or sr-Latn"):
        export(tiny(), target_language=tag)


@pytest.mark.parametrize("tag", ["de", "pt-PT", "sr-Latn", "sr-Latn-RS", "es-419", "de-CH-1996", "yue"])
def test_export_accepts_bcp_47_tags(tag: str) -> None:
    assert f'trgLang="{tag}"'.encode() in export(tiny(), target_language=tag)


def test_export_refuses_the_same_language_twice() -> None:
    with pytest.raises(ValueError, match="source and target language are both 'en'"):
        export(tiny(), target_language="EN")


def test_import_reports_a_unit_the_framework_does_not_have() -> None:
    data = xliff(unit("indicator.X.9.statement", "Gone.", "Weg.") + unit("name", "Maturity model", "Modell"))
    imported = from_xliff(data, tiny())
    assert imported.targets == {"name": "Modell"} and imported.unknown == ("indicator.X.9.statement",)
    assert imported.problems == ("unit 'indicator.X.9.statement' is not in this framework; it was ignored",)


def test_import_keeps_a_translation_whose_source_changed_but_reports_it_stale() -> None:
    old = tiny()
    data = export(old, GERMAN)
    new = dataclasses.replace(old, name="Maturity model, second edition")
    imported = from_xliff(data, new)
    assert imported.targets == GERMAN and imported.stale == ("name",)
    assert imported.problems == (
        "unit 'name': its source text differs from this version's (the framework changed since the file was "
        "exported); its translation was kept, please review it",
    )


def test_import_gives_the_source_each_target_was_translated_from() -> None:
    old = tiny()
    new = dataclasses.replace(old, name="Maturity model, second edition")
    imported = from_xliff(export(old, GERMAN), new)
    assert imported.sources["name"] == old.name and imported.sources["domain.I.title"] == "Governance"
    assert set(imported.sources) == set(imported.targets)
    assert digest(imported.sources["name"]) != digest(new.name) and len(digest("x")) == 64


def test_an_outdated_translation_is_exported_for_review_with_a_note() -> None:
    root = ET.fromstring(to_xliff(tiny(), source_language="en", target_language="de", targets=GERMAN,
                                  original="tiny.json", outdated={"name"}))
    units = {u.get("id"): u for u in root.iter(f"{{{NS['x']}}}unit")}
    name, domain = units["name"], units["domain.I.title"]
    assert name.find("x:segment", NS).get("state") == "initial"  # a translator's tool lists it as to do
    assert name.find("x:segment/x:target", NS).text == "Reifegradmodell"  # kept as a starting point
    assert [n.get("category") for n in name.iterfind("x:notes/x:note", NS)] == ["location", "review"]
    assert domain.find("x:segment", NS).get("state") == "translated"
    assert [n.get("category") for n in domain.iterfind("x:notes/x:note", NS)] == ["location"]


def test_import_joins_segments_and_reads_inline_codes_as_text() -> None:
    fw = tiny()
    data = xliff(
        '<unit id="indicator.I.1.1.statement">'
        "<segment><source>There is </source><target>Es gibt </target></segment>"
        "<ignorable><source> </source></ignorable>"
        '<segment><source>a strategy.</source><target><pc id="1">eine</pc> Strategie<ph id="2" equiv="."/>'
        "</target></segment></unit>"
        + unit("name", "Maturity model", "Reife<mrk id='m'>modell</mrk>")
    )
    imported = from_xliff(data, fw)
    assert imported.targets == {"name": "Reifemodell", "indicator.I.1.1.statement": "Es gibt  eine Strategie."}
    assert imported.stale == ("indicator.I.1.1.statement",)  # "There is  a strategy." ≠ the source


def test_import_accepts_a_byte_order_mark_and_xliff_2_1() -> None:
    data = xliff(unit("name", "Maturity model", "Modell"), head='version="2.1" srcLang="en" trgLang="fr"')
    assert from_xliff(b"\xef\xbb\xbf" + data, tiny()).targets == {"name": "Modell"}


def test_import_reports_repeated_units_and_units_without_id() -> None:
    data = xliff(unit("name", "Maturity model", "Eins") + "\n" + unit("name", "Maturity model", "Zwei")
                 + '\n<unit><segment><source>x</source></segment></unit>')
    imported = from_xliff(data, tiny())
    assert imported.targets == {"name": "Eins"}
    assert imported.problems == ("line 5: unit 'name' appears twice; the first one was used",
                                 "line 6: a unit without an id was ignored")


def test_import_ignores_a_target_with_a_control_character() -> None:
    imported = from_xliff(xliff(unit("name", "Maturity model", 'A<cp hex="0001"/>B')), tiny())
    assert imported.targets == {}
    assert imported.problems == (
        "unit 'name': it holds the character <cp hex='0001'/>, which a framework text cannot contain; "
        "its translation was ignored",
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="de">&lol3;</xliff>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "line 2: the file contains a DOCTYPE declaration; XLIFF files need none, and they are "
                         "refused because entity expansion can be used to attack the server"),
        (b'<?xml version="1.0"?>\n<x>\n<!ENTITY e SYSTEM "file:///etc/passwd"></x>',
         "line 3: the file contains an ENTITY declaration"),
        (b"<xliff>\n<file>\n</xliff>", "line 3: the file is not well-formed XML (mismatched tag)"),
        (b"Hello, this is a Word document", "line 1: the file is not well-formed XML (syntax error)"),
        (b"", "line 1: the file is not well-formed XML (no element found)"),
        (b"<xliff>\n\xff\xfe</xliff>", "line 2: the file is not UTF-8 text"),
        (xliff(unit("name", "a &nbsp; b", "x")), "line 4: the file is not well-formed XML (undefined entity)"),
        (b'<?xml version="1.0"?>\n<html><body/></html>',
         "line 2: this is not an XLIFF file: its root element is <html>, not <xliff>"),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file/></xliff>',
         "XLIFF 1.2 is not supported; export as XLIFF 2.0"),
        (b'<xliff version="2.0" srcLang="en" trgLang="de"/>',
         "this is not an XLIFF 2.0 file (version '2.0', namespace '')"),
        (xliff("", head='version="2.0" trgLang="de"'), "the <xliff> element has no srcLang (the source language)"),
        (xliff("", head='version="2.0" srcLang="en"'), "the <xliff> element has no trgLang (the target language)"),
        (xliff("", head='version="2.0" srcLang="en" trgLang="German"'),
         "the target language 'German' is not a language tag"),
        (xliff("", head='version="2.0" srcLang="de" trgLang="de"'), "the source and target language are both 'de'"),
    ],
)
def test_import_refuses_an_unusable_file_with_a_message(data: bytes, message: str) -> None:
    with pytest.raises(TranslationFileError) as raised:
        from_xliff(data, tiny())
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, ValueError)


def test_import_refuses_an_oversized_file_before_reading_it() -> None:
    with pytest.raises(TranslationFileError, match=r"^the file is 0\.1 MiB; the limit is 0\.05 MiB$"):
        from_xliff(b" " * 100_000, tiny(), max_bytes=52_428)


def test_import_refuses_too_many_units() -> None:
    data = xliff("\n".join(unit(f"u{n}", "s", "t") for n in range(4)))
    with pytest.raises(TranslationFileError, match=r"^line 7: the file has more than 3 units; split it$"):
        from_xliff(data, tiny(), max_units=3)


def test_default_size_limit_is_20_mib(mlm: Framework) -> None:
    with pytest.raises(TranslationFileError, match="the limit is 20 MiB"):
        from_xliff(b" " * (20 * 1024 * 1024 + 1), mlm)


# diff_translations


def test_diff_translations_reports_added_changed_and_removed_texts() -> None:
    old_fw = tiny()
    new_fw = dataclasses.replace(old_fw, domains=(dataclasses.replace(old_fw.domains[0], code="II"),))
    old = {"de": {"name": "Modell", "domain.I.title": "Steuerung", "description": "Alt"},
           "fr": {"name": "Modèle"}}
    new = {"de": {"name": "Reifegradmodell", "domain.II.title": "Steuerung", "description": "  "},
           "el": {"name": "Μοντέλο"}}
    changes = [(c.language, c.key, c.location, c.kind, c.before, c.after)
               for c in diff_translations(old_fw, old, new_fw, new)]
    assert changes == [
        ("de", "name", "Framework name", "changed", "Modell", "Reifegradmodell"),
        ("de", "description", "Framework description", "removed", "Alt", None),
        ("de", "domain.II.title", "Domain II, title", "added", None, "Steuerung"),
        ("de", "domain.I.title", "Domain I, title", "removed", "Steuerung", None),
        ("el", "name", "Framework name", "added", None, "Μοντέλο"),
        ("fr", "name", "Framework name", "removed", "Modèle", None),
    ]
    assert diff_translations(old_fw, old, old_fw, old) == []


# Property: export → import is the identity for any text XML can carry

_xml_characters = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
_alphabet = st.one_of(_xml_characters, st.sampled_from("\t\n\r \x7f\x85 &<>\"']"))  # C1 controls are XML 1.0
_texts = st.text(_alphabet, min_size=1, max_size=30).filter(str.strip)  # a blank target counts as none


@settings(max_examples=60, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(sorted(source_texts(tiny()))), _texts, max_size=8))
def test_export_then_import_is_the_identity_for_any_text(targets: dict[str, str]) -> None:
    fw = tiny()
    assert from_xliff(export(fw, targets), fw).targets == {k: targets[k] for k in source_texts(fw) if k in targets}
