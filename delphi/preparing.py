"""The answer of a download route for a prepared output: the file at once, or the "being prepared" page.

Routes check the person's right to the subject first (their loaders), then call respond(). `?progress` answers
the waiting page's polls with JSON; `?built=<digest>` is where the page goes once the build it waited for is done.
"""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for

from delphi.downloads import attachment
from delphi.extensions import db
from delphi.services.operations import outputs


def respond(kind_name: str, subject_id: int, filename: str, *, back_url: str, back_label: str) -> Response:
    endpoint, args = request.endpoint or "", dict(request.view_args or {})
    if "progress" in request.args:
        state = outputs.status(kind_name, subject_id)
        state["download"] = url_for(endpoint, **args, built=state["built"]) if state["ready"] else None
        state.pop("built")
        return jsonify(state)
    result = outputs.obtain(kind_name, subject_id, built=request.args.get("built") or None)
    if isinstance(result, outputs.Ready):
        return attachment(result.content, filename, outputs.KINDS[kind_name].content_type)
    db.session.commit()  # the row asked for; after the commit a worker is asked to build it (jobs/dispatch.py)
    state = outputs.status(kind_name, subject_id)
    page = render_template("downloads/preparing.html", kind=result.kind, state=state, filename=filename,
                           status_url=url_for(endpoint, **args, progress=1), again_url=url_for(endpoint, **args),
                           back_url=back_url, back_label=back_label)
    return Response(page, status=202, mimetype="text/html")
