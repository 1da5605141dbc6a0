"""Making a plan, drawing it, verifying the draw, conflicts, visits, e-mail and published results."""

import csv
import io
import json
from datetime import datetime

import pytest

from app.extensions import db
from app.models import (
    FINALIZED,
    Assessment,
    AuditEvent,
    InspectionPlan,
    InspectorConflict,
    PlanDraw,
    Station,
    User,
    utcnow,
)
from app.services import plans
from tests.plans.conftest import create_plan, logged_in, plan_form, post
from tests.rectification.test_mail import subject, text_of

LOTTERY = "2026-12-06 双色球 03 07 11 19 24 31 + 09"


def draw(app, plan_id, value=LOTTERY, reason="", admin="hn_admin"):
    return post(logged_in(app, admin), f"/plans/{plan_id}/draw", {"public_value": value, "reason": reason})


def current(app, plan_id):
    with app.app_context():
        record = db.session.get(InspectionPlan, plan_id).current_draw
        return [(v.station.code, [u.username for u in v.team], v.lead.username) for v in record.visits]


def test_a_plan_is_drawn_from_its_inputs_and_the_draw_reproduces(app, land):
    plan_id = create_plan(app, land)
    response = draw(app, plan_id)
    assert response.status_code == 302
    with app.app_context():
        record = db.session.get(InspectionPlan, plan_id).current_draw
        assert record.inputs["public_value"] == LOTTERY
        assert record.inputs["stations"] == sorted(land.stations[c] for c in ("CS01", "CS02", "CS03", "ZZ01"))
        assert record.inputs["station_count"] == 2 and len(record.visits) == 2
        assert plans.verify(record).reproduced
        assert all(visit.lead in visit.team and len(visit.team) == 2 for visit in record.visits)
    page = logged_in(app, "hn_admin").client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert record.seed in page and "已抽取" in page


def test_flask_plans_verify_says_whether_the_draw_reproduces(app, land, runner):
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    result = runner.invoke(args=["plans", "verify", str(plan_id)])
    assert result.exit_code == 0 and "reproduces" in result.output
    with app.app_context():
        record = db.session.get(InspectionPlan, plan_id).current_draw
        record.result = list(reversed(record.result))
        db.session.commit()
    result = runner.invoke(args=["plans", "verify", str(plan_id)])
    assert result.exit_code == 1 and "DOES NOT reproduce" in result.output
    assert runner.invoke(args=["plans", "verify", "999"]).exit_code != 0


@pytest.mark.parametrize("size", ["1", "0", "", "x"])
def test_a_team_smaller_than_two_is_refused_with_a_clear_message(app, land, size):
    auth = logged_in(app, "hn_admin")
    response = post(auth, "/plans/new", plan_form(land, team_size=size))
    assert response.status_code == 422
    assert "评估组至少 2 人" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(InspectionPlan.id))) == 0


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"period_end": "2026-09-01"}, "period_end"),
        ({"form_version": "station-quality@9"}, "form_version"),
        ({"draw_count": "", "draw_percent": ""}, "draw_count"),
        ({"draw_percent": "150", "draw_count": ""}, "draw_percent"),
        ({"inspectors": ["999999"]}, "inspectors"),
        ({"visit_start": "tomorrow"}, "visit_start"),
        ({"region_code": "GD"}, "region_code"),
    ],
)
def test_bad_plan_fields_are_refused_and_change_nothing(app, land, changes, field):
    response = post(logged_in(app, "hn_admin"), "/plans/new", plan_form(land, **changes))
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(InspectionPlan.id))) == 0


def test_conflicted_and_own_station_inspectors_are_never_drawn_and_each_exclusion_is_kept(app, land):
    with app.app_context():
        li = db.session.get(User, land.users["li"])
        li.station_id = land.stations["CS02"]
        db.session.commit()
    declare = post(logged_in(app, "li"), "/plans/conflicts", {"station_code": "CS01", "kind": "trained"})
    assert declare.status_code == 302
    plan_id = create_plan(app, land, draw_count="4")
    for n in range(12):
        assert (
            draw(app, plan_id, value=f"{LOTTERY} #{n}", reason="" if n == 0 else f"复核 {n}").status_code
            == 302
        )
        for station, team, _lead in current(app, plan_id):
            if station in ("CS01", "CS02"):
                assert "li" not in team
    with app.app_context():
        record = db.session.get(InspectionPlan, plan_id).current_draw
        li_id = land.users["li"]
        assert [land.stations["CS01"], li_id, "trained"] in record.inputs["conflicts"]
        assert [land.stations["CS02"], li_id, "staff_of_station"] in record.inputs["conflicts"]


def test_a_tie_that_ended_before_the_plans_years_no_longer_counts(app, land):
    with app.app_context():
        db.session.add_all(
            [
                InspectorConflict(
                    user_id=land.users["li"],
                    station_id=land.stations["CS01"],
                    kind="worked",
                    ended_on=db.func.date("2020-01-01"),
                ),
                InspectorConflict(
                    user_id=land.users["wang"],
                    station_id=land.stations["CS01"],
                    kind="worked",
                    ended_on=db.func.date("2024-06-01"),
                ),
            ]
        )
        db.session.commit()
    plan_id = create_plan(app, land, conflict_years="3")
    draw(app, plan_id)
    with app.app_context():
        conflicts = db.session.get(InspectionPlan, plan_id).current_draw.inputs["conflicts"]
    assert conflicts == [[land.stations["CS01"], land.users["wang"], "worked"]]


def test_a_redraw_needs_a_reason_and_keeps_the_first_draw_beside_it(app, land):
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    first = current(app, plan_id)
    refused = draw(app, plan_id, value="another")
    assert refused.status_code == 422 and "重新抽取须说明理由" in refused.get_data(as_text=True)
    assert draw(app, plan_id, value="another", reason="公开值录入有误").status_code == 302
    with app.app_context():
        records = db.session.scalars(
            db.select(PlanDraw).filter_by(plan_id=plan_id).order_by(PlanDraw.number)
        ).all()
        assert [(r.number, r.reason) for r in records] == [(1, ""), (2, "公开值录入有误")]
        assert [
            (v.station.code, [u.username for u in v.team], v.lead.username) for v in records[0].visits
        ] == first
        actions = db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.action.like("plan.%"))
        ).all()
        assert actions == ["plan.create", "plan.draw", "plan.redraw"]


def test_a_draw_without_a_public_value_or_with_too_few_free_inspectors_is_refused(app, land):
    plan_id = create_plan(app, land, draw_count="9")
    assert "请填写抽取所依据的公开值" in draw(app, plan_id, value=" ").get_data(as_text=True)
    response = draw(app, plan_id)
    assert response.status_code == 422 and "范围内只有 4 个" in response.get_data(as_text=True)


def test_a_drawn_inspector_starts_the_visit_with_the_plans_form_version_and_team(app, land):
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    station, team, lead = current(app, plan_id)[0]
    member = logged_in(app, team[-1])
    home = member.client.get("/assess/").get_data(as_text=True)
    assert "被抽中的检查" in home and f"{station} 鉴定站" in home
    with app.app_context():
        visit = db.session.get(InspectionPlan, plan_id).current_draw.visits[0]
        visit_id = visit.id
    outsider = next(n for n in ("li", "wang", "zhao", "qian") if n not in team)
    assert post(logged_in(app, outsider), f"/plans/visits/{visit_id}/start").status_code == 404
    response = post(member, f"/plans/visits/{visit_id}/start")
    assert response.status_code == 302
    with app.app_context():
        assessment = db.session.scalar(db.select(Assessment))
        assert (assessment.rubric_id, assessment.rubric_version) == ("station-quality", "1")
        assert sorted(u.username for u in assessment.team) == sorted(team)
        assert assessment.lead_assessor.username == lead
        assert response.location.endswith(f"/assess/{assessment.id}/")
    assert post(member, f"/plans/visits/{visit_id}/start").status_code == 302
    page = logged_in(app, "hn_admin").client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "进行中" in page


def finalize_directly(app, plan_id, score=88):
    """The visit's assessment as finalized (the 定稿 itself is checked in tests/finalize)."""
    with app.app_context():
        visit = db.session.get(InspectionPlan, plan_id).current_draw.visits[0]
        lead = visit.lead
        assessment = plans.start_visit(visit, lead)
        assessment.status, assessment.finalized_at, assessment.score = FINALIZED, utcnow(), score
        db.session.commit()


def test_visits_are_shown_finalized_or_overdue(app, land):
    plan_id = create_plan(app, land, visit_start="2020-01-01", visit_end="2020-01-31")
    draw(app, plan_id)
    finalize_directly(app, plan_id)
    page = logged_in(app, "hn_admin").client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert page.count('class="badge visit-status">已定稿<') == 1
    assert page.count('class="badge visit-status">已逾期<') == 1


def test_the_drawn_team_gets_an_e_mail(app, land, inbox):
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    visits = current(app, plan_id)
    messages = inbox.wait_for(2)
    assert all(subject(message).startswith("您被抽中检查") for _, message in messages)
    assert "检查时间：2026-12-01 至 2026-12-20" in text_of(messages[0][1])
    assert sorted(tuple(recipients) for recipients, _ in messages) == sorted(
        tuple(sorted(f"{name}@assess.test" for name in team)) for _, team, _ in visits
    )


PUBLIC_FIELDS = {"station_id", "station_code", "station_name", "date", "total", "rectification"}


def test_published_results_show_only_their_fields_to_anyone_and_are_audited(app, land):
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    finalize_directly(app, plan_id, score=91)
    anonymous = app.test_client()
    assert anonymous.get(f"/plans/public/{plan_id}").status_code == 404
    admin = logged_in(app, "hn_admin")
    assert post(admin, f"/plans/{plan_id}/publish").status_code == 302
    page = anonymous.get(f"/plans/public/{plan_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    with app.app_context():
        record = db.session.get(InspectionPlan, plan_id).current_draw
        seed, inputs = record.seed, record.inputs
        names = [u.name for u in db.session.scalars(db.select(User).where(User.role == "assessor"))]
    assert seed in text and "<script" not in text.split("<main")[1]
    assert not any(name in text for name in names)
    body = anonymous.get(f"/plans/public/{plan_id}.json").get_json()
    assert set(body) == {"plan", "draw", "stations"}
    assert set(body["plan"]) == {"id", "name", "period"}
    assert body["draw"]["inputs"] == inputs and body["draw"]["seed"] == seed
    assert all(set(row) == PUBLIC_FIELDS for row in body["stations"])
    assert [row["total"] for row in body["stations"]] == [91, None]
    rows = list(
        csv.DictReader(
            io.StringIO(anonymous.get(f"/plans/public/{plan_id}.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    assert set(rows[0]) == PUBLIC_FIELDS and rows[0]["total"] == "91" and rows[0]["rectification"] == "none"
    assert (
        json.loads(text.split('<pre class="draw-inputs">')[1].split("</pre>")[0].replace("&#34;", '"'))
        == inputs
    )
    assert post(admin, f"/plans/{plan_id}/withdraw").status_code == 302
    assert anonymous.get(f"/plans/public/{plan_id}").status_code == 404
    assert anonymous.get(f"/plans/public/{plan_id}.json").status_code == 404
    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent.action, AuditEvent.user_id).where(
                AuditEvent.action.in_(["plan.publish", "plan.withdraw"])
            )
        ).all()
    assert events == [("plan.publish", land.users["hn_admin"]), ("plan.withdraw", land.users["hn_admin"])]


def test_a_plan_cannot_be_published_before_it_is_drawn(app, land):
    plan_id = create_plan(app, land)
    assert post(logged_in(app, "hn_admin"), f"/plans/{plan_id}/publish").status_code == 409


def test_a_complaint_flag_narrows_the_scope(app, land):
    admin = logged_in(app, "hn_admin")
    assert post(admin, "/plans/flags", {"station_code": "CS02", "reason": "考生投诉"}).status_code == 302
    assert post(admin, "/plans/flags", {"station_code": "GD01", "reason": "x"}).status_code == 422
    plan_id = create_plan(app, land, complaints_only="1", draw_count="1")
    draw(app, plan_id)
    assert [station for station, _, _ in current(app, plan_id)] == ["CS02"]
    with app.app_context():
        flag_id = land.stations["CS02"]
    assert post(admin, f"/plans/flags/{flag_id}/remove").status_code == 302
    assert "CS02" not in admin.client.get("/plans/flags").get_data(as_text=True).split('id="flagged"')[1]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"draw_count": "²"}, "draw_count"),
        ({"draw_count": "9" * 5000}, "draw_count"),
        ({"team_size": "2" * 5000}, "team_size"),
        ({"conflict_years": "-1"}, "conflict_years"),
        ({"period_start": "0001-01-01"}, "period_start"),
        ({"inspectors": ["1" * 300]}, "inspectors"),
    ],
)
def test_hostile_numbers_and_dates_are_refused_never_a_500(app, land, changes, field):
    response = post(logged_in(app, "hn_admin"), "/plans/new", plan_form(land, **changes))
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.get_data(as_text=True)


def test_a_plan_whose_visit_started_is_not_drawn_again(app, land):
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    finalize_directly(app, plan_id)
    response = draw(app, plan_id, value="again", reason="想换一批")
    assert response.status_code == 409 and "本次抽取的检查已开始" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(InspectionPlan, plan_id).draws) == 1


def test_stations_inspected_since_the_plans_day_are_out_of_scope(app, land):
    with app.app_context():
        station = db.session.get(Station, land.stations["CS01"])
        lead = db.session.get(User, land.users["li"])
        assessment = Assessment(
            station=station, rubric_id="station-quality", rubric_version="1", lead_assessor=lead
        )
        assessment.status, assessment.finalized_at, assessment.score = (
            FINALIZED,
            datetime(2026, 3, 5, 9, 30),
            80,
        )
        db.session.add(assessment)
        db.session.commit()
    for day, in_scope in [
        ("2026-03-05", ["CS02", "CS03", "ZZ01"]),
        ("2026-03-06", ["CS01", "CS02", "CS03", "ZZ01"]),
    ]:
        plan_id = create_plan(app, land, last_inspected_before=day)
        with app.app_context():
            scope = plans.scope(db.session.get(InspectionPlan, plan_id))
            assert [s.code for s in scope] == in_scope, day


def test_a_plan_names_only_a_published_form_version_never_a_draft(app, land):
    from app.services import forms
    from rubric import load_rubric_data, rubric_data, write_rubric_xlsx

    with app.app_context():
        admin = db.session.get(User, land.users["hn_admin"])
        draft = {**rubric_data(forms.rubric(forms.in_use())), "version": "1.9"}
        forms.upload("station-quality-1.9.xlsx", write_rubric_xlsx(load_rubric_data(draft)), admin)
        db.session.commit()
    page = logged_in(app, "hn_admin").client.get("/plans/new").get_data(as_text=True)
    assert "station-quality@1.1" in page and "station-quality@1.9" not in page
    response = post(
        logged_in(app, "hn_admin"), "/plans/new", plan_form(land, form_version="station-quality@1.9")
    )
    assert response.status_code == 422
    assert 'data-field="form_version"' in response.get_data(as_text=True)
