"""Frameworks shipped with the package, as data files under framework/data/."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from .errors import FrameworkError
from .io import load
from .model import Framework

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SCHEMA_SUFFIX = ".schema.json"


def shipped_names() -> tuple[str, ...]:
    """Names accepted by load_shipped, such as "1plusmg-mlm"."""
    names = (
        entry.name.removesuffix(".json")
        for entry in files("framework").joinpath("data").iterdir()
        if entry.name.endswith(".json") and not entry.name.endswith(_SCHEMA_SUFFIX)
    )
    return tuple(sorted(names))


def data_path(name: str) -> Path:
    """Path of a shipped framework's JSON file (the package is installed as files, not zipped)."""
    if not _NAME.match(name) or name not in shipped_names():
        raise FrameworkError(f"{name}.json", "", f"no shipped framework named {name!r}")
    return Path(str(files("framework").joinpath("data", f"{name}.json")))


def load_shipped(name: str) -> Framework:
    path = data_path(name)
    return load(path.read_bytes(), "json", filename=path.name)
