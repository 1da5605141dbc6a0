"""The review before 定稿 shows all that will be locked: every item, note, 不适用 reason and photo."""

from app.extensions import db
from app.models import Assessment, Station, User
from app.services import assessments
from app.services.photos import attach_photo, demo_photo
from app.services.rubrics import rubric_of
from tests.conftest import FORM_VERSION_1
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def walked(app):
    """CD004 scored: 1.1.1 not applicable with a reason, 5.3.1 lost with a photo, 2.1.1 full
    with a photo and a note, every other item full."""
    with app.app_context():
        station = db.session.scalar(db.select(Station).filter_by(code="CD004"))
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        assessment = assessments.start_assessment(station, user)
        special = {
            "1.1.1": ("not_applicable", "本所未设所长岗位，由上级中心代管。"),
            "5.3.1": ("zero", "标识缺失。"),
            "2.1.1": ("full", "制度齐全，已抽查三份。"),
        }
        for item in rubric_of(assessment).items:
            outcome, note = special.get(item.id, ("full", ""))
            assessments.record_finding(
                assessment, item.id, outcome=outcome, inputs=None, note=note, user=user
            )
        photos = [
            attach_photo(assessment, item_id, demo_photo(item_id, (800, 600)), user=user)
            for item_id in ("5.3.1", "2.1.1")
        ]
        db.session.commit()
        return assessment.id, [attached.photo.id for attached in photos]


@FORM_VERSION_1
def test_the_review_shows_every_item_the_not_applicable_reasons_and_every_photo(app, client, auth, demo):
    assessment_id, photo_ids = walked(app)
    log_in(auth, "assessor1")
    response = client.post(f"/assess/{assessment_id}/review", data={"csrf_token": auth.token})
    page = response.get_data(as_text=True)
    with app.app_context():
        items = rubric_of(db.session.get(Assessment, assessment_id)).items
    for item in items:
        assert f'data-item="{item.id}"' in page, item.id
    assert "本所未设所长岗位，由上级中心代管。" in page and "不适用" in page
    assert "制度齐全，已抽查三份。" in page
    for photo_id in photo_ids:
        assert f"/photos/{photo_id}/thumb" in page
        assert f'href="/photos/{photo_id}"' in page
