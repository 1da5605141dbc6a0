"""Small things users met on a phone: a styled e-mail field, a visible focus ring, back links
large enough to tap, and an outcome a screen reader names once."""

from app.extensions import db
from app.models import IN_PROGRESS, Assessment, Photo, User
from tests.browser.conftest import log_in

WHITE, PAGE = (255, 255, 255), (244, 246, 249)


def luminance(rgb) -> float:
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one, other) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def test_the_new_user_form_has_a_styled_email_field_and_a_station_code_picker(page, demo_data):
    log_in(page, demo_data.url, "admin")
    page.goto(f"{demo_data.url}/admin/users/new")
    email, username = page.locator("input[name=email]"), page.locator("input[name=username]")
    assert email.bounding_box()["height"] >= 44
    assert email.bounding_box()["width"] == username.bounding_box()["width"]
    station_code = page.locator("input[name=station_code]")
    options = page.locator(f"datalist#{station_code.get_attribute('list')} option")
    assert {options.nth(n).get_attribute("value") for n in range(options.count())} >= {"BJ001", "SH002"}


def test_the_focus_ring_stands_out_3_to_1_on_white_and_on_the_page(page, demo_data):
    page.goto(f"{demo_data.url}/login")
    page.keyboard.press("Tab")
    ring = rgb(page.evaluate("getComputedStyle(document.activeElement).outlineColor"))
    assert contrast(ring, WHITE) >= 3 and contrast(ring, PAGE) >= 3, ring


def test_back_links_are_at_least_24_px_tall(page, demo_data):
    with demo_data.app.app_context():
        photo_id = db.session.scalar(db.select(Photo.id).filter_by(purpose="evidence"))
        assessment_id = db.session.get(Photo, photo_id).finding.assessment_id
    log_in(page, demo_data.url, "staff1")
    page.goto(f"{demo_data.url}/station/assessments/{assessment_id}")
    assert page.locator(".crumbs a").bounding_box()["height"] >= 24
    page.goto(f"{demo_data.url}/photos/{photo_id}")
    assert page.locator(".crumbs a").bounding_box()["height"] >= 24


def test_a_screen_reader_names_each_outcome_once(page, demo_data):
    with demo_data.app.app_context():
        assessment_id = db.session.scalar(db.select(Assessment.id).filter_by(status=IN_PROGRESS))
    log_in(page, demo_data.url, "admin")
    page.goto(f"{demo_data.url}/assess/{assessment_id}/items/1.1.1")
    tree = page.locator("fieldset.outcomes").aria_snapshot()
    labels = page.locator(".outcome-label").all_inner_texts()
    assert labels
    lines = [line.strip() for line in tree.splitlines()]
    for label in labels:
        assert sum(line.startswith(f'- radio "{label} ') for line in lines) == 1, tree
        assert not [line for line in lines if line.startswith(f"- text: {label}")], tree


def test_station_codes_are_found_whatever_their_case(page, demo_data):
    log_in(page, demo_data.url, "admin")
    page.goto(f"{demo_data.url}/admin/users/new")
    page.fill("input[name=username]", "zhou")
    page.select_option("select[name=role]", "staff")
    page.fill("input[name=station_code]", "bj001")
    page.fill("input[name=password]", "long enough password")
    page.click("#main form button.primary")
    page.wait_for_load_state("networkidle")
    with demo_data.app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="zhou"))
        assert user is not None and user.station.code == "BJ001"
