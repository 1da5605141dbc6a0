"""Two phones of one team in WebKit: a result based on what the page showed before a teammate's
newer result does not replace it; the assessor is told who set it and applies theirs in one tap.
A deduction is one screen of work: its note between the top bar and the walk's bottom bar, with the
camera and the gallery right under it."""

from selenium.webdriver.common.by import By

from app.extensions import db
from app.models import Assessment, Finding, User
from app.services import assessments
from tests.browser.test_team_changes import demo_assessment_id
from tests.webkit.conftest import PHONE, log_in, wait_for
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


# Where the deduction's parts are on the screen, and what has the focus.
DEDUCTION_LAYOUT = """
const box = (element) => {
  const rect = element.getBoundingClientRect();
  return { top: rect.top, bottom: rect.bottom };
};
const tool = (words) => [...document.querySelectorAll(".deduction-tools label")]
  .find((label) => label.textContent.includes(words));
return {
  focused: document.activeElement.id,
  viewport: [innerWidth, innerHeight],
  topbar: box(document.querySelector(".topbar")),
  bottom_bar: box(document.querySelector(".walk-nav")),
  note: box(document.getElementById("note")),
  camera: box(tool("拍照")),
  gallery: box(tool("从相册选择")),
};
"""


def note_focused(driver) -> bool:
    return driver.execute_script("return document.activeElement.id") == "note"


def assert_one_screen_of_work(layout: dict) -> None:
    """The note, the camera and the gallery all between the top bar and the bottom bar of a
    390x844 screen, the camera and the gallery side by side right under the note."""
    assert layout["viewport"] == list(PHONE)
    assert layout["bottom_bar"]["bottom"] <= PHONE[1] + 1, "the bottom bar is on the screen"
    visible_from, visible_to = layout["topbar"]["bottom"], layout["bottom_bar"]["top"]
    for name in ("note", "camera", "gallery"):
        box = layout[name]
        assert box["top"] >= visible_from - 0.5, f"the {name} is under the top bar: {layout}"
        assert box["bottom"] <= visible_to + 0.5, f"the {name} is under the bottom bar: {layout}"
    assert layout["camera"]["top"] >= layout["note"]["bottom"], "camera and gallery sit right under the note"
    assert abs(layout["camera"]["top"] - layout["gallery"]["top"]) < 1


def open_first_unscored(webkit, server) -> int:
    """Log in as assessor1 and open the demo assessment where it was left: its first unscored item."""
    assessment_id = demo_assessment_id(server)
    log_in(webkit, server.url, "assessor1")
    webkit.get(f"{server.url}/assess/{assessment_id}/")
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    return assessment_id


def test_a_teammates_newer_result_stands_and_webkit_shows_who_set_it_and_applies_mine_in_one_tap(
    webkit, demo_data
):
    assessment_id = open_first_unscored(webkit, demo_data)
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


def test_a_deductions_note_is_focused_above_the_bottom_bar_with_camera_and_gallery_beside_it_in_webkit(
    webkit, demo_data
):
    """WebKitGTK gives the focus to the outcome tapped after its change event: the note takes it back."""
    open_first_unscored(webkit, demo_data)
    wait_for(webkit, visible("label[for=outcome-zero]"), "the outcome buttons").click()

    wait_for(webkit, note_focused, "the note focused")
    wait_for(webkit, visible(".deduction-tools"), "the camera and the gallery")
    assert_one_screen_of_work(webkit.execute_script(DEDUCTION_LAYOUT))
