"""Phone-first reads: once an assessment is kept, its walk answers from the phone however slow the
server is, the server's copy is merged in behind it, and a keep says how far it got and goes on
by itself after it was cut short."""

import re
import threading

from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment, User
from app.services import assessments
from app.services.rubrics import rubric_of
from app.web import phone
from app.web.links import offline_urls_json
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in
from tests.browser.test_offline import open_demo_assessment
from tests.browser.test_team_changes import shot
from tests.browser.test_walk import go_to_next_item

# Long before a server answering in 10 s could, and long before the 8 s after which the worker of
# old fell back to the phone's copy: a page from the phone shows in a fraction of a second.
FROM_THE_PHONE_MS = 5_000
OUTCOME_BUTTONS = "#item-form label[for=outcome-full]"


class HeldPages:
    """GETs of the pages whose path matches `pattern` wait on the server until released (or
    `seconds`, the server's delay, have passed); counts the GETs that arrived."""

    def __init__(self, app, pattern: str, seconds: float = 120):
        self.pattern = re.compile(pattern)
        self.seconds = seconds
        self.released = threading.Event()
        self.arrived = 0
        self.answered = 0
        inner = app.wsgi_app

        def holding(environ, start_response):
            if environ["REQUEST_METHOD"] == "GET" and self.pattern.search(environ["PATH_INFO"]):
                self.arrived += 1
                self.released.wait(self.seconds)
                self.answered += 1
            return inner(environ, start_response)

        app.wsgi_app = holding


def kept_urls(server, assessment_id: int) -> list[str]:
    with server.app.test_request_context():
        assessment = db.session.get(Assessment, assessment_id)
        return offline_urls_json(assessment, rubric_of(assessment).items)["urls"]


def unscored_item(server, assessment_id: int) -> str:
    with server.app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        card = assessments.scorecard(assessment)
        return card.unscored[-1]


def assessment_of(base: str) -> int:
    return int(base.rsplit("/", 1)[1])


def test_next_item_on_a_10_s_server_answers_from_the_phone(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    held = HeldPages(demo_data.app, r"/items/", seconds=10)
    try:
        for _ in range(3):
            go_to_next_item(page)
            expect(page.locator(OUTCOME_BUTTONS)).to_be_visible(timeout=FROM_THE_PHONE_MS)
            expect(page.locator("#outcome-full")).to_be_enabled()
            assert held.answered == 0, "the item showed while the server still held its page"
        assert held.arrived >= 1, "the page shown from the phone is fetched again behind it"
    finally:
        held.released.set()
    assert page.url.startswith(base)


def test_slow_pages_that_are_not_kept_wait_for_the_server_not_the_offline_page(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    with demo_data.app.app_context():
        station_id = db.session.get(Assessment, assessment_of(base)).station_id
    join = f"/assess/stations/{station_id}/join"
    # Longer than the 8 s after which the worker of old opened the offline page.
    longer = phone.WORKER_TIMEOUTS_MS["home_page"] / 1000 + 2
    held = HeldPages(demo_data.app, f"^{re.escape(join)}$", seconds=longer)
    page.goto(f"{demo_data.url}{join}", timeout=60_000)
    assert held.answered == 1
    expect(page.locator("body")).not_to_contain_text("本机没有保存此页面")
    expect(page.locator("#main")).to_contain_text("上海市机电")


def test_a_teammates_result_is_merged_in_and_the_note_being_typed_is_left_alone(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = unscored_item(demo_data, assessment_of(base))
    held = HeldPages(demo_data.app, rf"/items/{re.escape(item_id)}$")
    try:
        page.goto(f"{base}/items/{item_id}")
        expect(page.locator(OUTCOME_BUTTONS)).to_be_visible()
        expect(page.locator("#outcome-zero")).not_to_be_checked()
        page.locator("#note").focus()
        page.keyboard.type("我正在写")
        with demo_data.app.app_context():
            assessment = db.session.get(Assessment, assessment_of(base))
            teammate = db.session.scalar(db.select(User).filter_by(username="assessor2"))
            if teammate not in assessment.team:
                assessment.team.append(teammate)
            assessments.record_finding(
                assessment, item_id, user=teammate, outcome="zero", inputs=None, note="组员的记录"
            )
            db.session.commit()
    finally:
        held.released.set()
    expect(page.locator("#outcome-zero")).to_be_checked()
    expect(page.locator("#note")).to_have_value("我正在写")


def test_offline_after_a_keep_every_item_the_index_and_the_summary_open(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    urls = kept_urls(demo_data, assessment_of(base))
    assert len(urls) == 63
    expect(page.locator(".offline-status .offline-label")).to_have_text("已保存 63/63，可离线使用")
    page.context.set_offline(True)
    for url in urls:
        page.goto(f"{demo_data.url}{url}")
        expect(page.locator("#main h1, #item-title").first).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("本机没有保存此页面")


def test_an_interrupted_keep_goes_on_when_the_assessment_is_opened_again(browser, demo_data, tmp_path):
    profile = tmp_path / "phone"

    def open_phone():
        return browser.browser_type.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )

    # The server answers the first item pages, then holds the rest: the phone is closed mid-keep.
    items = re.compile(r"/items/")
    first_pages = 14
    limit = AnswerLimit(demo_data.app, items, first_pages)
    phone_context = open_phone()
    page = phone_context.new_page()
    log_in(page, demo_data.url, "assessor1")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"))
    base = page.url.rsplit("/items/", 1)[0]
    label = page.locator(".offline-status .offline-label")
    limit.holding.wait(60)
    expect(label).to_have_text(re.compile(rf"正在保存 {first_pages - 1}/63…"))
    expect(page.locator(".offline-status.ready")).to_have_count(0)
    shot(page, "keep-partial")
    phone_context.close()
    limit.lift()

    fetched = []
    counting = demo_data.app.wsgi_app

    def count_pages(environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and items.search(environ["PATH_INFO"]):
            fetched.append(environ["PATH_INFO"])
        return counting(environ, start_response)

    demo_data.app.wsgi_app = count_pages
    phone_context = open_phone()
    page = phone_context.new_page()
    page.goto(f"{base}/index")
    label = page.locator(".offline-status .offline-label")
    expect(label).to_have_text("已保存 63/63，可离线使用", timeout=90_000)
    expect(page.locator(".offline-status.ready")).to_be_visible()
    shot(page, "keep-whole")
    resumed = len(fetched) <= 61 - (first_pages - 1) + 1
    assert resumed, "the keep went on from where it stopped, not from the start"
    page.goto(f"{demo_data.url}/assess/")
    expect(page.locator(".offline-status.ready .offline-label")).to_have_text("已保存 63/63，可离线使用")
    page.context.set_offline(True)
    page.goto(f"{base}/items/9.2.1")
    expect(page.locator("#item-title")).to_contain_text("投诉咨询电话")
    phone_context.close()


class AnswerLimit:
    """GETs matching `pattern` are answered until `limit` were, then held until lifted; `holding`
    is set once one is held."""

    def __init__(self, app, pattern, limit):
        self.holding = threading.Event()
        self.lifted = threading.Event()
        self.answered = 0
        self.app = app
        self.inner = inner = app.wsgi_app

        def limited(environ, start_response):
            if environ["REQUEST_METHOD"] == "GET" and pattern.search(environ["PATH_INFO"]):
                if self.answered >= limit:
                    self.holding.set()
                    self.lifted.wait(120)
                self.answered += 1
            return inner(environ, start_response)

        app.wsgi_app = limited

    def lift(self):
        self.lifted.set()
        self.app.wsgi_app = self.inner
