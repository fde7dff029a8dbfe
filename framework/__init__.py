"""Maturity frameworks (such as the 1+MG MLM) as data: model, file formats, validation and diff.

Pure library: no Flask, no database. Everything a caller needs is importable from here.
"""

from .checks import MAX_GLOSSARY_TERMS, MAX_INDICATORS
from .convert import checksum, from_dict, to_dict
from .diff import Change, WordOp, diff
from .errors import FrameworkError
from .io import FORMATS, MAX_FILE_BYTES, dump, format_for, load, load_path
from .model import Counts, Domain, Framework, GlossaryTerm, Indicator, Subdomain
from .shipped import data_path, load_shipped, shipped_names

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_GLOSSARY_TERMS",
    "MAX_INDICATORS",
    "Change",
    "Counts",
    "Domain",
    "Framework",
    "FrameworkError",
    "GlossaryTerm",
    "Indicator",
    "Subdomain",
    "WordOp",
    "checksum",
    "data_path",
    "diff",
    "dump",
    "format_for",
    "from_dict",
    "load",
    "load_path",
    "load_shipped",
    "shipped_names",
    "to_dict",
]
