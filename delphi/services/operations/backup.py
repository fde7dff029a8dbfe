"""Backup and restore of the whole database as a ZIP of JSON files (the format is docs/BACKUP.md).

`dump()` reads every table in one read-only transaction (REPEATABLE READ on PostgreSQL, one read transaction
on SQLite), so the file is a consistent snapshot even while people use the platform. `restore()` loads such a
file into an empty database migrated to the same schema revision, in one transaction: either everything is
restored or nothing is.

Two kinds of rows are guarded by triggers (migrations 0002 and 0004): the content of a released framework
version and of a finalised assessment cannot be inserted. Restore therefore inserts those versions as drafts
and those assessments as in progress, inserts their content, and only then sets the stored status — the
triggers allow draft → released and in progress → finalised. Columns that point to a row of their own table
(a version's parent, a merged item) are filled in after all rows exist.

Unlike the other services this one works on whole tables through its own connection and commits itself:
it is the database's custodian, not a step of a request.
"""
from __future__ import annotations

import enum
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import JSON, Column, Table, bindparam, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from delphi import jsonsafe
from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db

FORMAT = "delphi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
# Checked on the members' headers before anything is inflated (zipfile returns no more than a member's declared
# size, so a lying header only truncates it and its checksum fails). Real tables deflate 5-20 times, a bomb 1000.
MAX_MANIFEST_BYTES, MAX_TABLE_BYTES, MAX_BACKUP_BYTES = 2**20, 2**30, 4 * 2**30  # unpacked
MAX_COMPRESSION_RATIO, CHUNK = 100, 2**20  # the ratio applies to members over one CHUNK

# Restored first with these values, then set to the stored ones (the triggers allow exactly this direction).
STAGED: dict[str, dict[str, Any]] = {
    "framework_versions": {"status": "draft"},
    "assessments": {"status": "in_progress", "finalised_at": None},
}


class BackupRefused(InvalidInput):
    """The backup or restore cannot be done; the message says why, in one line."""


@dataclass(frozen=True)
class Summary:
    path: Path
    schema_revision: str
    created_at: str
    tables: int
    rows: int


# --- schema revision ---------------------------------------------------------------------------------------------

def code_revision() -> str:
    """The newest migration of this code (alembic head)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    directory = current_app.extensions["migrate"].directory
    return ScriptDirectory(directory).get_current_head()


def database_revision(conn) -> str | None:
    """The revision the database is migrated to, or None when it has never been migrated."""
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _check_revision(conn, what: str) -> str:
    revision, head = database_revision(conn), code_revision()
    if revision is None:
        raise BackupRefused(f"The {what} database has no schema yet; run `flask db upgrade` first.")
    if revision != head:
        raise BackupRefused(f"The {what} database is at schema revision {revision} but this code expects {head}; "
                            "run `flask db upgrade` first.")
    return revision


# --- values in and out of JSON -----------------------------------------------------------------------------------

def _python_type(column: Column) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime: a DateTime underneath
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _encoder(column: Column) -> Callable[[Any], Any]:
    kind = _python_type(column)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        to_db = dict(zip(column.type.enum_class, column.type.enums))
        return lambda v: None if v is None else to_db[v]
    if kind in (datetime, date):
        return lambda v: None if v is None else v.isoformat()
    return lambda v: v


def _decoder(column: Column) -> Callable[[Any], Any]:
    kind = _python_type(column)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        from_db = dict(zip(column.type.enums, column.type.enum_class))
        return lambda v: None if v is None else from_db[v]
    if kind is datetime:
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind is date:
        return lambda v: None if v is None else date.fromisoformat(v)
    return lambda v: v


# Derived data, rebuilt from the rest on the first download (services/operations/outputs.py): not backed up.
DERIVED = frozenset({"prepared_outputs"})


def _tables() -> list[Table]:
    """Every table of the models but the derived ones, parents before children (the order of the dump and of
    the restore)."""
    return [t for t in db.metadata.sorted_tables if t.name not in DERIVED]


# --- backup ------------------------------------------------------------------------------------------------------

def _snapshot_connection():
    """A connection whose reads all see one moment of the database."""
    conn = db.engine.connect()
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True), \
            "REPEATABLE READ, READ ONLY"
    if conn.dialect.name == "sqlite":
        # pysqlite starts transactions only before writes; a BEGIN makes every SELECT below read one snapshot.
        conn.exec_driver_sql("BEGIN")
        return conn, "one SQLite read transaction"
    return conn, "one transaction"


def dump(target: str | os.PathLike[str]) -> Summary:
    """Write the whole database to a new ZIP file at target (refused if it exists); returns what was written."""
    path = Path(target)
    if path.exists():
        raise BackupRefused(f"{path} already exists; choose a new file name (backups are never overwritten).")
    partial = path.with_name(path.name + ".partial")
    db.session.remove()
    conn, isolation = _snapshot_connection()
    try:
        revision = _check_revision(conn, "source")
        manifest: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": utcnow().isoformat(),
            "schema_revision": revision, "database": conn.dialect.name, "isolation": isolation,
            "app_version": _app_version(), "tables": []}
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for number, table in enumerate(_tables(), start=1):
                name = f"tables/{number:02d}-{table.name}.json"
                rows, digest = _write_table(conn, table, archive, name)
                manifest["tables"].append({"name": table.name, "file": name, "rows": rows, "sha256": digest})
            manifest["total_rows"] = sum(t["rows"] for t in manifest["tables"])
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    except OSError as exc:  # no such directory, disk full, no permission
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"cannot write {path}: {exc.strerror or exc}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        conn.rollback()
        conn.close()
    os.replace(partial, path)
    return Summary(path, revision, manifest["created_at"], len(manifest["tables"]), manifest["total_rows"])


def _write_table(conn, table: Table, archive: zipfile.ZipFile, name: str) -> tuple[int, str]:
    """Stream one table as {"table", "columns", "rows": [[...], ...]}, one row per line; returns (rows, sha256)."""
    columns = list(table.columns)
    encoders = [_encoder(c) for c in columns]
    digest = hashlib.sha256()
    count = 0
    with archive.open(name, "w", force_zip64=True) as raw:
        def write(chunk: str) -> None:
            data = chunk.encode("utf-8")
            digest.update(data)
            raw.write(data)

        write(json.dumps({"table": table.name, "columns": [c.name for c in columns]})[:-1] + ', "rows": [')
        result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*table.primary_key.columns))
        for row in result:
            write(("\n" if count == 0 else ",\n") + json.dumps([enc(v) for enc, v in zip(encoders, row)],
                                                              ensure_ascii=False))
            count += 1
        write("\n]}\n")
    return count, digest.hexdigest()


def _app_version() -> str:
    from delphi.version import __version__

    return __version__


# --- restore -----------------------------------------------------------------------------------------------------

def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = jsonsafe.loads(archive.read(MANIFEST), max_bytes=MAX_MANIFEST_BYTES)
    except KeyError:
        raise BackupRefused(f"not a Delphi backup: the file has no {MANIFEST}.") from None
    except ValueError as exc:
        raise BackupRefused(f"the backup's {MANIFEST} is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"not a Delphi backup: {MANIFEST} does not say format \"{FORMAT}\".")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(f"backup format version {manifest.get('format_version')} is not supported "
                            f"(this code reads version {FORMAT_VERSION}).")
    return manifest


def _open(source: str | os.PathLike[str]) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupRefused(f"{source}: no such file.") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupRefused(f"{source}: not a readable ZIP file ({exc}).") from None
    try:
        check_sizes(archive)
        return archive
    except BackupRefused:
        archive.close()
        raise


def check_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse, from the members' headers alone, a backup that would unpack to too much (a zip bomb)."""
    total = 0
    for info in archive.infolist():
        name, size = info.filename, info.file_size
        total += size
        limit = MAX_MANIFEST_BYTES if name == MANIFEST else MAX_TABLE_BYTES
        if size > limit:
            raise BackupRefused(f"{name} unpacks to {size / 2**20:.0f} MiB, more than the {limit / 2**20:.0f} MiB "
                                "a backup member may hold; nothing was restored.")
        if size > CHUNK and size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise BackupRefused(f"{name} has a compression ratio of {size // max(info.compress_size, 1)}:1 "
                                f"(a backup's tables compress at most {MAX_COMPRESSION_RATIO}:1): not a backup "
                                "this platform wrote; nothing was restored.")
    if total > MAX_BACKUP_BYTES:
        raise BackupRefused(f"the backup unpacks to {total / 2**30:.1f} GiB, more than {MAX_BACKUP_BYTES / 2**30:.0f} "
                            "GiB; nothing was restored.")


def _digest(archive: zipfile.ZipFile, name: str) -> str:
    """The SHA-256 of a member, streamed in chunks (nothing of it is kept)."""
    digest = hashlib.sha256()
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
    except KeyError:
        raise BackupRefused(f"the backup has no {name} (listed in {MANIFEST}).") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a bad CRC, a truncated or damaged member
        raise BackupRefused(f"{name} is damaged ({exc}); nothing was restored.") from None
    return digest.hexdigest()


def _load_tables(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> list[tuple[Table, list[list[Any]]]]:
    """Every table's rows, checked against the manifest and the models before anything is written."""
    tables = {t.name: t for t in _tables()}
    listed = [entry.get("name") for entry in manifest.get("tables", [])]
    if sorted(listed) != sorted(tables):
        missing, unknown = sorted(set(tables) - set(listed)), sorted(set(listed) - set(tables))
        raise BackupRefused(f"the backup's tables do not match this schema (missing {missing or 'none'}, "
                            f"unknown {unknown or 'none'}).")
    for entry in manifest["tables"]:  # every checksum first, streamed: nothing is parsed from a damaged file
        if not isinstance(entry.get("file"), str) or _digest(archive, entry["file"]) != entry.get("sha256"):
            raise BackupRefused(f"{entry.get('file')} is damaged: its SHA-256 differs from the manifest's.")
    loaded = []
    for entry in manifest["tables"]:
        table = tables[entry["name"]]
        try:
            document = json.loads(archive.read(entry["file"]))
        except (ValueError, RecursionError) as exc:
            raise BackupRefused(f"{entry['file']} is not a table's JSON ({type(exc).__name__}); nothing was "
                                "restored.") from None
        if not isinstance(document, dict):
            raise BackupRefused(f"{entry['file']} is not a table's JSON; nothing was restored.")
        columns = [c.name for c in table.columns]
        if document.get("columns") != columns:
            raise BackupRefused(f"{entry['file']}: the columns {document.get('columns')} are not those of "
                                f"table {table.name} ({columns}).")
        rows = document.get("rows") or []
        if len(rows) != entry.get("rows"):
            raise BackupRefused(f"{entry['file']}: {len(rows)} rows, the manifest says {entry.get('rows')}.")
        loaded.append((table, rows))
    return loaded


def _non_empty(conn) -> list[str]:
    return [f"{t.name} ({n} rows)" for t in _tables()
            if (n := conn.scalar(select(func.count()).select_from(t)))]


def restore(source: str | os.PathLike[str]) -> Summary:
    """Load a backup into this (empty, migrated) database; nothing is written unless all of it can be."""
    archive = _open(source)
    with archive:
        manifest = read_manifest(archive)
        db.session.remove()
        with db.engine.connect() as conn:
            revision = _check_revision(conn, "target")
            if manifest.get("schema_revision") != revision:
                raise BackupRefused(f"the backup was made at schema revision {manifest.get('schema_revision')}, "
                                    f"this database is at {revision}; restore it with the code of that revision "
                                    "(or into a database at that revision), then upgrade.")
            occupied = _non_empty(conn)
            if occupied:
                raise BackupRefused("the database is not empty (" + ", ".join(occupied[:3])
                                    + (", …" if len(occupied) > 3 else "") + "); restore only into a new, "
                                    "empty database created with `flask db upgrade`.")
        loaded = _load_tables(archive, manifest)
    try:
        with db.engine.begin() as conn:
            _insert_all(conn, loaded)
    except DBAPIError as exc:  # a row the schema refuses (a hand-edited file): the transaction rolled back
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        raise BackupRefused(f"the database refused the backup's data ({reason}); nothing was restored.") from None
    return Summary(Path(source), revision, manifest.get("created_at", ""), len(loaded),
                   sum(len(rows) for _, rows in loaded))


def _insert_all(conn, loaded: list[tuple[Table, list[list[Any]]]]) -> None:
    position = {table.name: i for i, (table, _) in enumerate(loaded)}
    later_fixes: list[tuple[Table, list[str], list[dict[str, Any]]]] = []
    for table, rows in loaded:
        names = [c.name for c in table.columns]
        decoders = [_decoder(c) for c in table.columns]
        # A foreign key to this table (or to one restored later) is filled in once every row exists.
        deferred = sorted({fk.parent.name for fk in table.foreign_keys
                           if position.get(fk.column.table.name, -1) >= position[table.name]})
        staged = STAGED.get(table.name, {})
        fixed = [*deferred, *staged]
        stamped = [c.name for c in table.columns if c.onupdate is not None]  # Core UPDATE would restamp them
        records, fixes = [], []
        for raw in rows:
            record = {name: decode(value) for name, decode, value in zip(names, decoders, raw)}
            if any(record[name] is not None for name in deferred) or any(
                    record[name] != value for name, value in staged.items()):
                fixes.append({"_pk": record["id"], **{name: record[name] for name in (*fixed, *stamped)}})
            records.append({**record, **{name: None for name in deferred}, **_staged_values(table, staged)})
        statement = insert(table).values({c.name: bindparam(c.name, type_=_bind_type(c)) for c in table.columns})
        for start in range(0, len(records), BATCH):
            conn.execute(statement, records[start:start + BATCH])
        if fixes:
            later_fixes.append((table, list(dict.fromkeys([*fixed, *stamped])), fixes))
    for table, columns, fixes in later_fixes:
        statement = (update(table).where(table.c.id == bindparam("_pk"))
                     .values({name: bindparam(name, type_=_bind_type(table.c[name])) for name in columns}))
        conn.execute(statement, fixes)
    if conn.dialect.name == "postgresql":
        for table, _ in loaded:
            if "id" in table.c:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                  f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))


def _staged_values(table: Table, staged: dict[str, Any]) -> dict[str, Any]:
    return {name: _decoder(table.c[name])(value) for name, value in staged.items()}


def _bind_type(column: Column):
    """SQL NULL for a missing JSON value (the default would store the JSON text 'null')."""
    if isinstance(column.type, JSON):
        return JSON(none_as_null=True)
    return column.type


def table_counts() -> dict[str, int]:
    """Rows per table (for the CLI's report and the tests)."""
    with db.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in _tables()}


def describe(source: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a backup file (checked to be one)."""
    with _open(source) as archive:
        return read_manifest(archive)

