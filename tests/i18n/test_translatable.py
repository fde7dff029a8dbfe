"""Every word of the interface can be translated: no literal text in a template outside {% trans %} or _(), no
literal message given to flash() or raised to a person. One test per file, so a failure names it."""
from __future__ import annotations

import pytest

from tests.i18n import scan


@pytest.mark.parametrize("path", scan.templates(), ids=lambda p: str(p.relative_to(scan.TEMPLATES)))
def test_template_text_is_translatable(path):
    found = scan.template_untranslated(path)
    assert not found, "untranslatable text (wrap it in {% trans %} or _()):\n" + "\n".join(found)


@pytest.mark.parametrize("path", scan.interface_modules(), ids=lambda p: str(p.relative_to(scan.ROOT)))
def test_python_messages_are_translatable(path):
    found = scan.python_untranslated(path)
    assert not found, "a literal message reaches people untranslated (use gettext):\n" + "\n".join(found)


def test_the_scanner_finds_literal_text(tmp_path):
    """The scanner itself: a test that could not fail would prove nothing."""
    page = tmp_path / "page.html"
    page.write_text('<p>Hello there</p><p>{{ _("Fine") }}</p><button title="Close the panel">{% trans %}Ok now'
                    '{% endtrans %}</button>{{ "a label" if x else "two words here" }}<div class="{{ \'muted small\' }}">',
                    encoding="utf-8")
    found = scan.template_untranslated(page)
    assert "Hello there" in found and 'title="Close the panel"' in found
    assert any("two words here" in f for f in found) and not any("Fine" in f or "Ok now" in f for f in found)
    assert not any("muted small" in f for f in found)
    module = tmp_path / "views.py"
    module.write_text('flash("Saved.")\nflash(_("Kept."))\nraise InvalidInput(f"No {x}")\n', encoding="utf-8")
    assert [f.split(":")[0] for f in scan.python_untranslated(module)] == ["line 1", "line 3"]
