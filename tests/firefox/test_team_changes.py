"""Two phones of one team in Firefox ESR: a result based on what the page showed before a
teammate's newer result does not replace it; the assessor is told who set it and applies theirs in
one tap. A deduction is one screen of work at a phone's 390x844: its note focused, between the top
bar and the walk's bottom bar, with the camera and the gallery right under it."""

from tests.browser.test_team_changes import demo_assessment_id
from tests.firefox.conftest import By, log_in, visible, wait_for
from tests.webkit.conftest import PHONE
from tests.webkit.test_team_changes import (
    DEDUCTION_LAYOUT,
    assert_one_screen_of_work,
    note_focused,
    score_on_the_teammates_phone,
    stored,
)

# A phone's pixel ratio: Firefox's window is no narrower than 500 px, so the pages are zoomed.
PIXEL_RATIO = 2
VIEWPORT = "return [innerWidth, innerHeight]"


def at_a_phones_size(firefox) -> None:
    """The site's pages zoomed to a phone's pixel ratio in a window as many times 390x844, so that
    they lay out on a 390x844 viewport; Firefox keeps the zoom for every page of the site."""
    with firefox.using_context("chrome"):
        firefox.execute_script("FullZoom.setZoom(arguments[0])", script_args=[PIXEL_RATIO])
    width, height = (PIXEL_RATIO * side for side in PHONE)
    firefox.set_window_rect(width=width, height=height)
    # The window's height holds the tool bars too: grown by what the viewport lacks.
    lacking = PHONE[1] - firefox.execute_script(VIEWPORT, sandbox=None)[1]
    firefox.set_window_rect(width=width, height=height + PIXEL_RATIO * lacking)
    assert firefox.execute_script(VIEWPORT, sandbox=None) == list(PHONE)


def test_a_teammates_newer_result_stands_and_firefox_shows_who_set_it_and_applies_mine_in_one_tap(
    firefox, demo_data
):
    assessment_id = demo_assessment_id(demo_data)
    log_in(firefox, demo_data.url, "assessor1")
    firefox.navigate(f"{demo_data.url}/assess/{assessment_id}/")
    wait_for(firefox, lambda f: "/items/" in f.get_url(), "the walk opens at an item")
    item_id = firefox.get_url().rsplit("/items/", 1)[1]
    score_on_the_teammates_phone(demo_data, assessment_id, item_id)

    wait_for(firefox, visible("label[for=outcome-zero]"), "the outcome buttons").click()

    # The result goes through the outbox and back as a 409 first: slow on a busy machine.
    notice = wait_for(
        firefox, visible("#item-status .not-applied"), "the notice of the teammate's result", timeout=60
    )
    assert "李慧敏" in notice.text
    assert "未生效" in notice.text
    assert stored(demo_data, assessment_id, item_id) == ("full", "assessor2"), (
        "the older result replaced nothing"
    )
    notice.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(
        firefox,
        lambda f: stored(demo_data, assessment_id, item_id) == ("zero", "assessor1"),
        "mine applied on the current revision",
    )
    wait_for(
        firefox,
        lambda f: not f.find_elements(By.CSS_SELECTOR, "#item-status .not-applied"),
        "the notice gone",
    )


def test_a_deductions_note_is_focused_above_the_bottom_bar_with_camera_and_gallery_beside_it_in_firefox(
    firefox, demo_data
):
    log_in(firefox, demo_data.url, "assessor1")
    at_a_phones_size(firefox)
    firefox.navigate(f"{demo_data.url}/assess/{demo_assessment_id(demo_data)}/")
    wait_for(firefox, lambda f: "/items/" in f.get_url(), "the walk opens at an item")
    wait_for(firefox, visible("label[for=outcome-zero]"), "the outcome buttons").click()

    wait_for(firefox, note_focused, "the note focused")
    wait_for(firefox, visible(".deduction-tools"), "the camera and the gallery")
    assert_one_screen_of_work(firefox.execute_script(DEDUCTION_LAYOUT, sandbox=None))
