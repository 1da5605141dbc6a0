"""During the walk: last time's findings, joining a colleague, 不适用's reason, counts, index, contrast."""

import re

import pytest

from tests import ROOT
from tests.report_fixtures import demo_data, log_in  # noqa: F401

HTMX = {"HX-Request": "true"}
CSS = ROOT / "app" / "static" / "css" / "app.css"


def start(client, auth, station_id, **extra):
    return client.post("/assess/start", data={"csrf_token": auth.token, "station_id": station_id, **extra})


def new_assessment_at(client, auth, station_id) -> int:
    response = start(client, auth, station_id)
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].split("/")[2])


def test_each_item_shows_last_times_result_folded_away(client, auth, demo):
    log_in(auth, "assessor2")
    assessment_id = new_assessment_at(client, auth, demo.bj001)
    page = client.get(f"/assess/{assessment_id}/items/4.1.1").get_data(as_text=True)
    section = page.split('id="previous-visit"')[1].split("</details>")[0]
    assert '<details class="card previous-visit" id="previous-visit">' in page, "folded by default"
    assert "上次评估" in section and "2 / 3 分" in section
    assert "发现1个问题" in section and "二楼实操室一台车床防护罩缺失。" in section
    assert re.search(r'src="/photos/\d+/thumb"', section)
    reason = client.get(f"/assess/{assessment_id}/items/6.5.1").get_data(as_text=True)
    assert "试卷属保密材料" in reason.split('id="previous-visit"')[1]


def test_last_times_partial_deduction_shows_as_partial(client, auth, demo):
    log_in(auth, "assessor2")
    assessment_id = new_assessment_at(client, auth, demo.bj001)
    summaries = {}
    for item_id in ("4.1.1", "5.3.1", "6.3.2", "1.1.1"):
        page = client.get(f"/assess/{assessment_id}/items/{item_id}").get_data(as_text=True)
        summaries[item_id] = page.split('id="previous-visit"')[1].split("</summary>")[0]
    assert '<span class="badge partial">2 / 3 分</span>' in summaries["4.1.1"]
    assert '<span class="badge zero">0 / ' in summaries["5.3.1"]
    assert '<span class="badge not_applicable">不适用</span>' in summaries["6.3.2"]
    assert '<span class="badge full">' in summaries["1.1.1"]


def test_a_first_visit_shows_no_previous_assessment(client, auth, demo):
    log_in(auth, "assessor2")
    page = client.get(f"/assess/{demo.in_progress}/items/1.1.1").get_data(as_text=True)
    assert "previous-visit" not in page


def test_the_previous_assessment_is_the_stations_last_finalized_one(app, client, auth, demo):
    from app.extensions import db
    from app.models import Assessment
    from app.services import assessments

    log_in(auth, "assessor2")
    next_visit = new_assessment_at(client, auth, demo.bj001)
    with app.app_context():
        assert assessments.previous_assessment(db.session.get(Assessment, next_visit)).id == demo.finalized
        assert assessments.previous_assessment(db.session.get(Assessment, demo.finalized)) is None


def test_a_second_assessor_is_told_who_is_on_the_station_and_asked(app, client, auth, demo):
    log_in(auth, "assessor2")
    search = client.get("/assess/?q=SH002").get_data(as_text=True)
    assert "王建国 正在评估" in search
    asked = start(client, auth, demo.sh002)
    assert asked.status_code == 303
    assert asked.headers["Location"] == f"/assess/stations/{demo.sh002}/join"
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "该所（站）正在评估中" in page and "王建国" in page and "已评 25 / 61" in page
    assert 'name="join" value="1"' in page
    joined = start(client, auth, demo.sh002, join="1")
    assert joined.headers["Location"] == f"/assess/{demo.in_progress}/"


def test_an_assessor_already_on_the_team_goes_straight_back_in(client, auth, demo):
    log_in(auth, "assessor1")
    response = start(client, auth, demo.sh002)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assess/{demo.in_progress}/"


def test_not_applicable_first_asks_for_the_reason_inline_instead_of_an_error(client, auth, demo):
    log_in(auth, "assessor1")
    data = {"csrf_token": auth.token, "outcome": "not_applicable", "note": ""}
    response = client.post(
        f"/assess/{demo.in_progress}/items/6.3.2", data=data, headers={**HTMX, "HX-Trigger-Name": "outcome"}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    status = body.split('id="item-status"')[1].split("</div>")[0]
    assert 'class="error"' not in status and "为什么本项不适用" in status
    assert 'aria-invalid="true"' not in body
    assert 'id="outcome-not_applicable" name="outcome" value="not_applicable"\n               checked' in body


def test_counted_items_put_the_counts_above_the_outcomes_and_explain_once(client, auth, demo):
    log_in(auth, "assessor1")
    data = {"csrf_token": auth.token, "input-problems": "2", "note": ""}
    response = client.post(
        f"/assess/{demo.in_progress}/items/4.1.1",
        data=data,
        headers={**HTMX, "HX-Trigger-Name": "input-problems"},
    )
    body = response.get_data(as_text=True)
    assert body.index('class="counts"') < body.index('class="outcomes"')
    derived = body.split('class="derived">')[1].split("</p>")[0]
    assert "判定为：发现2个问题。" in derived
    assert derived.count("发现") == 1, derived


def test_index_has_category_jumps(client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{demo.in_progress}/index").get_data(as_text=True)
    jumps = page.split('class="category-jumps"')[1].split("</nav>")[0]
    assert [f"#category-{n}" for n in range(1, 10)] == re.findall(r'href="(#category-\d)"', jumps)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_variable(css: str, name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", css).group(1)


@pytest.mark.parametrize("background", ["card", "bg"])
def test_control_edges_have_three_to_one_contrast(background):
    css = CSS.read_text(encoding="utf-8")
    assert contrast(css_variable(css, "control-line"), css_variable(css, background)) >= 3


@pytest.mark.parametrize(
    "rule", [".outcome {", "input[type=text], input[type=password]", "input[type=date], input[type=file]"]
)
def test_outcome_buttons_and_fields_draw_their_edge_in_the_control_colour(rule):
    css = CSS.read_text(encoding="utf-8")
    block = css[css.index(rule) :].split("}")[0]
    assert "var(--control-line)" in block, block


def test_a_hidden_offline_status_line_stays_hidden():
    css = CSS.read_text(encoding="utf-8")
    shown = css.index(".offline-status { display: flex;")
    hidden = css.index(".offline-status[hidden] { display: none; }")
    assert hidden > shown, "the [hidden] rule must come after the one that shows the line"


def test_the_walk_page_leaves_htmx_out_and_the_home_page_loads_it(client, auth, demo):
    """The walk sends through the outbox: 14 KB of htmx on every item would only slow a weak link."""
    log_in(auth, "assessor1")
    item = client.get(f"/assess/{demo.in_progress}/items/1.1.1").get_data(as_text=True)
    loads_htmx = re.compile(r'<script src="/static/js/htmx-2\.0\.11\.min\.')
    assert "/static/js/pages/walk." in item and not loads_htmx.search(item)
    assert loads_htmx.search(client.get("/assess/").get_data(as_text=True))
