"""The dashboard's items losing points most often count across form versions where an item goes on
one to one (the same id, or renumbered), and say where they cannot (an item split or merged)."""

from app.extensions import db
from app.models import User
from app.services import dashboard, forms
from rubric import load_rubric_data, rubric_data, write_rubric_xlsx
from tests.admin.test_admin import finish_assessment


def renumbered_and_split(data: dict) -> dict:
    """1.2: 2.1.10 is renumbered 2.1.11; 3.5.2 takes over part of 3.5.1, which goes on too."""
    data = {**data, "version": "1.2"}
    for category in data["categories"]:
        for group in category["groups"]:
            for item in group["items"]:
                if item["id"] == "2.1.10":
                    item.update(id="2.1.11", code="2.1.11", earlier_ids=["2.1.10"])
                if item["id"] == "3.5.2":
                    item["earlier_ids"] = ["3.5.1"]
    return data


def publish_for_new_assessments(app, data: dict) -> None:
    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(role="admin"))
        workbook = write_rubric_xlsx(load_rubric_data(data))
        version = forms.upload("station-quality-1.2.xlsx", workbook, admin)
        forms.publish(version, admin)
        forms.choose(version, admin)
        db.session.commit()


def top_entries(app) -> list[dashboard.ItemDeductions]:
    with app.test_request_context():
        period = dashboard.Period.last_twelve_months()
        finalized = dashboard.summary(period)["assessments_finalized"]
        return dashboard.top_deductions(period, finalized)


def test_deductions_add_up_across_versions_where_items_go_on_and_not_where_they_were_split(
    app, make_user, make_station
):
    make_user("ann")
    make_user("boss", role="admin")
    station = make_station()
    finish_assessment(app, station, "ann", lost=("1.1.1", "2.1.10", "3.5.1"))
    with app.app_context():
        current = rubric_data(forms.rubric(forms.in_use()))
    publish_for_new_assessments(app, renumbered_and_split(current))
    finish_assessment(app, station, "ann", lost=("1.1.1", "2.1.11", "3.5.1"))

    top = top_entries(app)
    assert sorted((entry.item.id, entry.assessments) for entry in top) == [
        ("1.1.1", 2),
        ("2.1.11", 2),
        ("3.5.1", 1),
        ("3.5.1", 1),
    ]
    top = [(entry.item.id, entry.assessments, entry.only_version) for entry in top]
    assert ("1.1.1", 2, None) in top
    assert ("2.1.11", 2, None) in top
    assert ("3.5.1", 1, "1.1") in top
    assert ("3.5.1", 1, None) in top
