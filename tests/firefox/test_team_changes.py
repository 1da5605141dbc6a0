"""Two phones of one team in Firefox ESR: a result based on what the page showed before a
teammate's newer result does not replace it; the assessor is told who set it and applies theirs in
one tap."""

from tests.browser.test_team_changes import demo_assessment_id
from tests.firefox.conftest import By, log_in, visible, wait_for
from tests.webkit.test_team_changes import score_on_the_teammates_phone, stored


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
