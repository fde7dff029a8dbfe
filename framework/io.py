"""Reading and writing framework files: one entry point per direction, the format named or inferred."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path, PurePath

from .checks import Checker
from .convert import from_dict, to_dict
from .csvfile import dump_csv, load_csv
from .documents import dump_json, dump_yaml, parse_json, parse_yaml
from .errors import FrameworkError
from .model import Framework
from .xlsxfile import dump_xlsx, load_xlsx

FORMATS = ("json", "yaml", "csv", "xlsx")
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Checked before parsing: a framework file is kilobytes, and parsing cost grows with size."""
EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}


def format_for(filename: str) -> str:
    """The format a file name's extension stands for, or FrameworkError."""
    extension = PurePath(filename).suffix.lower()
    if extension not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        shown = f"{extension!r}" if extension else "no extension"
        raise FrameworkError(filename, "", f"unknown file type ({shown}); expected one of {known}")
    return EXTENSIONS[extension]


def load(data: bytes, fmt: str, *, filename: str, name: str | None = None) -> Framework:
    """Parse and validate a whole file; raise FrameworkError at the first problem.

    `name` replaces the framework name; CSV files (and workbooks without one) otherwise take the
    file name without its extension.
    """
    if fmt not in FORMATS:
        raise FrameworkError(filename, "", f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    _check_size(len(data), filename)
    if fmt == "csv":
        return load_csv(data, filename=filename, name=name)
    if fmt == "xlsx":
        return load_xlsx(data, filename=filename, name=name)
    parse = parse_json if fmt == "json" else parse_yaml
    fw = from_dict(parse(data, filename), filename=filename)
    if name is not None:
        fw = dataclasses.replace(fw, name=Checker(filename).text(name, "", "framework name"))
    return fw


def load_path(path: str | os.PathLike[str], *, name: str | None = None) -> Framework:
    """Load a file, its format from the extension; errors name the file, not the directory."""
    path = Path(path)
    fmt = format_for(path.name)
    _check_size(path.stat().st_size, path.name)
    with path.open("rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    return load(data, fmt, filename=path.name, name=name)


def _check_size(size: int, filename: str) -> None:
    if size > MAX_FILE_BYTES:
        raise FrameworkError(
            filename, "", f"the file is {size / 2**20:.1f} MiB; the limit is {MAX_FILE_BYTES / 2**20:g} MiB"
        )


_DUMPERS: dict[str, Callable[[Framework], bytes]] = {
    "json": lambda fw: dump_json(to_dict(fw)),
    "yaml": lambda fw: dump_yaml(to_dict(fw)),
    "csv": dump_csv,
    "xlsx": dump_xlsx,
}


def dump(fw: Framework, fmt: str) -> bytes:
    """The file content in `fmt`; CSV keeps only the indicator table (see docs/FRAMEWORK_FORMATS.md)."""
    if fmt not in _DUMPERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _DUMPERS[fmt](fw)
