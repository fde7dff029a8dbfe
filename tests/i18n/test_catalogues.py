"""Each interface language's catalogue is complete: every string extracted from the templates and the Python is
translated, nothing fuzzy, and every translation keeps its placeholders (a dropped %(name)s would show a
different value, or raise). The extraction runs here, from the sources, not from a pot file that could be stale."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from delphi import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _method_map():
    return [("delphi/stats/**.py", "ignore"), ("delphi/**.py", "python"), ("templates/**.html", "jinja2")]


def _scanned(path: str) -> bool:
    """Every directory but hidden ones and caches: babel's default also skips names starting with "_", which
    would leave out templates/_macros (scripts/translations passes the same --ignore-dirs)."""
    name = Path(path).name
    return not name.startswith(".") and name != "__pycache__"


def extracted() -> dict[str, str | tuple[str, str]]:
    """msgid (or (singular, plural)) → where it was found."""
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), _method_map(), options_map={"templates/**.html": {"trimmed": "true", "newstyle_gettext": "true"}},
            keywords=KEYWORDS, directory_filter=_scanned):
        if filename.startswith(("tests/", ".venv/", "framework/", "bench/", "migrations/")):
            continue
        found[message] = filename
    return found


def catalogue(language: str):
    path = i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalogue for {language}: run scripts/translations init {language}"
    with path.open("rb") as f:
        return read_po(f, locale=language)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]


@pytest.fixture(scope="module")
def sources():
    return extracted()


def test_the_interface_has_strings_to_translate(sources):
    assert len(sources) > 300  # a broken extraction (wrong method map) would find nothing and pass everything


def test_every_template_directory_is_extracted_including_the_macros(sources):
    """templates/_macros holds the page scripts' strings (ui_strings.html): babel skips "_" directories unless told."""
    where = set(sources.values())
    assert "templates/_macros/ui_strings.html" in where, sorted(w for w in where if "_macros" in w)
    assert "Every item is rated: you can submit." in sources


def gaps(cat, sources) -> list[str]:
    """What keeps a catalogue from being complete, grouped by kind."""
    missing, untranslated, fuzzy, broken = [], [], [], []
    for message, where in sources.items():
        key = message[0] if isinstance(message, tuple) else message
        entry = cat.get(key)
        if entry is None:
            missing.append(f"{where}: {key!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            untranslated.append(f"{where}: {key!r}")
        elif entry.fuzzy:
            fuzzy.append(f"{where}: {key!r}")
        else:
            ids = message if isinstance(message, tuple) else (message,)
            wanted = _placeholders(ids[-1])
            for s in strings:
                names = _placeholders(s)
                # A plural form may leave the count implicit ("one expert"), never add or rename a value.
                if not set(names) <= set(wanted) or (len(ids) == 1 and names != wanted):
                    broken.append(f"{where}: {key!r} → {s!r}")
    report = []
    for title, rows in (("missing (run make translations)", missing), ("untranslated", untranslated),
                        ("fuzzy", fuzzy), ("placeholders differ", broken)):
        if rows:
            report.append(f"{len(rows)} {title}:\n  " + "\n  ".join(rows[:40]))
    return report


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete(language, sources):
    report = gaps(catalogue(language), sources)
    assert not report, f"the {language} catalogue is incomplete:\n" + "\n".join(report)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_compiles_and_is_current(language):
    """The app compiles .po → .mo itself when the .po is newer; the compiled catalogue then answers."""
    i18n.compile_catalogues()
    mo = i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime


def test_the_check_catches_a_gap():
    """The completeness check can fail: a missing, an empty, a fuzzy and a placeholder-dropping entry."""
    from babel.messages.catalog import Catalog

    sources = {"Saved.": "a.py", "Kept.": "a.py", "Old.": "a.py", "Round %(n)s": "b.html", "New.": "c.py"}
    cat = Catalog(locale="de")
    cat.add("Saved.", "Gespeichert.")
    cat.add("Kept.", "")
    cat.add("Old.", "Alt.", flags=["fuzzy"])
    cat.add("Round %(n)s", "Runde")
    report = "\n".join(gaps(cat, sources))
    assert "1 missing" in report and "'New.'" in report
    assert "1 untranslated" in report and "1 fuzzy" in report and "1 placeholders differ" in report
    whole = Catalog(locale="de")
    for msgid, msgstr in (("Saved.", "Gespeichert."), ("Kept.", "Behalten."), ("Old.", "Alt."),
                          ("Round %(n)s", "Runde %(n)s"), ("New.", "Neu.")):
        whole.add(msgid, msgstr)
    assert gaps(whole, sources) == []
