"""The password policy: long enough, varied enough, and not one of the passwords everyone tries first.

common-passwords.txt.gz is Django's list (django/contrib/auth/common-passwords.txt.gz, BSD licence): the 20,000
most common passwords compiled by Royce Williams, lowercased, 19,640 after de-duplication.
"""
from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from delphi.errors import InvalidInput

COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
_TAIL = re.compile(r"[\W\d_]+$")  # "iloveyou2024!" is "iloveyou" with a year and a bang


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    return frozenset(gzip.decompress(COMMON_PASSWORDS.read_bytes()).decode("utf-8").split())


def is_common(password: str) -> bool:
    """In the list as typed (any case), or once trailing digits and symbols are taken off."""
    plain = password.strip().lower()
    common = common_passwords()
    stem = _TAIL.sub("", plain)
    return plain in common or (len(stem) >= 6 and stem in common)


def check(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise InvalidInput(_("The password must have at least %(minimum)s characters.", minimum=minimum))
    if password.strip() == "" or len(set(password)) < 4:
        raise InvalidInput(_("The password is too simple: use a mix of different characters."))
    if is_common(password):
        raise InvalidInput(_("This password is too common: it is among the first that anyone guessing would try. "
                             "A few unrelated words make a strong one."))
