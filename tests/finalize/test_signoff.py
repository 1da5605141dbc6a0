"""Sign-off at finalize: signatures are optional, checked, stored, audited and shown on the report."""

import base64

import pytest

from app.extensions import db
from app.models import Assessment, AuditEvent, Signature
from tests.report_fixtures import complete_assessment, demo_data, log_in, png_data_url  # noqa: F401


def finalize(auth, assessment_id, signatures=None):
    payload = {} if signatures is None else {"signatures": signatures}
    return auth.post_json(f"/api/assessments/{assessment_id}/finalize", payload)


def stored(app, assessment_id):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        return assessment.status, {
            s.role: (s.status, s.name, s.note, bool(s.image)) for s in assessment.signatures
        }


def test_api_finalize_stores_both_signatures_and_audits_them(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = finalize(
        auth,
        assessment_id,
        {
            "lead_assessor": {"name": "王建国", "image": png_data_url()},
            "station_representative": {"name": "刘主任", "image": png_data_url((500, 180))},
        },
    )
    assert response.status_code == 200, response.get_json()
    status, signatures = stored(app, assessment_id)
    assert status == "finalized"
    assert signatures == {
        "lead_assessor": ("signed", "王建国", "", True),
        "station_representative": ("signed", "刘主任", "", True),
    }
    with app.app_context():
        actions = db.session.scalars(
            db.select(AuditEvent.action).filter_by(assessment_id=assessment_id)
        ).all()
    assert actions.count("signature.sign") == 2


def test_stored_signature_is_a_clean_png(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    finalize(auth, assessment_id, {"lead_assessor": {"name": "王建国", "image": png_data_url()}})
    with app.app_context():
        image = db.session.scalar(db.select(Signature.image).filter_by(assessment_id=assessment_id))
    assert image.startswith(b"\x89PNG\r\n\x1a\n")


def test_finalize_without_signatures_still_finalizes(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    assert finalize(auth, assessment_id).status_code == 200
    assert stored(app, assessment_id) == ("finalized", {})


@pytest.mark.parametrize(
    ("status", "wording"),
    [("absent", "所（站）代表缺席，未签字。"), ("refused", "所（站）代表拒绝签字。")],
)
def test_absent_or_refusing_representative_is_recorded_and_reported(app, client, auth, demo, status, wording):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = finalize(
        auth,
        assessment_id,
        {
            "lead_assessor": {"name": "王建国", "image": png_data_url()},
            "station_representative": {"status": status, "note": "所长外出开会。"},
        },
    )
    assert response.status_code == 200
    assert stored(app, assessment_id)[1]["station_representative"] == (status, "", "所长外出开会。", False)
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent).filter_by(action=f"signature.{status}")) is not None
    page = client.get(f"/reports/assessments/{assessment_id}").get_data(as_text=True)
    assert wording in page and "所长外出开会。" in page
    assert page.count('class="signature-image"') == 1


def test_report_without_signatures_leaves_places_to_sign(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    finalize(auth, assessment_id)
    page = client.get(f"/reports/assessments/{assessment_id}").get_data(as_text=True)
    assert page.count('<div class="sign-line"></div>') == 2


NOT_PNG = "data:image/png;base64," + base64.b64encode(b"GIF89a not really").decode()


@pytest.mark.parametrize(
    ("signature", "field"),
    [
        ({"name": "王", "image": "https://example.com/sig.png"}, "signatures.lead_assessor.image"),
        ({"name": "王", "image": png_data_url(fmt="JPEG")}, "signatures.lead_assessor.image"),
        ({"name": "王", "image": "data:image/png;base64,%%%notbase64"}, "signatures.lead_assessor.image"),
        ({"name": "王", "image": NOT_PNG}, "signatures.lead_assessor.image"),
        ({"name": "王", "image": png_data_url((20, 20))}, "signatures.lead_assessor.image"),
        ({"name": "王", "image": png_data_url((3000, 200))}, "signatures.lead_assessor.image"),
        ({"name": "王", "image": png_data_url(draw=False)}, "signatures.lead_assessor.image"),
        ({"name": "王" * 101}, "signatures.lead_assessor.name"),
        ({"status": "absent"}, "signatures.lead_assessor.status"),
        ({"status": "asleep"}, "signatures.lead_assessor.status"),
    ],
)
def test_bad_signature_is_refused_with_422_and_nothing_changes(app, client, auth, demo, signature, field):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = finalize(auth, assessment_id, {"lead_assessor": signature})
    assert response.status_code == 422
    assert response.get_json()["field"] == field
    assert response.get_json()["error"]
    assert stored(app, assessment_id) == ("in_progress", {})


def test_oversized_signature_is_refused(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    huge = "data:image/png;base64," + "A" * 500_000
    response = finalize(auth, assessment_id, {"lead_assessor": {"name": "王", "image": huge}})
    assert response.status_code == 422
    assert stored(app, assessment_id) == ("in_progress", {})


@pytest.mark.parametrize("payload", [["x"], {"witness": {"name": "x"}}, {"lead_assessor": "王"}])
def test_malformed_signatures_object_is_refused(app, client, auth, demo, payload):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    assert finalize(auth, assessment_id, payload).status_code == 422
    assert stored(app, assessment_id) == ("in_progress", {})


def test_representative_signing_needs_a_name(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = finalize(auth, assessment_id, {"station_representative": {"image": png_data_url()}})
    assert response.status_code == 422
    assert response.get_json()["field"] == "signatures.station_representative.name"


def test_summary_offers_the_signature_pads_before_the_finalize_button(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert page.index("data-signature-pad") < page.index('id="finalize-form"')
    assert 'name="lead_assessor-image" form="finalize-form"' in page
    assert "/static/js/pages/signature.js" in page


def test_plain_form_finalize_records_names_and_status_without_images(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = client.post(
        f"/assess/{assessment_id}/finalize",
        data={
            "csrf_token": auth.token,
            "lead_assessor-name": "王建国",
            "lead_assessor-image": "",
            "station_representative-status": "refused",
            "station_representative-name": "刘主任",
            "station_representative-note": "不同意 5.3.1 的扣分。",
        },
    )
    assert response.status_code == 302
    assert stored(app, assessment_id) == (
        "finalized",
        {
            "lead_assessor": ("signed", "王建国", "", False),
            "station_representative": ("refused", "刘主任", "不同意 5.3.1 的扣分。", False),
        },
    )


def test_plain_form_with_a_bad_signature_shows_the_error_and_stays_open(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = client.post(
        f"/assess/{assessment_id}/finalize",
        data={
            "csrf_token": auth.token,
            "lead_assessor-name": "王建国",
            "lead_assessor-image": "data:image/gif;base64,R0",
        },
    )
    assert response.status_code == 422
    assert "PNG" in response.get_data(as_text=True)
    assert stored(app, assessment_id) == ("in_progress", {})


def test_refinalizing_after_reopen_replaces_the_signatures(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    finalize(auth, assessment_id, {"lead_assessor": {"name": "王建国", "image": png_data_url()}})
    log_in(auth, "admin")
    client.post(
        f"/admin/assessments/{assessment_id}/reopen", data={"csrf_token": auth.token, "reason": "复核"}
    )
    assert stored(app, assessment_id)[0] == "in_progress"
    finalize(auth, assessment_id, {"station_representative": {"status": "absent"}})
    assert stored(app, assessment_id) == ("finalized", {"station_representative": ("absent", "", "", False)})
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="signature.clear")) is not None


def keep_signature(auth, assessment_id, role, fields, mutation_id="5f0c8e4e-3c9e-4a57-9a59-000000000001"):
    return auth.put_json(
        f"/api/assessments/{assessment_id}/signatures/{role}", {**fields, "mutation_id": mutation_id}
    )


def audit_count(app, assessment_id, action):
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count())
            .select_from(AuditEvent)
            .filter_by(assessment_id=assessment_id, action=action)
        )


def test_a_signature_sent_before_finalize_is_kept_and_shown_again_on_the_summary(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = keep_signature(
        auth, assessment_id, "station_representative", {"name": "刘主任", "image": png_data_url()}
    )
    assert response.status_code == 200, response.get_json()
    kept = {"station_representative": ("signed", "刘主任", "", True)}
    assert stored(app, assessment_id) == ("in_progress", kept)

    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert 'value="刘主任"' in page
    assert 'class="signature-kept" src="data:image/png;base64,' in page


def test_a_replayed_signature_is_kept_once(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    fields = {"name": "王建国", "image": png_data_url()}
    first = keep_signature(auth, assessment_id, "lead_assessor", fields)
    again = keep_signature(auth, assessment_id, "lead_assessor", fields)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert audit_count(app, assessment_id, "signature.sign") == 1


def test_an_emptied_pad_clears_the_kept_signature(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    keep_signature(auth, assessment_id, "station_representative", {"name": "刘主任", "image": png_data_url()})
    cleared = keep_signature(
        auth,
        assessment_id,
        "station_representative",
        {"name": "", "image": ""},
        mutation_id="5f0c8e4e-3c9e-4a57-9a59-000000000002",
    )
    assert cleared.status_code == 200
    assert cleared.get_json() == {"role": "station_representative", "signed": False}
    assert stored(app, assessment_id) == ("in_progress", {})
    assert audit_count(app, assessment_id, "signature.clear") == 1


def test_finalize_without_signatures_in_the_request_keeps_those_sent_before(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    keep_signature(auth, assessment_id, "lead_assessor", {"name": "王建国", "image": png_data_url()})
    assert finalize(auth, assessment_id).status_code == 200
    assert stored(app, assessment_id) == ("finalized", {"lead_assessor": ("signed", "王建国", "", True)})


@pytest.mark.parametrize(
    "role, fields, status",
    [
        ("lead_assessor", {"name": "王建国", "image": "data:image/gif;base64,R0lGOD"}, 422),
        ("lead_assessor", {"status": "absent"}, 422),
        ("lead_assessor", {"name": ["王建国"]}, 422),
        ("witness", {"name": "王建国"}, 404),
    ],
)
def test_a_bad_signature_is_refused_clearly_and_keeps_nothing(app, client, auth, demo, role, fields, status):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = keep_signature(auth, assessment_id, role, fields)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert stored(app, assessment_id) == ("in_progress", {})


def test_a_signature_sent_after_finalize_is_refused_and_changes_nothing(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    finalize(auth, assessment_id, {"lead_assessor": {"name": "王建国", "image": png_data_url()}})
    response = keep_signature(auth, assessment_id, "lead_assessor", {"name": "李四", "image": png_data_url()})
    assert response.status_code == 409
    assert stored(app, assessment_id) == ("finalized", {"lead_assessor": ("signed", "王建国", "", True)})


def test_station_staff_cannot_sign_for_the_assessors(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "staff1")
    fields = {"name": "王建国", "image": png_data_url()}
    response = keep_signature(auth, assessment_id, "lead_assessor", fields)
    assert response.status_code == 403
    assert stored(app, assessment_id) == ("in_progress", {})


def test_reopening_clears_the_sign_off_of_the_old_total(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    finalize(auth, assessment_id, {"lead_assessor": {"name": "王建国", "image": png_data_url()}})
    log_in(auth, "admin")
    reopen = {"csrf_token": auth.token, "reason": "复核"}
    client.post(f"/admin/assessments/{assessment_id}/reopen", data=reopen)
    assert stored(app, assessment_id) == ("in_progress", {})
    log_in(auth, "assessor1")
    assert "signature-kept" not in client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
