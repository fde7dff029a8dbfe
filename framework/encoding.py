"""Bytes to text for the text formats: UTF-8 only, with the error a person can act on."""

from __future__ import annotations

from .errors import FrameworkError


def decode_utf8(data: bytes, filename: str) -> str:
    """Decode UTF-8, accepting the byte-order mark that Excel and Notepad put on saved files."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FrameworkError(
            filename,
            f"line {line}",
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it again with UTF-8 encoding",
        ) from None
