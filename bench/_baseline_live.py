"""The floor for bench/load.py's real-time profile (not a benchmark itself: `make bench` skips files starting with _):
bench/baseline_app.py's bare upsert, unchanged, plus a bare poll on the same PostgreSQL database.

GET /poll?round=<id>&items=<id>,<id>,... does what the live endpoint cannot do less than: one query for the
round's state (count and latest write), 304 when the If-None-Match names it, else one GROUP BY over the round's
ratings of those items, answered as JSON {"items": {"<item>": {"<value>": count}}}. No session, login, panel
check, visibility rule, statistics or HTML. Run by bench/load.py as
    DATABASE_URL=postgresql://... gunicorn -c gunicorn.conf.py 'bench._baseline_live:create_app()'
"""
from __future__ import annotations

import hashlib

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, func, select

from bench.baseline_app import baseline_ratings, engine_url
from bench.baseline_app import create_app as upsert_app


def create_app() -> Flask:
    app = upsert_app()
    engine = create_engine(engine_url(), pool_pre_ping=True)
    t = baseline_ratings.c

    @app.get("/poll")
    def poll():
        try:
            round_id = int(request.args["round"])
            items = [int(x) for x in request.args.get("items", "").split(",") if x.strip()][:500]
        except (KeyError, ValueError):
            return jsonify({"error": "round and items are whole numbers"}), 400
        with engine.connect() as conn:
            count, latest = conn.execute(select(func.count(), func.max(t.updated_at))
                                         .where(t.round_id == round_id)).one()
            tag = hashlib.sha256(f"{round_id}|{count}|{latest}".encode()).hexdigest()[:20]
            if request.if_none_match.contains(tag):
                return Response(status=304, headers={"ETag": f'"{tag}"'})
            out: dict[str, dict[str, int]] = {str(i): {} for i in items}
            for item, value, n in conn.execute(
                    select(t.item_id, t.value, func.count()).where(t.round_id == round_id, t.item_id.in_(items or [-1]))
                    .group_by(t.item_id, t.value)):
                out[str(item)][str(value)] = n
        response = jsonify({"items": out, "open": True, "refresh": 3})
        response.set_etag(tag)
        return response

    return app
