"""The assessor's home lists their finalized assessments: newest first, ten to a page, by station."""

from datetime import datetime, timedelta

from app.extensions import db
from app.models import FINALIZED, Assessment, User
from tests.conftest import Auth


def finalized(app, station_id, username, days_ago, score):
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        assessment = Assessment(
            station_id=station_id,
            rubric_id="station-quality",
            rubric_version="1",
            status=FINALIZED,
            lead_assessor=user,
            team=[user],
            started_at=datetime(2026, 6, 1) - timedelta(days=days_ago, hours=2),
            finalized_at=datetime(2026, 6, 1) - timedelta(days=days_ago),
            score=score,
        )
        db.session.add(assessment)
        db.session.commit()
        return assessment.id


def test_home_lists_finalized_assessments_newest_first(app, assessor, station_id, make_station):
    other = make_station("SH02", "上海鉴定站")
    finalized(app, station_id, "assessor", days_ago=30, score=81)
    finalized(app, other, "assessor", days_ago=2, score=92)
    page = assessor.client.get("/assess/").get_data(as_text=True)
    section = page.split('id="finished"')[1]
    assert section.index("上海鉴定站") < section.index("广州市第一鉴定所")
    assert "92 分" in section and "81 分" in section


def test_finished_list_pages_ten_at_a_time(app, assessor, station_id):
    ids = [finalized(app, station_id, "assessor", days_ago=day, score=60 + day) for day in range(12)]
    first = assessor.client.get("/assess/").get_data(as_text=True)
    assert first.count('href="/assess/', first.index('id="finished"')) >= 10
    assert f"/assess/{ids[0]}/result" in first and f"/assess/{ids[10]}/result" not in first
    assert "第 1 页，共 2 页" in first
    second = assessor.client.get("/assess/?page=2").get_data(as_text=True)
    assert f"/assess/{ids[10]}/result" in second and f"/assess/{ids[11]}/result" in second
    assert f"/assess/{ids[0]}/result" not in second


def test_finished_list_is_searchable_by_station_and_answers_htmx_with_the_list(
    app, assessor, station_id, make_station
):
    other = make_station("SH02", "上海鉴定站")
    finalized(app, station_id, "assessor", days_ago=3, score=81)
    finalized(app, other, "assessor", days_ago=2, score=92)
    response = assessor.client.get(
        "/assess/?finished=sh0", headers={"HX-Request": "true", "HX-Target": "finished"}
    )
    body = response.get_data(as_text=True)
    assert "<html" not in body and "上海鉴定站" in body and "广州市第一鉴定所" not in body
    assert "HX-Request" in response.headers["Vary"]
    nothing = assessor.client.get("/assess/?finished=100%").get_data(as_text=True)
    assert "没有与“100%”匹配" in nothing


def test_finished_list_shows_only_this_assessors_assessments(app, assessor, station_id, make_user):
    make_user("colleague")
    theirs = finalized(app, station_id, "colleague", days_ago=1, score=70)
    page = assessor.client.get("/assess/").get_data(as_text=True)
    assert f"/assess/{theirs}/result" not in page
    colleague = Auth(app.test_client())
    colleague.login("colleague")
    assert f"/assess/{theirs}/result" in colleague.client.get("/assess/").get_data(as_text=True)
