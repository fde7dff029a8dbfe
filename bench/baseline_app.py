"""The floor for bench/load.py: a bare Flask endpoint doing one upsert on the same PostgreSQL database.

No session, login, CSRF, permission check or round claim: one INSERT ... ON CONFLICT DO UPDATE in its own
transaction, served by the same gunicorn settings as the platform. Run by bench/load.py as
    DATABASE_URL=postgresql://... gunicorn -c gunicorn.conf.py 'bench.baseline_app:create_app()'
"""
from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, UniqueConstraint, create_engine, func
from sqlalchemy.dialects.postgresql import insert

metadata = MetaData()
baseline_ratings = Table(
    "bench_baseline_ratings", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, nullable=False),
    Column("panelist_id", Integer, nullable=False),
    Column("item_id", Integer, nullable=False),
    Column("question", String(40), nullable=False),
    Column("value", Integer),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("round_id", "panelist_id", "item_id", "question", name="uq_bench_baseline_key"),
)


def engine_url() -> str:
    url = os.environ["DATABASE_URL"]
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def create_app() -> Flask:
    app = Flask(__name__)
    engine = create_engine(engine_url(), pool_pre_ping=True)  # the platform's engine options

    @app.post("/upsert")
    def upsert():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("item"), int):
            return jsonify({"ok": False, "error": "Send JSON with an item id."}), 400
        stmt = insert(baseline_ratings).values(round_id=data["round"], panelist_id=data["panelist"],
                                               item_id=data["item"], question=data["question"],
                                               value=data["value"], updated_at=func.now())
        with engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(
                constraint="uq_bench_baseline_key", set_={"value": stmt.excluded.value, "updated_at": func.now()}))
        return jsonify({"ok": True})

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app
