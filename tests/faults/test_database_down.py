"""A database that goes away mid-request: a clear 503 (HTML and JSON), nothing half-saved, and recovery."""
from __future__ import annotations

import contextlib
import socket
import threading

from sqlalchemy import create_engine, event, func, select, text

from delphi.errors import DATABASE_DOWN
from delphi.extensions import db
from delphi.models import Participation, Rating
from tests.conftest import csrf_from
from tests.faults.conftest import csrf, radio_items
from tests.study_helpers import make_study, open_first_round


@contextlib.contextmanager
def database_fails_on(app, statement_start: str, nth: int = 1, anywhere: bool = False):
    """The nth statement starting with statement_start (containing it, if anywhere) and every later one fails
    as a lost server would: the driver's own OperationalError, which SQLAlchemy wraps as for a real disconnect."""
    with app.app_context():
        engine = db.engine
    seen = {"n": 0}

    def fail(conn, cursor, statement, parameters, context, executemany):
        sql = " ".join(statement.split()).upper()
        if (statement_start.upper() in sql) if anywhere else sql.startswith(statement_start.upper()):
            seen["n"] += 1
            if seen["n"] >= nth:
                raise conn.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def _open_round(app):
    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain", "subdomain", "indicator"))
        rnd = open_first_round(study)
        db.session.commit()
        return rnd.id, rnd.round_items[0].item.domain_code


def _nothing_stored(app) -> bool:
    with app.app_context():
        ratings = db.session.scalar(select(func.count(Rating.id)))
        parts = db.session.scalar(select(func.count(Participation.id)))
        db.session.remove()
    return ratings == 0 and parts == 0


def test_save_page_when_the_database_goes_away_after_two_rows_gives_503_page_and_saves_nothing(
        app, client, login_as):
    round_id, domain = _open_round(app)
    login_as("expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    items = radio_items(page.data)
    assert len(items) >= 3
    form = {"csrf_token": csrf_from(page.data), **{f"r-{item}-agreement": "3" for item in items}}
    with database_fails_on(app, "INSERT INTO ratings", nth=3) as seen:
        r = client.post(f"/expert/rounds/{round_id}/domains/{domain}", data=form)
    assert seen["n"] == 3  # two rows were written in the transaction before the failure
    assert r.status_code == 503 and r.headers["Retry-After"] == "60"
    assert r.mimetype == "text/html" and str(DATABASE_DOWN) in r.get_data(as_text=True)
    assert _nothing_stored(app)


def test_autosave_when_the_database_goes_away_gives_503_json_and_saves_nothing(app, client, login_as):
    round_id, domain = _open_round(app)
    login_as("expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    item = radio_items(page.data)[0]
    # SQLite: after the rating row was written; PostgreSQL writes both rows in one statement (rating_autosave).
    with database_fails_on(app, "INSERT INTO participations", anywhere=True):
        r = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item, "question": "agreement",
                                                                     "value": 2},
                        headers={"X-CSRFToken": csrf_from(page.data)})
    assert r.status_code == 503
    assert r.json == {"ok": False, "error": DATABASE_DOWN, "message": DATABASE_DOWN, "status": 503}
    assert _nothing_stored(app)
    # The database is back: the same autosave works (the app did not keep a broken session).
    r = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item, "question": "agreement", "value": 2},
                    headers={"X-CSRFToken": csrf_from(page.data)})
    assert r.status_code == 200 and r.json["ok"]


def test_pages_that_only_read_also_give_the_503_page_not_a_500(app, client, login_as):
    round_id, domain = _open_round(app)
    login_as("expert1@example.org")
    with database_fails_on(app, "SELECT"):
        r = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
        health = client.get("/healthz")
    assert r.status_code == 503 and str(DATABASE_DOWN) in r.get_data(as_text=True)
    assert health.status_code == 503 and health.json == {"status": "error", "database": "unreachable"}
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}


# ---------------------------------------------------------------------------------------------- real outage
class CuttableProxy:
    """A TCP proxy on loopback in front of PostgreSQL whose connections can be cut, like a network outage."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.down = True
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_postgresql_lost_mid_transaction_gives_503_and_its_transaction_is_rolled_back(scratch_postgres, serve):
    url, seed = scratch_postgres
    host_port = int(url.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    proxy = CuttableProxy(host_port)
    try:
        server = serve(url.replace(f":{host_port}/", f":{proxy.port}/"))
        expert = server.session()
        expert.log_in("expert1@example.org")
        round_id, domain = seed["round_id"], seed["domain"]
        page = expert.page(f"/expert/rounds/{round_id}/domains/{domain}")
        items = radio_items(page)
        form = {"csrf_token": csrf(page), **{f"r-{item}-agreement": "1" for item in items}}

        # The Save button: the server is lost after two rows of the page's transaction were written.
        outcome: dict = {}
        saving = threading.Thread(target=lambda: outcome.update(response=expert.post_form(
            f"/expert/rounds/{round_id}/domains/{domain}", form, headers={"X-Test-Pause-After-Insert": "ratings:2"})))
        saving.start()
        server.wait_paused()
        proxy.cut()
        server.resume()
        saving.join(20)
        status, head, body = outcome["response"]
        assert status == 503 and str(DATABASE_DOWN) in body.decode() and head["content-type"].startswith("text/html")
        assert server.session().get("/healthz")[0] == 503

        # Autosave (JSON) while the database is unreachable: a clear 503 in JSON for rating.js to show.
        status, head, body = expert.post_json(f"/expert/rounds/{round_id}/autosave",
                                              {"item": items[0], "question": "agreement", "value": 1},
                                              headers={"X-CSRFToken": csrf(page)})
        assert status == 503 and head["content-type"] == "application/json"
        assert str(DATABASE_DOWN) in body.decode()

        direct = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with direct.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ratings")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM participations")).scalar() == 0

        # The database comes back: health recovers and the same save goes through, whole.
        proxy.restore()
        server.reset()
        server.wait_healthy()
        status, _, _ = expert.post_form(f"/expert/rounds/{round_id}/domains/{domain}", form)
        assert status == 302
        with direct.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ratings")).scalar() == len(items)
        direct.dispose()
    finally:
        proxy.close()
