"""The interface's languages: which one a request gets, its catalogues, and locale-aware formatting.

The language is the person's own setting, else the one they picked on the switcher (a cookie, for people who are
not logged in), else the browser's Accept-Language, else English. Catalogues are gettext .po files under
delphi/translations; their compiled .mo files are derived and rebuilt here when missing or older than the .po,
so a checkout never serves a stale catalogue.
"""
from __future__ import annotations

import os
import unicodedata
from datetime import date, datetime, timezone
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_percent, get_locale

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Each language named in itself, as the switcher shows it (a person looks for their own language's name).
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "pt": "Português"}
DEFAULT = "en"
COOKIE = "lang"

babel = Babel()


def supported(code: str | None) -> str | None:
    """The interface language for a code such as 'de', 'de-AT' or 'pt_BR', or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def select_locale() -> str:
    from flask_login import current_user

    if not has_request_context():  # the CLI, a job: the default
        return DEFAULT
    try:
        own = supported(getattr(current_user, "locale", None)) if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 — the user loader needs the database: its "unreachable" page still renders
        own = None
    if own:
        return own
    chosen = supported(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    # In the browser's order of preference, each tag by its language ('en-GB' is English): werkzeug's
    # best_match would prefer an exact 'de;q=0.9' over the first choice 'en-GB'.
    for tag, _quality in request.accept_languages:
        offered = supported(tag)
        if offered:
            return offered
    return DEFAULT


def current() -> str:
    """The language of this request ('en' outside one)."""
    return str(get_locale() or DEFAULT)


def in_language(text, language: str) -> str:
    """A lazy string (or any text) read in the given interface language."""
    from flask_babel import force_locale

    with force_locale(supported(language) or DEFAULT):
        return str(text)


def language_of(user) -> str:
    """The language to write to a person in (e-mails): their setting, else the default."""
    return supported(getattr(user, "locale", None)) or DEFAULT


def compile_catalogues(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile every .po whose .mo is missing or older; returns the .mo files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # two processes compiling at once never share a file
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        tmp.replace(mo)
        written.append(mo)
    return written


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def day(value: date | datetime | None, empty: str = "—") -> str:
    """A date as '02 Dec 2026', the month's abbreviation in the locale ('02 Dez. 2026', '02 dez. 2026')."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = _aware(value)
    return format_date(value, "dd MMM y")


def moment(value: datetime | None, empty: str = "—") -> str:
    """A date and time in UTC, '02 Dec 2026 14:05' (the platform shows UTC everywhere, and says so)."""
    if value is None:
        return empty
    return format_datetime(_aware(value), "dd MMM y HH:mm")


def clock(value: datetime | None, empty: str = "—") -> str:
    return format_datetime(_aware(value), "HH:mm") if value is not None else empty


def percent(value: float | None, digits: int = 0, empty: str = "n/a") -> str:
    """A share (0.45) as the locale writes a percentage: '45%' in English, '45 %' in German."""
    if value is None:
        return empty
    pattern = get_locale().percent_formats[None].pattern  # '#,##0%' in English, '#,##0\xa0%' in German
    if digits:
        pattern = pattern.replace("0%", "0." + "0" * digits + "%").replace("0\xa0%", "0." + "0" * digits + "\xa0%")
    return format_percent(value, pattern)


def number(value: float | None, digits: int = 2, empty: str = "n/a") -> str:
    """A statistic with a fixed number of decimals, in the locale's decimal sign (0.45 / 0,45)."""
    if value is None:
        return empty
    return format_decimal(value, "#,##0." + "0" * digits if digits else "#,##0")


def folded(text: str) -> tuple[str, str]:
    """A sort key with accents and case folded, so 'Česko' sorts with C and 'Österreich' with O, as readers of
    every European locale expect (no collation library is available; Babel has none)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    return bare.casefold(), text or ""


def locale_sorted(items, key=lambda x: x):
    return sorted(items, key=lambda item: folded(key(item)))


def init_app(app: Flask) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale)
    # {% trans %} blocks collapse their whitespace, so a msgid does not depend on the template's indentation.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    from delphi.labels import label
    from delphi.services.frameworks.translations import language_name

    for name, fn in (("day", day), ("moment", moment), ("clock", clock), ("percent", percent), ("number", number),
                     ("label", label), ("language_name", language_name)):
        app.add_template_filter(fn, name)

    @app.context_processor
    def _languages():
        return {"interface_languages": list(LANGUAGES.items()), "current_locale": current()}
