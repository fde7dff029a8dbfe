"""Real headless Chromium (Debian's package) driven by Playwright against the app on a loopback port."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing browser is a failure, never a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page whose every HTML page visited is checked with axe-core when the test ends (see visited_pages)."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    visited = visited_pages(pg)
    yield pg
    check_visited(context, visited)
    context.close()


def visited_pages(pg) -> list[str]:
    """Record the URL of every HTML page the test's browser loads (GET 200 documents, as redirects end)."""
    seen: list[str] = []

    def on_response(response) -> None:
        request = response.request
        if (request.resource_type == "document" and request.method == "GET" and response.status == 200
                and "text/html" in (response.headers.get("content-type") or "") and response.url not in seen):
            seen.append(response.url)

    pg.on("response", on_response)
    return seen


def check_visited(context, urls: list[str], limit: int = 40) -> None:
    """axe-core on every page the test visited, opened again in the same context (same login) at the end: every
    page any browser test walks through is checked, not only those a test names."""
    if not urls:
        return
    checker = context.new_page()
    try:
        for url in urls[:limit]:
            checker.goto(url)
            if "text/html" in (checker.evaluate("document.contentType") or ""):
                assert_accessible(checker, url)
    finally:
        checker.close()


def login(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page, where: str = "") -> None:
    """axe-core (vendored, no network) on the page as it is now: no WCAG 2.1 A or AA violation."""
    # Evaluated through the DevTools protocol rather than as a <script>: the app's CSP forbids inline scripts.
    page.evaluate("() => { " + AXE.read_text(encoding="utf-8") + "\n; window.axe = axe; }")
    found = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                                     v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""", WCAG_AA)
    assert found == [], f"accessibility violations on {where or page.url}:\n" + "\n".join(found)
