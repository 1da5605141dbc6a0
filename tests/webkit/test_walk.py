"""An assessor scores an item in WebKit at phone size, and the server keeps it."""

from selenium.webdriver.common.by import By

from app.extensions import db
from app.models import Finding
from tests.webkit.conftest import PHONE, log_in, wait_for


def visible(selector: str):
    def condition(driver):
        found = [
            element for element in driver.find_elements(By.CSS_SELECTOR, selector) if element.is_displayed()
        ]
        return found[0] if found else False

    return condition


def stored_outcome(server, assessment_id: int, item_id: str) -> str | None:
    with server.app.app_context():
        finding = db.session.scalar(
            db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id)
        )
        return finding.outcome if finding else None


def test_assessor_scores_an_item_in_webkit_and_a_reload_shows_it_saved(webkit, demo_data):
    log_in(webkit, demo_data.url, "assessor1")
    assert webkit.execute_script("return [innerWidth, innerHeight]") == list(PHONE)

    in_progress = (By.PARTIAL_LINK_TEXT, "上海市机电")
    wait_for(
        webkit, lambda d: d.find_element(*in_progress), "the assessment in progress on the home page"
    ).click()
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    item_url = webkit.current_url
    base, item_id = item_url.rsplit("/items/", 1)
    assessment_id = int(base.rsplit("/", 1)[1])
    assert stored_outcome(demo_data, assessment_id, item_id) is None

    wait_for(webkit, visible("label[for=outcome-zero]"), "the outcome buttons").click()
    wait_for(webkit, visible("#item-status .prompt"), "the prompt for a deduction's note")
    webkit.find_element(By.ID, "note").send_keys("灭火器过期")
    wait_for(webkit, visible("#item-status .saved"), "the item saved")
    wait_for(webkit, lambda d: not d.find_elements(By.CSS_SELECTOR, "#item-status .prompt"), "the note saved")
    assert stored_outcome(demo_data, assessment_id, item_id) == "zero"

    webkit.get(item_url)
    wait_for(webkit, visible("#item-status .saved"), "saved after a reload")
    assert webkit.find_element(By.ID, "outcome-zero").is_selected()
    assert webkit.find_element(By.ID, "note").get_attribute("value") == "灭火器过期"
