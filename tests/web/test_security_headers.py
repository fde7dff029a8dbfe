"""Headers and cookie flags every response carries."""
from config import ProductionConfig
from delphi.security import safe_next


def test_every_page_sends_csp_frame_and_nosniff_headers(client):
    r = client.get("/auth/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user, login_as):
    make_user("ann@example.org")
    r = login_as("ann@example.org")
    cookie = r.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_production_needs_a_secret(monkeypatch):
    import pytest

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from delphi import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_safe_next_rejects_anything_that_leaves_the_site():
    for bad in ["//evil.com", "/\\evil.com", "https://evil.com", "evil.com", "", None, "/ok\r\nSet-Cookie: x"]:
        assert safe_next(bad) is None
    assert safe_next("/expert/?x=1") == "/expert/?x=1"
