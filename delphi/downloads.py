"""File downloads with names in any language: an RFC 6266 Content-Disposition with an ASCII fallback and the real
name as `filename*=UTF-8''…` (RFC 8187), so a Czech, Greek or Cyrillic title neither breaks the header (which must
be Latin-1 on the wire) nor loses its name in the browser."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

_UNSAFE = re.compile(r'[^A-Za-z0-9._() -]+')


def ascii_fallback(filename: str) -> str:
    """The name in plain ASCII for old clients: accents dropped (č → c), other letters and quotes replaced."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = plain.rpartition(".")
    cleaned = _UNSAFE.sub("-", plain).strip(" -") or "download"
    if dot and not _UNSAFE.sub("", stem).strip(" -"):  # nothing left of the stem: keep at least the extension
        cleaned = f"download.{_UNSAFE.sub('', ext) or 'bin'}"
    return re.sub(r"-+\.", ".", re.sub(r"-{2,}", "-", cleaned))


def slugged(title: str, limit: int = 60, fallback: str = "untitled") -> str:
    """A title as part of a file name, letters of every script kept: 'Národní hodnocení 2026' →
    'národní-hodnocení-2026'."""
    safe = "".join(c if c.isalnum() else "-" for c in title.lower())
    return re.sub(r"-{2,}", "-", safe).strip("-")[:limit].strip("-") or fallback


def content_disposition(filename: str) -> str:
    fallback = ascii_fallback(filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(body: bytes | str, filename: str, mimetype: str, *, private: bool = True) -> Response:
    """A download response; private ones (everything behind a login) are never stored by a cache."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response
