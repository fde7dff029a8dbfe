"""File downloads with names in any language: an RFC 6266 Content-Disposition with an ASCII fallback and the real
name as `filename*=UTF-8''…` (RFC 8187), so a Czech, Greek or Cyrillic title neither breaks the header (which must
be Latin-1 on the wire) nor loses its name in the browser.

Every CSV download starts with a UTF-8 byte-order mark, so Excel opens Czech, Greek or Cyrillic text correctly;
`?bom=0` gives plain UTF-8 for scripts. The platform's own readers (delphi analyse, the framework import) accept
either. CSVs inside the data package ZIP stay plain UTF-8: they are for re-analysis."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response, has_request_context, request

BOM = "\ufeff".encode("utf-8")
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
    if mimetype.startswith("text/csv"):
        body = with_bom(body)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def with_bom(body: bytes | str) -> bytes:
    """UTF-8 with a byte-order mark (Excel's cue for UTF-8), unless the request asks for ?bom=0."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    plain = data[len(BOM):] if data.startswith(BOM) else data
    if has_request_context() and request.args.get("bom") == "0":
        return plain
    return BOM + plain
