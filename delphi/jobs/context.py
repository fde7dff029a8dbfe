"""The application a job runs in: the worker sets it (`flask delphi worker`); inline jobs run in the caller's."""
from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def set_app(app: Flask) -> None:
    global _app
    _app = app


@contextmanager
def app_context():
    if has_app_context():
        yield current_app
        return
    if _app is None:
        raise RuntimeError("no application for this job: run jobs through `flask delphi worker`")
    with _app.app_context():
        yield _app
