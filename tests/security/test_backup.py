"""`flask delphi backup` and `flask delphi restore`: a consistent copy of every table that, loaded into an empty
database (a second SQLite file, or a second PostgreSQL database), gives the same rows and the same reports —
including released framework versions and finalised assessments, whose content the database guards."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig
from tests.security import world as W
from tests.security.test_access_sweep import client_for


def _second_url(url: str, tmp_path: Path) -> tuple[str, str | None]:
    """A URL for a second, empty database next to the test database (and the PG database name to drop)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite'}", None
    base, name = url.rsplit("/", 1)
    name = name.split("?", 1)[0] + "_restored"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}", name


@pytest.fixture
def second_app(app, tmp_path):
    """Another app on a new database migrated to head: where a backup is restored."""
    from flask_migrate import upgrade

    from delphi import create_app
    from delphi.extensions import db

    url, pg_name = _second_url(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)

    class Restored(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    restored = create_app(Restored)
    restored.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    with restored.app_context():
        upgrade()
    yield restored
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()
    if pg_name:
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()


def _world_with_two_closed_rounds(app) -> W.World:
    from delphi.extensions import db
    from delphi.models import Round
    from delphi.services.accounts import users
    from delphi.services.studies import rounds

    w = W.build(app, finalise_assessment=True, comment="Clear enough.")
    with app.app_context():
        rounds.close(db.session.get(Round, w.round_a2), by=users.find_by_email(W.ORGANISER_A))
        db.session.commit()
    return w


def _pages(app, w: W.World) -> dict[str, str]:
    """The reports a restore must reproduce, as the organiser, the assessor and the public see them."""
    organiser, assessor, public = (client_for(app, W.ORGANISER_A, 31), client_for(app, W.ASSESSOR_A, 32),
                                   client_for(app, "anon", 33))
    urls = [(organiser, f"/organiser/studies/{w.study_a}/report"), (organiser, f"/organiser/rounds/{w.round_a1}"),
            (organiser, f"/organiser/rounds/{w.round_a2}"), (organiser, f"/organiser/studies/{w.study_a}/flow"),
            (public, f"/studies/{w.study_b}/report"), (public, f"/frameworks/{w.framework_slug}/{w.study_b_label}"),
            (public, f"/api/v1/frameworks/{w.framework_slug}/versions/{w.study_b_label}"),
            (assessor, f"/assessor/assessments/{w.assessment_a}/results"),
            (assessor, f"/assessor/assessments/{w.assessment_a}/actions"),
            (assessor, f"/assessor/assessments/{w.assessment_a}/export.json")]
    pages = {}
    for client, url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.data.decode()
        body = re.sub(r'(name="[\w-]*csrf_token"[^>]*value=)"[^"]+"', r"\1", body)  # tokens are per session
        body = re.sub(r'"generated_at": "[^"]+"', '"generated_at": ""', body)  # the export's own timestamp
        pages[url] = body
    return pages


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["delphi", *args])


def _tables(path: Path) -> dict[str, tuple[int, str]]:
    manifest = json.loads(zipfile.ZipFile(path).read("manifest.json"))
    return {t["name"]: (t["rows"], t["sha256"]) for t in manifest["tables"]}


def test_restore_into_an_empty_database_gives_the_same_rows_and_reports(app, second_app, tmp_path):
    from delphi.models import AssessmentStatus, VersionStatus
    from delphi.services.operations import backup

    w = _world_with_two_closed_rounds(app)
    before = _pages(app, w)
    dump = tmp_path / "delphi.zip"
    result = _invoke(app, "backup", str(dump))
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"Backed up \d+ rows of \d+ tables \(schema \w+\) to .+ \([\d.]+ MiB\)\.\n", result.output)

    result = _invoke(second_app, "restore", str(dump))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Restored ")
    with app.app_context():
        counts = backup.table_counts()
    with second_app.app_context():
        assert backup.table_counts() == counts
    assert counts["ratings"] > 0 and counts["levels"] > 0 and counts["assessment_answers"] > 0

    # Byte for byte the same tables: a backup of the restored database equals the original backup.
    again = tmp_path / "again.zip"
    assert _invoke(second_app, "backup", str(again)).exit_code == 0
    assert _tables(again) == _tables(dump)

    assert _pages(second_app, w) == before

    # The guarded states came back, and still guard: a released version's content and a finalised assessment.
    from sqlalchemy import select, update
    from sqlalchemy.exc import DBAPIError

    from delphi.extensions import db
    from delphi.models import Assessment, FrameworkVersion, Indicator

    with second_app.app_context():
        statuses = set(db.session.scalars(select(FrameworkVersion.status)))
        assert statuses == {VersionStatus.RELEASED, VersionStatus.DRAFT}
        assert db.session.get(Assessment, w.assessment_a).status == AssessmentStatus.FINALISED
        released = db.session.scalar(select(FrameworkVersion.id).where(FrameworkVersion.label == w.study_b_label))
        with pytest.raises(DBAPIError):
            db.session.execute(update(Indicator).where(Indicator.version_id == released).values(statement="x"))
        db.session.rollback()
        # New rows get fresh ids (PostgreSQL's sequences were moved past the restored ones).
        from sqlalchemy import func

        from delphi.models import User
        from delphi.services.accounts import users

        highest = db.session.scalar(select(func.max(User.id)))
        user = users.create_user("new@example.org", "New Person", W.PASSWORD)
        db.session.commit()
        assert user.id > highest


def test_restore_refuses_a_non_empty_database_and_changes_nothing(app, tmp_path):
    W.build(app)
    dump = tmp_path / "delphi.zip"
    assert _invoke(app, "backup", str(dump)).exit_code == 0
    before = W.fingerprint(app)
    result = _invoke(app, "restore", str(dump))
    assert result.exit_code == 1
    assert result.output.startswith("Error: the database is not empty (") and result.output.count("\n") == 1
    assert W.fingerprint(app) == before


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of a backup with its manifest (and table files) passed through change(name, bytes) -> bytes."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info.filename)))
    return target


def test_restore_refuses_another_schema_revision_a_damaged_file_and_bad_rows(app, second_app, tmp_path):
    from delphi.services.operations import backup

    W.build(app)
    dump = tmp_path / "delphi.zip"
    assert _invoke(app, "backup", str(dump)).exit_code == 0

    def manifest_says(**changes):
        def change(name, data):
            if name != "manifest.json":
                return data
            return json.dumps({**json.loads(data), **changes}).encode()
        return change

    def users_file(edit):
        def change(name, data):
            if name.endswith("-users.json"):
                return edit(data)
            if name == "manifest.json":  # keep the checksum right: only the schema may refuse the rows
                manifest = json.loads(data)
                with zipfile.ZipFile(dump) as original:
                    for entry in manifest["tables"]:
                        if entry["name"] == "users":
                            import hashlib

                            entry["sha256"] = hashlib.sha256(edit(original.read(entry["file"]))).hexdigest()
                return json.dumps(manifest).encode()
            return data
        return change

    def duplicate_email(data: bytes) -> bytes:
        document = json.loads(data)
        email = document["columns"].index("email")
        document["rows"][1][email] = document["rows"][0][email]
        return json.dumps(document).encode()

    cases = [
        (_rewrite(dump, tmp_path / "old.zip", manifest_says(schema_revision="0003")),
         "the backup was made at schema revision 0003, this database is at"),
        (_rewrite(dump, tmp_path / "damaged.zip",
                  lambda name, data: data.replace(b"example.org", b"example.net") if "users" in name else data),
         "is damaged: its SHA-256 differs"),
        (_rewrite(dump, tmp_path / "dup.zip", users_file(duplicate_email)), "the database refused the backup's data"),
        (_rewrite(dump, tmp_path / "v2.zip", manifest_says(format_version=2)), "backup format version 2"),
        (tmp_path / "missing.zip", "no such file"),
    ]
    (tmp_path / "not-a-zip.zip").write_bytes(b"PK\x03\x04 nope")
    cases.append((tmp_path / "not-a-zip.zip", "not a readable ZIP file"))
    for path, message in cases:
        result = _invoke(second_app, "restore", str(path))
        assert result.exit_code == 1 and message in result.output, (path.name, result.output)
        assert result.output.count("\n") == 1, result.output
        with second_app.app_context():
            assert not any(backup.table_counts().values()), path.name  # nothing was restored

    result = _invoke(app, "backup", str(dump))
    assert result.exit_code == 1 and "already exists" in result.output
    result = _invoke(app, "backup", str(tmp_path / "no-such-folder" / "x.zip"))
    assert result.exit_code == 1 and "cannot write" in result.output and result.output.count("\n") == 1


def test_backup_is_one_snapshot_even_while_others_write(app, tmp_path, monkeypatch):
    """Rows committed by someone else while the backup runs are in none of its tables (or in all)."""
    from sqlalchemy import insert

    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import AuditEvent, Organisation
    from delphi.services.operations import backup

    W.build(app)
    original = backup._write_table
    written: list[str] = []

    def write_then_interfere(conn, table, archive, name):
        result = original(conn, table, archive, name)
        written.append(table.name)
        if len(written) == 1:  # after the first table, another connection commits rows to later tables
            with db.engine.begin() as other:
                other.execute(insert(Organisation).values(name="Arrived during the backup", created_at=utcnow()))
                other.execute(insert(AuditEvent).values(action="late", subject_type="x", subject_id=1, at=utcnow()))
        return result

    monkeypatch.setattr(backup, "_write_table", write_then_interfere)
    with app.app_context():
        before = backup.table_counts()
        summary = backup.dump(tmp_path / "snapshot.zip")
        after = backup.table_counts()
    counts = {name: rows for name, (rows, _) in _tables(summary.path).items()}
    assert counts == before
    assert after["organisations"] == before["organisations"] + 1
