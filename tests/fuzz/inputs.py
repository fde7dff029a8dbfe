"""Hypothesis strategies for malformed files: random bytes, damaged valid files, and well-formed files with
wrong content (bad JSON shapes, bad CSV rows, workbooks with numbers, dates, formulas and errors in cells).
This module holds no tests."""
from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from datetime import date, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import framework
from framework import Domain, Framework, GlossaryTerm, Indicator, Subdomain

# database=None: no .hypothesis directory in the working tree; deadline=None: the first example pays imports.
# FUZZ_EXAMPLES=2000 runs a longer campaign locally; the suite keeps it short.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
WEB = settings(FUZZ, max_examples=max(1, FUZZ.max_examples // 4))

TINY = Framework(
    name="Tiny", short_name="T", description="d", source="s", generic_levels=("a", "b", "c", "d", "e"),
    glossary=(GlossaryTerm(term="Genome", definition="All the DNA."),),
    domains=(Domain(code="A", title="Domain A", subdomains=(Subdomain(code="A.1", title="Sub A.1", indicators=(
        Indicator(code="A.1.1", statement="First.", levels=("l1", "l2", "l3", "l4", "l5"), guidance="g"),
        Indicator(code="A.1.2", statement="Second.", levels=("m1", "m2", "m3", "m4", "m5")))),)),))
VALID = {fmt: framework.dump(TINY, fmt) for fmt in framework.FORMATS}

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4), max_leaves=20)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """A valid file with a few random cuts, flips, insertions and deletions."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("truncate", "flip", "insert", "delete")))
        at = draw(st.integers(0, max(0, len(out) - 1)))
        if kind == "truncate":
            del out[at:]
        elif kind == "flip" and out:
            out[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif out:
            del out[at:at + draw(st.integers(1, 16))]
    return bytes(out)


def _document() -> dict:
    return framework.to_dict(TINY)


@st.composite
def wrong_documents(draw: st.DrawFn) -> dict | list | str | int | None:
    """The valid document with one node replaced by a random JSON value, a key dropped, or a random value."""
    if draw(st.booleans()):
        return draw(json_values)
    doc = _document()
    paths: list[tuple] = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))

    walk(doc, ())
    path = draw(st.sampled_from(paths[1:]))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return doc


def json_files() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=500), damaged(VALID["json"]),
        wrong_documents().map(lambda d: json.dumps(d).encode()),
        texts.map(str.encode))


def yaml_files() -> st.SearchStrategy[bytes]:
    import yaml

    return st.one_of(
        st.binary(max_size=500), damaged(VALID["yaml"]),
        wrong_documents().map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode()),
        st.sampled_from([b"a: &x [1]\nb: *x\n", b"!!python/object:os.system ls\n", b"- !!binary AAAA\n",
                         b"name: Tiny\nname: Other\n", b"? [a, b]\n: c\n", b"%YAML 9.9\n---\n", b"\t- a\n",
                         b"domains: !!set {a}\n", b"name: 2001-01-01\n", b"{" * 3000]),
        texts.map(str.encode))


@st.composite
def wrong_tables(draw: st.DrawFn) -> list[list[object]]:
    """The indicator table with random cells replaced, rows dropped or duplicated, columns renamed."""
    rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(VALID["csv"].decode()))]
    cell = st.one_of(texts, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                     st.dates(), st.just(None), st.sampled_from(["=1+1", "=SUM(A1:A2)", "#N/A", "", " ", "A.1"]))
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(("cell", "header", "drop", "dup", "widen")))
        r = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if not rows:
            break
        if kind == "cell":
            c = draw(st.integers(0, max(0, len(rows[r]) - 1)))
            if rows[r]:
                rows[r][c] = draw(cell)
        elif kind == "header" and rows[0]:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(texts)
        elif kind == "drop":
            del rows[r]
        elif kind == "dup":
            rows.insert(r, list(rows[r]))
        else:
            rows[r].append(draw(cell))
    return rows


def _csv_bytes(rows: list[list[object]], delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode()


def csv_files() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=500), damaged(VALID["csv"]),
        st.builds(_csv_bytes, wrong_tables(), st.sampled_from([",", ";", "\t"])),
        st.sampled_from([b"\x00" * 10, VALID["csv"].replace(b",", b"\x00", 3), b'"' * 50,
                         VALID["csv"][:200] + b'"unterminated', VALID["csv"] + b"x" * 200_000,
                         b"\xef\xbb\xbf", b"\n\n\n", VALID["csv"].decode().encode("utf-16")]),
        texts.map(str.encode))


def _workbook(rows: list[list[object]], extra: list[tuple[str, list[list[object]]]]) -> bytes:
    from openpyxl import Workbook

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(v: object) -> object:  # what a spreadsheet program can store
        if isinstance(v, str):
            return ILLEGAL_CHARACTERS_RE.sub("", v)
        if isinstance(v, date) and not isinstance(v, datetime):
            return datetime(v.year, v.month, v.day)
        return v

    wb = Workbook()
    ws = wb.active
    ws.title = "indicators"
    for row in rows:
        ws.append([cell(v) for v in row])
    for title, sheet_rows in extra:
        sheet = wb.create_sheet(title)
        for row in sheet_rows:
            sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rezip(data: bytes, member_index: int, new: bytes) -> bytes:
    """The same XLSX package with one member's content replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for i, info in enumerate(source.infolist()):
            target.writestr(info, new if i == member_index else source.read(info))
    return out.getvalue()


@st.composite
def damaged_members(draw: st.DrawFn) -> bytes:
    """A readable zip whose XML inside is damaged: reaches openpyxl's parser, not just the zip reader."""
    names = zipfile.ZipFile(io.BytesIO(VALID["xlsx"])).infolist()
    index = draw(st.integers(0, len(names) - 1))
    original = zipfile.ZipFile(io.BytesIO(VALID["xlsx"])).read(names[index])
    return _rezip(VALID["xlsx"], index, draw(damaged(original)))


def xlsx_files() -> st.SearchStrategy[bytes]:
    metadata = st.lists(st.lists(st.one_of(texts, st.integers(), st.sampled_from(["name", "key", "value"])),
                                 max_size=3), max_size=4)
    return st.one_of(
        st.binary(max_size=500), damaged(VALID["xlsx"]), damaged_members(),
        st.builds(_workbook, wrong_tables(),
                  st.lists(st.tuples(st.sampled_from(["framework", "glossary", "other"]), metadata), max_size=2,
                           unique_by=lambda t: t[0])),
        st.sampled_from([b"PK\x03\x04", b"PK\x05\x06" + b"\x00" * 18, VALID["csv"]]))


FILES = {"json": json_files, "yaml": yaml_files, "csv": csv_files, "xlsx": xlsx_files}


def png() -> bytes:
    """A real (tiny) PNG: a picture uploaded under a spreadsheet's name."""
    import base64

    return base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAA"
                            "BJRU5ErkJggg==")


# --- ratings tables (delphi analyse, delphi.stats.read_ratings) ------------------------------------------------

RATINGS_CSV = ("round,item,panelist,rating,question,comment,group\n"
               + "".join(f"{r},I.{i},E{p:02d},{1 + (i + p + r) % 5},agreement,,{'ab'[p % 2]}\n"
                         for r in (1, 2) for i in range(1, 4) for p in range(1, 5))).encode()


@st.composite
def wrong_ratings(draw: st.DrawFn) -> list[list[object]]:
    rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(RATINGS_CSV.decode()))]
    cell = st.one_of(texts, st.integers(-3, 10**12), st.floats(allow_nan=True), st.booleans(), st.just(""),
                     st.sampled_from(["NA", "-", "=1+1", "3.5", "1e309", "0x10", " 4 ", "round", "nan"]))
    for _ in range(draw(st.integers(1, 6))):
        r = draw(st.integers(0, len(rows) - 1))
        kind = draw(st.sampled_from(("cell", "cell", "header", "drop", "widen", "narrow")))
        if kind == "cell":
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(cell)
        elif kind == "header":
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(texts)
        elif kind == "drop" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif kind == "widen":
            rows[r].append(draw(cell))
        elif rows[r]:
            rows[r].pop()
    return rows


def ratings_csv_files() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=300), damaged(RATINGS_CSV),
                     st.builds(_csv_bytes, wrong_ratings(), st.sampled_from([",", ";", "\t"])),
                     st.sampled_from([b"\x00", b"round,item,panelist,rating\n\x00,1,2,3\n", b'"', b"\xef\xbb\xbf",
                                      b"round;item;panelist;rating\n1;a;b;\n", png()]))


def ratings_xlsx_files() -> st.SearchStrategy[bytes]:
    def book(rows: list[list[object]]) -> bytes:
        return _workbook(rows, [])

    valid = book([list(r) for r in csv.reader(io.StringIO(RATINGS_CSV.decode()))])
    return st.one_of(st.binary(max_size=300), damaged(valid), st.builds(book, wrong_ratings()), st.just(png()))


# --- panel CSV (organiser's upload) ------------------------------------------------------------------------------

PANEL_CSV = b"email,name,stakeholder_group,country,expertise\nann@example.org,Ann,clinician,PT,genomics\n"


@st.composite
def wrong_panels(draw: st.DrawFn) -> list[list[object]]:
    rows: list[list[object]] = [["email", "name", "stakeholder_group", "country", "expertise"]]
    for _ in range(draw(st.integers(0, 4))):
        rows.append([draw(st.one_of(texts, st.sampled_from(["a@b.example", "x@", "", "=1+1", "<b>x</b>"])))
                     for _ in range(draw(st.integers(0, 7)))])
    if draw(st.booleans()):
        rows[0][draw(st.integers(0, 4))] = draw(texts)
    return rows


def panel_files() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=300), damaged(PANEL_CSV),
                     st.builds(_csv_bytes, wrong_panels(), st.sampled_from([",", ";"])),
                     st.sampled_from([b"email,name\n\x00a@b.example,Ann\n", b"email,name\n" + b"x" * 200_000 + b"\n",
                                      b'email,name\n"a@b.example,Ann\n', PANEL_CSV.decode().encode("utf-16"),
                                      png(), b"\xef\xbb\xbf"]))
