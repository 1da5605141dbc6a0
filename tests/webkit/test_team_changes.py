"""Two phones of one team in WebKit: a result based on what the page showed before a teammate's
newer result does not replace it; the assessor is told who set it and applies theirs in one tap."""

from selenium.webdriver.common.by import By

from app.extensions import db
from app.models import Assessment, Finding, User
from app.services import assessments
from tests.browser.test_team_changes import demo_assessment_id
from tests.webkit.conftest import log_in, wait_for
from tests.webkit.test_walk import visible


def score_on_the_teammates_phone(server, assessment_id: int, item_id: str) -> None:
    with server.app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        teammate = db.session.scalar(db.select(User).filter_by(username="assessor2"))
        assessments.record_finding(
            assessment, item_id, outcome="full", inputs=None, note="", user=teammate, based_on=0
        )
        db.session.commit()


def stored(server, assessment_id: int, item_id: str):
    with server.app.app_context():
        finding = db.session.scalar(
            db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id)
        )
        return (finding.outcome, finding.revised_by.username) if finding else None


def test_a_teammates_newer_result_stands_and_webkit_shows_who_set_it_and_applies_mine_in_one_tap(
    webkit, demo_data
):
    assessment_id = demo_assessment_id(demo_data)
    log_in(webkit, demo_data.url, "assessor1")
    webkit.get(f"{demo_data.url}/assess/{assessment_id}/")
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    item_id = webkit.current_url.rsplit("/items/", 1)[1]
    score_on_the_teammates_phone(demo_data, assessment_id, item_id)

    wait_for(webkit, visible("label[for=outcome-zero]"), "the outcome buttons").click()

    # The result goes through the outbox and back as a 409 first: on a busy run that took over 20 s.
    notice = wait_for(
        webkit, visible("#item-status .not-applied"), "the notice of the teammate's result", timeout=60
    )
    assert "李慧敏" in notice.text
    assert stored(demo_data, assessment_id, item_id) == ("full", "assessor2")
    notice.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(
        webkit,
        lambda d: stored(demo_data, assessment_id, item_id) == ("zero", "assessor1"),
        "mine applied on the current revision",
    )
