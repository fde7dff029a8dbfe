"""Finds interface text that cannot be translated: literal words in templates outside {% trans %} / _(), and
literal messages handed to flash() or raised as a DomainError in Python. The tests call it per file, so a failure
names the file and the text."""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import i18n

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Text that reads the same in every language: symbols, units, abbreviations of statistics and file formats.
NEUTRAL = {
    "UTC", "IQR", "CSV", "XLSX", "PDF", "JSON", "XLIFF", "XML", "ZIP", "API", "URL", "DOI", "ORCID", "CSRF",
    "n", "N", "W", "κ", "α", "Kendall's", "Krippendorff's", "Delphi", "1+MG", "MLM", "YAML", "SQLite", "Q1", "Q3",
    "SD", "ID", "ok", "OK", "MIT", "of",
}
TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription"}
LETTERS = re.compile(r"[^\W\d_]{2,}")
PLACEHOLDER = "\u2063"  # what a {{ ... }} leaves in the HTML: not a letter


def _has_words(text: str) -> list[str]:
    words = [w for w in LETTERS.findall(text.replace(PLACEHOLDER, " "))]
    return [w for w in words if w not in NEUTRAL]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in TEXT_ATTRIBUTES or (name == "value" and values.get("type") in ("submit", "button"))
                          or (name == "content" and values.get("name") == "description")):
                if _has_words(value):
                    self.found.append(f'{name}="{value.strip()}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _has_words(data):
            self.found.append(data.strip())


_ENV = Environment(extensions=[i18n])
_GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l"}


def template_untranslated(path: Path) -> list[str]:
    """Literal words of one template that no translation covers."""
    source = path.read_text(encoding="utf-8")
    out: list[str] = []
    html: list[str] = []
    depth = 0          # inside {% trans %}
    in_var = in_block = False
    call_stack: list[bool] = []   # per open parenthesis: is it a gettext call
    previous_name = None
    for lineno, kind, value in _ENV.lex(source, str(path)):
        if kind == "block_begin":
            in_block = True
        elif kind == "block_end":
            in_block = False
        elif kind == "variable_begin":
            in_var = True
            html.append(PLACEHOLDER)
        elif kind == "variable_end":
            in_var = False
        elif kind == "name" and in_block and value == "trans":
            depth += 1
            html.append(PLACEHOLDER)
        elif kind == "name" and in_block and value == "endtrans":
            depth -= 1
        elif kind == "data":
            if not depth:
                html.append(value)
        elif kind == "operator" and value == "(":
            call_stack.append(previous_name in _GETTEXT_CALLS)
        elif kind == "operator" and value == ")":
            if call_stack:
                call_stack.pop()
        elif kind == "string" and (in_var or in_block) and not depth:
            value = value[1:-1]  # lex() gives the literal with its quotes
            if not any(call_stack) and " " in value.strip() and _has_words(value) and not _is_code(value):
                out.append(f"line {lineno}: '{value}'")
        previous_name = value if kind == "name" else None
    parser = _Text()
    parser.feed("".join(html))
    parser.close()
    return out + parser.found


def _css_classes() -> set[str]:
    names: set[str] = set()
    for css in (ROOT / "delphi" / "static").glob("*.css"):
        names.update(re.findall(r"\.([A-Za-z][\w-]*)", css.read_text(encoding="utf-8")))
    return names


CSS_CLASSES = _css_classes()


def _is_code(value: str) -> bool:
    """Strings in expressions that are not prose: CSS class lists, formats, URLs."""
    words = value.split()
    return all(w in CSS_CLASSES or not LETTERS.search(w) for w in words)


def python_untranslated(path: Path) -> list[str]:
    """flash() and DomainError-family raises in one module whose message is a literal, not a gettext call."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        first = node.args[0]
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str) or isinstance(first, ast.JoinedStr)
        if literal and (name == "flash" or name in USER_FACING_ERRORS):
            out.append(f"line {node.lineno}: {name}({ast.unparse(first)[:80]})")
    return out


# The exceptions whose message reaches the person as is (delphi.errors.DomainError and its family).
USER_FACING_ERRORS = {
    "DomainError", "NotAllowed", "InvalidInput", "AlreadyReleased", "AssessmentFinalised", "AnswerConflict",
    "ProtocolLocked", "StudyArchived", "RoundNotOpen", "SessionEnded", "NotOnPanel", "VersionImmutable",
}


def templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def interface_modules() -> list[Path]:
    """The Python that speaks to people: everything under delphi/ but the pure statistics library."""
    return sorted(p for p in (ROOT / "delphi").rglob("*.py") if "stats" not in p.relative_to(ROOT / "delphi").parts)
