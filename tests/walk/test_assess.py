"""The assessor's walk as plain HTTP: pages, htmx fragments and no-JavaScript form posts."""

import re

import pytest

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding
from app.services.rubrics import active_rubric
from tests import ROOT
from tests.conftest import Auth, csrf_token_from

HTMX = {"HX-Request": "true"}


@pytest.fixture
def assessment_id(assessor, station_id):
    response = assessor.client.post(
        "/assess/start", data={"station_id": station_id, "csrf_token": assessor.token}
    )
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[2])


def save(auth, assessment_id, item_id, headers=None, **fields):
    data = {"csrf_token": auth.token, **fields}
    return auth.client.post(f"/assess/{assessment_id}/items/{item_id}", data=data, headers=headers or {})


def finding(app, assessment_id, item_id):
    with app.app_context():
        return db.session.scalar(db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id))


def score_all_full(auth, assessment_id, app):
    with app.app_context():
        item_ids = [item.id for item in active_rubric().items]
    for item_id in item_ids:
        assert save(auth, assessment_id, item_id, outcome="full").status_code == 302


def test_home_lists_assessments_in_progress_with_progress_and_score(assessor, assessment_id):
    save(assessor, assessment_id, "1.1.1", outcome="full")
    page = assessor.client.get("/assess/").get_data(as_text=True)
    assert "广州市第一鉴定所" in page
    assert "1/61" in page
    assert "2 分" in page


def test_station_search_finds_by_name_or_code(assessor, station_id, make_station):
    make_station("SH02", "上海鉴定站")
    page = assessor.client.get("/assess/?q=gz0").get_data(as_text=True)
    assert "广州市第一鉴定所" in page and "上海鉴定站" not in page
    assert "上海鉴定站" in assessor.client.get("/assess/?q=上海").get_data(as_text=True)


@pytest.mark.parametrize("query", ["%", "_"])
def test_station_search_takes_percent_and_underscore_literally(assessor, station_id, query):
    """The assessor's search is the admin's: % and _ are characters to find, not wildcards."""
    assert "广州市第一鉴定所" not in assessor.client.get(f"/assess/?q={query}").get_data(as_text=True)


def test_station_search_leaves_out_deactivated_stations(assessor, station_id, make_station):
    make_station("GZ02", "广州市第二鉴定所", active=False)
    page = assessor.client.get("/assess/?q=广州").get_data(as_text=True)
    assert "广州市第一鉴定所" in page and "广州市第二鉴定所" not in page


def test_station_search_answers_htmx_with_the_results_fragment_only(assessor, station_id):
    response = assessor.client.get("/assess/?q=广州", headers=HTMX)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="station-results"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_station_search_says_when_nothing_matches(assessor, station_id):
    assert "没有与“不存在”匹配" in assessor.client.get("/assess/?q=不存在").get_data(as_text=True)


def test_start_opens_the_first_item(assessor, station_id):
    response = assessor.client.post(
        "/assess/start", data={"station_id": station_id, "csrf_token": assessor.token}
    )
    resumed = assessor.client.get(response.headers["Location"])
    assert resumed.headers["Location"].endswith("/items/1.1.1")


def test_start_continues_the_open_assessment_of_that_station(app, assessor, station_id, assessment_id):
    response = assessor.client.post(
        "/assess/start", data={"station_id": station_id, "csrf_token": assessor.token}
    )
    assert response.headers["Location"] == f"/assess/{assessment_id}/"
    with app.app_context():
        assert db.session.query(Assessment).count() == 1


def test_start_of_unknown_station_is_404(assessor):
    assert (
        assessor.client.post(
            "/assess/start", data={"station_id": 99, "csrf_token": assessor.token}
        ).status_code
        == 404
    )


def test_item_page_shows_text_method_and_outcomes_with_points(assessor, assessment_id):
    page = assessor.client.get(f"/assess/{assessment_id}/items/4.1.1").get_data(as_text=True)
    assert "设备设施符合所鉴定职业的标准要求且数量充足、运行状况良好" in page
    assert "现场查看。发现1个问题扣1分；2个问题扣2分；3个问题以上不得分。" in page
    assert "<details" in page
    for label in ["未发现问题", "发现1个问题", "发现2个问题", "发现3个问题以上", "不适用"]:
        assert label in page
    assert 'name="input-problems"' in page
    assert "1．岗位设置情况" not in page and "4．设备设施" in page


def test_item_page_says_what_not_applicable_gives(assessor, assessment_id):
    page = assessor.client.get(f"/assess/{assessment_id}/items/6.3.2").get_data(as_text=True)
    assert '<p class="muted na-policy">不适用按满分计。</p>' in page


@pytest.mark.parametrize(
    "path", ["/assess/999/", "/assess/999/items/1.1.1", "/assess/999/index", "/assess/999/summary"]
)
def test_unknown_assessment_is_404(assessor, path):
    assert assessor.client.get(path).status_code == 404


def test_unknown_item_is_404(assessor, assessment_id):
    assert assessor.client.get(f"/assess/{assessment_id}/items/9.9.9").status_code == 404
    assert save(assessor, assessment_id, "9.9.9", outcome="full").status_code == 404


def test_plain_form_post_saves_and_redirects_back_to_the_item(app, assessor, assessment_id):
    response = save(assessor, assessment_id, "1.1.1", outcome="zero", note="无任命文件")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assess/{assessment_id}/items/1.1.1"
    saved = finding(app, assessment_id, "1.1.1")
    assert (saved.outcome, saved.note) == ("zero", "无任命文件")


def test_plain_form_post_with_counts_derives_the_outcome(app, assessor, assessment_id):
    save(assessor, assessment_id, "4.1.1", outcome="full", **{"input-problems": "1"}, note="防护罩缺失")
    saved = finding(app, assessment_id, "4.1.1")
    assert (saved.outcome, saved.inputs) == ("minus_1", {"problems": 1})
    page = assessor.client.get(f"/assess/{assessment_id}/items/4.1.1").get_data(as_text=True)
    assert "判定为：发现1个问题。" in page


def test_error_rate_counts_show_the_rate_and_the_standard(app, assessor, assessment_id):
    save(
        assessor,
        assessment_id,
        "6.5.1",
        **{"input-papers_checked": "100", "input-papers_with_errors": "3"},
        note="3%",
    )
    assert finding(app, assessment_id, "6.5.1").outcome == "zero"
    page = assessor.client.get(f"/assess/{assessment_id}/items/6.5.1").get_data(as_text=True)
    assert "差错率 3.0%" in page or "差错率 3%" in page
    assert "低于 3%" in page


def test_htmx_outcome_tap_answers_the_item_fragment_and_new_progress(assessor, assessment_id):
    headers = {**HTMX, "HX-Trigger-Name": "outcome", "HX-Target": "item"}
    response = save(assessor, assessment_id, "1.1.1", headers=headers, outcome="full")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="item"')
    assert 'id="progress" class="walk-progress" hx-swap-oob="true"' in body
    assert "1/61" in body
    assert "已保存" in body


def test_htmx_outcome_tap_clears_the_counts(app, assessor, assessment_id):
    save(assessor, assessment_id, "4.1.1", **{"input-problems": "2"}, note="两处")
    headers = {**HTMX, "HX-Trigger-Name": "outcome", "HX-Target": "item"}
    save(
        assessor,
        assessment_id,
        "4.1.1",
        headers=headers,
        outcome="full",
        **{"input-problems": "2"},
        note="两处",
    )
    saved = finding(app, assessment_id, "4.1.1")
    assert (saved.outcome, saved.inputs) == ("full", None)


def test_htmx_note_edit_answers_only_the_status(app, assessor, assessment_id):
    save(assessor, assessment_id, "1.1.1", outcome="zero")
    headers = {**HTMX, "HX-Trigger-Name": "note", "HX-Target": "item-status"}
    body = save(assessor, assessment_id, "1.1.1", headers=headers, outcome="zero", note="未见文件").get_data(
        as_text=True
    )
    assert body.lstrip().startswith('<div id="item-status"')
    assert 'hx-swap-oob="true"' in body
    assert finding(app, assessment_id, "1.1.1").note == "未见文件"


def test_deduction_without_note_is_saved_and_asks_for_one(app, assessor, assessment_id):
    headers = {**HTMX, "HX-Trigger-Name": "outcome", "HX-Target": "item"}
    body = save(assessor, assessment_id, "1.1.1", headers=headers, outcome="zero").get_data(as_text=True)
    assert finding(app, assessment_id, "1.1.1").outcome == "zero"
    assert "扣分须填写备注" in body


def test_not_applicable_without_reason_is_kept_as_a_draft_asking_for_the_reason(app, assessor, assessment_id):
    headers = {**HTMX, "HX-Trigger-Name": "outcome", "HX-Target": "item"}
    response = save(assessor, assessment_id, "6.3.2", headers=headers, outcome="not_applicable", note="")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "为什么本项不适用？请在备注中写明理由" in body
    assert re.search(r'value="not_applicable"\s+checked', body)
    assert "autofocus" in body
    assert finding(app, assessment_id, "6.3.2") is None


def test_bad_counts_are_refused_and_the_saved_result_stays(app, assessor, assessment_id):
    save(assessor, assessment_id, "6.5.1", **{"input-papers_checked": "40", "input-papers_with_errors": "1"})
    response = save(
        assessor, assessment_id, "6.5.1", **{"input-papers_checked": "4", "input-papers_with_errors": "9"}
    )
    assert response.status_code == 422
    assert "不能多于抽查的试卷数" in response.get_data(as_text=True)
    saved = finding(app, assessment_id, "6.5.1")
    assert saved.inputs == {"papers_checked": 40, "papers_with_errors": 1}


@pytest.mark.parametrize(
    "fields, missing",
    [
        ({"input-papers_with_errors": "1"}, "请填写“抽查试卷数”。"),
        ({"input-papers_checked": "40"}, "请填写“有阅卷差错的试卷数”。"),
        ({"input-papers_checked": "40", "outcome": "full"}, "请填写“有阅卷差错的试卷数”。"),
    ],
)
def test_a_partly_filled_set_of_counts_is_refused_naming_the_missing_count(
    app, assessor, assessment_id, fields, missing
):
    """Without JavaScript as with it, counts decide only once all of them are filled."""
    save(assessor, assessment_id, "6.5.1", **{"input-papers_checked": "40", "input-papers_with_errors": "1"})
    response = save(assessor, assessment_id, "6.5.1", note="改过", **fields)
    assert response.status_code == 422
    assert missing in response.get_data(as_text=True)
    saved = finding(app, assessment_id, "6.5.1")
    assert (saved.outcome, saved.inputs, saved.note) == (
        "full",
        {"papers_checked": 40, "papers_with_errors": 1},
        "",
    )


def test_non_numeric_count_is_refused_with_a_message(assessor, assessment_id):
    response = save(assessor, assessment_id, "4.1.1", **{"input-problems": "两"})
    assert response.status_code == 422
    assert "整数" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"input-papers_with_errors": "1"}, "请填写“抽查试卷数”。"),
        (
            {"input-papers_checked": "40", "input-papers_with_errors": "-1"},
            "“有阅卷差错的试卷数”必须是不小于零的整数。",
        ),
        (
            {"input-papers_checked": "四十", "input-papers_with_errors": "1"},
            "“抽查试卷数”必须是不小于零的整数。",
        ),
    ],
)
def test_a_count_error_names_its_field_and_tells_missing_from_wrong(assessor, assessment_id, counts, message):
    response = save(assessor, assessment_id, "6.5.1", **counts)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_resume_goes_to_the_item_after_the_last_one_scored(assessor, assessment_id):
    save(assessor, assessment_id, "1.1.1", outcome="full")
    save(assessor, assessment_id, "1.2.1", outcome="full")
    assert assessor.client.get(f"/assess/{assessment_id}/").headers["Location"].endswith("/items/1.3.1")


def test_resume_returns_to_an_item_touched_but_not_scored(app, assessor, assessment_id):
    save(assessor, assessment_id, "1.1.1", outcome="full")
    save(assessor, assessment_id, "6.3.2", outcome="not_applicable", note="")
    assert assessor.client.get(f"/assess/{assessment_id}/").headers["Location"].endswith("/items/1.2.1")


def test_index_shows_each_item_state_and_category_subtotals(assessor, assessment_id):
    save(assessor, assessment_id, "1.1.1", outcome="zero", note="无")
    save(assessor, assessment_id, "1.2.1", outcome="full")
    save(assessor, assessment_id, "6.3.2", outcome="not_applicable", note="有国家题库")
    page = assessor.client.get(f"/assess/{assessment_id}/index").get_data(as_text=True)
    assert "2 / 11" in page
    assert "扣 2 分" in page and "满分" in page and "不适用" in page and "未评" in page
    assert f"/assess/{assessment_id}/items/1.3.1" in page.split("下一个未评小项")[0]


def test_summary_lists_deductions_with_notes_and_what_is_missing(assessor, assessment_id):
    save(assessor, assessment_id, "4.1.1", **{"input-problems": "1"}, note="防护罩缺失")
    save(assessor, assessment_id, "1.1.1", outcome="zero")
    page = assessor.client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert "防护罩缺失" in page and "尚无备注" in page
    assert "还有 59 个小项未评分" in page
    assert "disabled" in page.split("定稿</button>")[0].rsplit("<button", 1)[1]


def badge_of(page: str, item_id: str) -> str:
    """The class and text of the badge on an item's row of the index or the summary."""
    badge = re.compile(r'<span class="badge ([^"]*)">([^<]*)</span>')
    links = [link.split("</a>")[0] for link in page.split(f'/items/{item_id}"')[1:]]
    return next(badge.search(link) for link in links if badge.search(link)).group(1, 2)


def test_a_partial_deduction_shows_as_partial_on_the_index_and_the_summary(assessor, assessment_id):
    save(assessor, assessment_id, "4.1.1", **{"input-problems": "1"}, note="防护罩缺失")
    save(assessor, assessment_id, "1.1.1", outcome="zero", note="无")
    save(assessor, assessment_id, "6.3.2", outcome="not_applicable", note="有国家题库")
    index = assessor.client.get(f"/assess/{assessment_id}/index").get_data(as_text=True)
    assert badge_of(index, "4.1.1") == ("partial", "扣 1 分")
    assert badge_of(index, "1.1.1") == ("zero", "扣 2 分")
    assert badge_of(index, "6.3.2")[0] == "not_applicable"
    summary = assessor.client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert badge_of(summary, "4.1.1") == ("partial", "−1")
    assert badge_of(summary, "1.1.1") == ("zero", "−2")


def test_finalize_is_refused_until_complete(app, assessor, assessment_id):
    response = assessor.client.post(f"/assess/{assessment_id}/finalize", data={"csrf_token": assessor.token})
    assert response.status_code == 422
    assert "个小项未评分" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "in_progress"


def test_finalize_locks_the_walk(app, assessor, assessment_id):
    score_all_full(assessor, assessment_id, app)
    response = assessor.client.post(f"/assess/{assessment_id}/finalize", data={"csrf_token": assessor.token})
    assert response.status_code == 302
    summary = assessor.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "评估已定稿" in summary and "100" in summary
    item_page = assessor.client.get(f"/assess/{assessment_id}/items/1.1.1").get_data(as_text=True)
    assert "只能查看" in item_page and "disabled" in item_page
    late = save(assessor, assessment_id, "1.1.1", outcome="zero", note="迟到")
    assert late.status_code == 409
    assert finding(app, assessment_id, "1.1.1").outcome == "full"


def test_admin_reopens_from_the_summary_with_a_reason(app, client, assessor, assessment_id, make_user):
    score_all_full(assessor, assessment_id, app)
    assessor.client.post(f"/assess/{assessment_id}/finalize", data={"csrf_token": assessor.token})
    assert "重新开启评估" not in assessor.client.get(f"/assess/{assessment_id}/summary").get_data(
        as_text=True
    )
    refused = assessor.client.post(
        f"/admin/assessments/{assessment_id}/reopen", data={"csrf_token": assessor.token, "reason": "x"}
    )
    assert refused.status_code == 403
    make_user("boss", role="admin")
    admin = Auth(app.test_client())
    admin.login("boss")
    assert "重新开启评估" in admin.client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    empty = admin.client.post(
        f"/admin/assessments/{assessment_id}/reopen", data={"csrf_token": admin.token, "reason": " "}
    )
    assert empty.status_code == 422
    assert "请填写重新开启的理由" in empty.get_data(as_text=True)
    summary_url = f"/assess/{assessment_id}/summary"
    done = admin.client.post(
        f"/admin/assessments/{assessment_id}/reopen",
        data={"csrf_token": admin.token, "reason": "漏评", "next": summary_url},
    )
    assert done.status_code == 302
    assert done.headers["Location"] == summary_url
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "in_progress"
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="assessment.reopen")).reason == "漏评"


def test_two_assessors_share_one_assessment_and_the_later_write_wins(app, assessor, assessment_id, make_user):
    make_user("second")
    other = Auth(app.test_client())
    other.login("second")
    save(assessor, assessment_id, "1.1.1", outcome="full")
    save(other, assessment_id, "2.1.1", outcome="full")
    save(other, assessment_id, "1.1.1", outcome="zero", note="复查发现问题")
    page = assessor.client.get(f"/assess/{assessment_id}/index").get_data(as_text=True)
    assert "2 / 14" not in page and "1 / 14" in page
    assert finding(app, assessment_id, "1.1.1").outcome == "zero"
    with app.app_context():
        team = [u.username for u in db.session.get(Assessment, assessment_id).team]
        assert team == ["assessor", "second"]
        assert db.session.query(AuditEvent).filter_by(action="finding.set", subject="1.1.1").count() == 2


@pytest.mark.parametrize(
    "path", ["/assess/", "/assess/1/", "/assess/1/items/1.1.1", "/assess/1/index", "/assess/1/summary"]
)
def test_staff_cannot_open_the_walk(client, auth, make_user, assessment_id, station_id, path):
    auth.logout()
    make_user("staff", role="staff", station_id=station_id)
    auth.login("staff")
    assert client.get(path).status_code == 403


def test_walk_needs_login(client):
    response = client.get("/assess/1/items/1.1.1")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_item_post_without_csrf_token_is_refused(app, assessor, assessment_id):
    response = assessor.client.post(f"/assess/{assessment_id}/items/1.1.1", data={"outcome": "full"})
    assert response.status_code == 400
    assert finding(app, assessment_id, "1.1.1") is None


def test_english_ui_keeps_the_form_text_in_chinese(assessor, assessment_id):
    token = csrf_token_from(assessor.client.get("/login").get_data(as_text=True))
    assessor.client.post("/language", data={"language": "en", "csrf_token": token})
    page = assessor.client.get(f"/assess/{assessment_id}/items/1.1.1").get_data(as_text=True)
    assert "Method and standard" in page
    assert "所(站)长岗位职责明确" in page and "职责明确且未发现问题" in page


def test_walk_change_replayed_through_the_api_is_applied_once(app, assessor, assessment_id):
    """The outbox resends a walk change whose answer was lost through the API, with the same id."""
    mutation_id = "6f1c2a3e-8d4b-4c1a-9e2f-1a2b3c4d5e6f"
    save(
        assessor, assessment_id, "1.1.1", headers=HTMX, outcome="zero", note="无文件", mutation_id=mutation_id
    )
    replay = assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/1.1.1",
        {"outcome": "zero", "note": "无文件", "inputs": None, "mutation_id": mutation_id},
    )
    assert replay.status_code == 200
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="finding.set", subject="1.1.1").count() == 1


def test_offline_url_list_covers_every_walk_page(assessor, assessment_id):
    urls = assessor.client.get(f"/assess/{assessment_id}/offline.json").get_json()["urls"]
    assert len(urls) == 61 + 2
    assert f"/assess/{assessment_id}/items/9.2.1" in urls and f"/assess/{assessment_id}/summary" in urls


def test_home_lists_only_assessments_this_assessor_works_on(
    app, assessor, assessment_id, make_user, make_station
):
    make_user("other")
    other = Auth(app.test_client())
    other.login("other")
    assert "广州市第一鉴定所" not in other.client.get("/assess/").get_data(as_text=True)
    found = other.client.get("/assess/?q=GZ01").get_data(as_text=True)
    assert "广州市第一鉴定所" in found


def test_item_that_leaves_not_applicable_out_says_so_on_its_button(tmp_path):

    from app.models import Station, User
    from tests.conftest import TEST_PASSWORD, make_test_app

    shipped = ROOT / "rubric" / "forms" / "station-quality-1.toml"
    forms = tmp_path / "forms"
    forms.mkdir()
    anchor = 'id = "6.3.2"\n'
    text = shipped.read_text(encoding="utf-8").replace(anchor, anchor + 'not_applicable = "scale_category"\n')
    (forms / "station-quality-1.toml").write_text(text, encoding="utf-8")
    app = make_test_app(tmp_path, RUBRIC_DIR=str(forms))
    with app.app_context():
        user = User(username="assessor", role="assessor")
        user.set_password(TEST_PASSWORD)
        db.session.add_all([Station(code="S1", name="一站"), user])
        db.session.commit()
    auth = Auth(app.test_client())
    auth.login("assessor")
    assessment_id = auth.post_json("/api/assessments", {"station_id": 1}).get_json()["id"]
    page = auth.client.get(f"/assess/{assessment_id}/items/6.3.2").get_data(as_text=True)
    button = page.split('id="outcome-not_applicable"')[1].split("</label>")[0]
    assert '<span class="outcome-points" aria-hidden="true">不计分</span>' in button
    assert 'aria-label="' in button and ' 不计分"' in button
    assert "不适用时本小项不计分，所属大项按比例折算。" in page


NOT_COUNTS = ["--5", "²", "1e3", " 5 ", "+5", "5.0", "٣", "0x5", "1000000000"]


@pytest.mark.parametrize("typed", NOT_COUNTS)
def test_a_count_that_is_not_plain_digits_is_refused_with_a_message_and_changes_nothing(
    app, assessor, assessment_id, typed
):
    """One rule (rubric.parse_count) for the no-JavaScript form, its htmx swap and the API."""
    for headers in ({}, HTMX):
        response = save(assessor, assessment_id, "4.1.1", headers=headers, **{"input-problems": typed})
        assert response.status_code == 422, (typed, headers)
        assert "“发现的问题数”必须是不小于零的整数。" in response.get_data(as_text=True)
    response = assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/4.1.1", {"inputs": {"problems": typed}, "note": ""}
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "“发现的问题数”必须是不小于零的整数。"
    assert finding(app, assessment_id, "4.1.1") is None


def test_the_api_refuses_a_count_above_the_maximum_the_form_refuses(app, assessor, assessment_id):
    from rubric import MAX_COUNT

    body = {"inputs": {"problems": MAX_COUNT + 1}, "note": ""}
    response = assessor.put_json(f"/api/assessments/{assessment_id}/findings/4.1.1", body)
    assert response.status_code == 422
    assert finding(app, assessment_id, "4.1.1") is None
