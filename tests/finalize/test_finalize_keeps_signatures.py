"""A 定稿 replaces only the sign-off it carries: what a phone kept for the other roles stays."""

from app.extensions import db
from app.models import Assessment
from tests.report_fixtures import complete_assessment, demo_data, log_in, png_data_url  # noqa: F401


def kept(app, assessment_id) -> dict:
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        return {s.role: (s.status, s.name, s.image is not None) for s in assessment.signatures}


def keep(auth, assessment_id, role, fields):
    response = auth.put_json(f"/api/assessments/{assessment_id}/signatures/{role}", fields)
    assert response.status_code == 200, response.get_json()


def test_an_api_finalize_naming_one_role_keeps_the_other_roles_signature(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    keep(auth, assessment_id, "station_representative", {"name": "刘主任", "image": png_data_url()})

    response = auth.post_json(
        f"/api/assessments/{assessment_id}/finalize",
        {"signatures": {"lead_assessor": {"name": "王建国", "image": png_data_url((500, 180))}}},
    )

    assert response.status_code == 200, response.get_json()
    assert kept(app, assessment_id) == {
        "lead_assessor": ("signed", "王建国", True),
        "station_representative": ("signed", "刘主任", True),
    }


def test_a_form_finalize_with_the_name_alone_keeps_the_drawn_signature(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    keep(auth, assessment_id, "lead_assessor", {"name": "王建国", "image": png_data_url()})

    response = client.post(
        f"/assess/{assessment_id}/finalize",
        data={
            "csrf_token": auth.token,
            "lead_assessor-name": "王建国",
            "station_representative-status": "signed",
        },
    )

    assert response.status_code == 302
    assert kept(app, assessment_id) == {"lead_assessor": ("signed", "王建国", True)}


def test_a_form_finalize_that_says_the_representative_refused_replaces_the_kept_drawing(
    app, client, auth, demo
):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    keep(auth, assessment_id, "station_representative", {"name": "刘主任", "image": png_data_url()})

    client.post(
        f"/assess/{assessment_id}/finalize",
        data={
            "csrf_token": auth.token,
            "station_representative-status": "refused",
            "station_representative-name": "刘主任",
            "station_representative-note": "不同意扣分。",
        },
    )

    assert kept(app, assessment_id) == {"station_representative": ("refused", "刘主任", False)}
