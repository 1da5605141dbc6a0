"""One phone, two assessors: the first one's offline pages never open for the second."""

import re

from playwright.sync_api import expect

from app.extensions import db
from app.models import User
from app.services import people
from tests.browser.conftest import log_in
from tests.browser.test_offline import COUNT_OUTBOX, open_demo_assessment, refuse_finding_writes

ASSESSMENT_CACHES = "async () => (await caches.keys()).filter((key) => key.startsWith('assessment-'))"


def end_sessions_on_the_server(server, username: str) -> None:
    """What an admin's 'log out on every device' does for a lost or handed-over phone."""
    with server.app.app_context():
        people.end_sessions(db.session.scalar(db.select(User).filter_by(username=username)), None)
        db.session.commit()


def test_next_user_on_the_phone_cannot_open_the_previous_users_offline_pages(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    assert page.evaluate(ASSESSMENT_CACHES)
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    expect(page.locator("#item-status .pending")).to_be_visible()

    refuse_finding_writes(demo_data.app)
    end_sessions_on_the_server(demo_data, "assessor1")
    page.context.set_offline(False)
    log_in(page, demo_data.url, "assessor2")
    expect(page.locator(".who")).to_have_text(re.compile(".+"))
    page.wait_for_function(f"async () => (await ({ASSESSMENT_CACHES})()).length === 0")

    page.context.set_offline(True)
    page.goto(f"{base}/items/1.1.1")
    expect(page.locator("#item-title")).to_have_count(0)
    assert page.evaluate(COUNT_OUTBOX) == 1, "the first assessor's change still waits on the phone"


def test_offline_pages_are_dropped_when_the_session_ends_without_logging_out(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    page.context.clear_cookies()
    page.goto(f"{demo_data.url}/assess/")
    page.wait_for_url(re.compile("/login"))
    page.wait_for_function(f"async () => (await ({ASSESSMENT_CACHES})()).length === 0")
    page.context.set_offline(True)
    page.goto(f"{base}/items/1.1.1")
    expect(page.locator("#item-title")).to_have_count(0)
