"""A person logs in and out in a real browser."""
import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_organiser_logs_in_and_out_in_chromium(page, make_user):
    make_user("olga@example.org", name="Olga", roles=("organiser",))
    login(page, "olga@example.org", PASSWORD)
    assert page.url.endswith("/organiser/")
    assert page.get_by_role("heading", name="Organise").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert page.get_by_text("You are logged out, on this and every other device.").is_visible()


def test_wrong_password_shows_one_message_in_chromium(page, make_user):
    make_user("olga@example.org")
    login(page, "olga@example.org", "wrong-password-123")
    assert page.get_by_text("Wrong e-mail or password.").is_visible()
