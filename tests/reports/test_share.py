"""Share links: read-only, expiring, revocable links to one finalized report, every use audited."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import RECTIFICATION, Assessment, AuditEvent, Photo, ShareLink, utcnow
from app.services import shares
from tests.report_fixtures import complete_assessment, demo_data, log_in  # noqa: F401


def create_link(client, auth, assessment_id, days=30):
    return client.post(f"/assess/{assessment_id}/shares", data={"csrf_token": auth.token, "days": days})


def only_link(app) -> ShareLink:
    with app.app_context():
        return db.session.scalar(db.select(ShareLink))


def audit_actions(app, action):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent).filter_by(action=action)).all()


@pytest.fixture
def shared(app, client, auth, demo):
    """assessor1 shares BJ001's finalized report; the client is logged out afterwards."""
    log_in(auth, "assessor1")
    assert create_link(client, auth, demo.finalized).status_code == 302
    token = token_on(client.get(f"/assess/{demo.finalized}/result").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": auth.token})
    return SimpleNamespace(id=only_link(app).id, token=token)


def token_on(page: str) -> str:
    """The token of the link just made: the page after making it shows its address, once."""
    (token,) = set(re.findall(r"/shared/([A-Za-z0-9_-]{20,})", page))
    return token


def test_assessor_creates_a_link_listed_on_the_assessment_and_audited(app, client, auth, demo):
    log_in(auth, "assessor1")
    response = create_link(client, auth, demo.finalized, days=7)
    assert response.headers["Location"] == f"/assess/{demo.finalized}/result#share"
    link = only_link(app)
    assert timedelta(days=6, hours=23) < link.expires_at - utcnow() <= timedelta(days=7)
    page = client.get(f"/assess/{demo.finalized}/result").get_data(as_text=True)
    assert shares.digest(token_on(page)) == link.token_sha256 and "撤回" in page
    assert len(audit_actions(app, "share.create")) == 1


def test_admin_can_share_and_staff_cannot(app, client, auth, demo):
    log_in(auth, "admin")
    assert create_link(client, auth, demo.finalized).status_code == 302
    log_in(auth, "staff1")
    assert create_link(client, auth, demo.finalized).status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ShareLink)) == 1


def test_an_assessment_in_progress_cannot_be_shared(app, client, auth, demo):
    log_in(auth, "assessor1")
    response = create_link(client, auth, demo.in_progress)
    assert response.status_code == 409
    assert "只有已定稿的评估可以分享" in response.get_data(as_text=True)
    assert only_link(app) is None


@pytest.mark.parametrize("days", ["0", "366", "x", ""])
def test_a_bad_number_of_days_is_refused_and_creates_nothing(app, client, auth, demo, days):
    log_in(auth, "assessor1")
    response = create_link(client, auth, demo.finalized, days=days)
    assert response.status_code == 422
    assert only_link(app) is None


def test_anyone_with_the_link_reads_the_report_and_pdf_and_each_use_is_audited(app, client, shared, demo):
    response = client.get(f"/shared/{shared.token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "北京" in page or "BJ001" in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert f"/shared/{shared.token}/photos/{demo.photo}" in page
    assert client.get(f"/shared/{shared.token}/photos/{demo.photo}").status_code == 200
    pdf = client.get(f"/shared/{shared.token}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    uses = audit_actions(app, "share.view")
    # The photos a report page shows are part of that one view; the PDF is a view of its own.
    assert [use.after["what"] for use in uses] == ["report", "pdf"]
    assert all(use.user_id is None and use.assessment_id == demo.finalized for use in uses)


def test_opening_an_evidence_photo_through_the_link_is_audited_with_the_photo(app, client, shared, demo):
    assert client.get(f"/shared/{shared.token}/photos/{demo.photo}").status_code == 200
    (use,) = audit_actions(app, "share.view")
    assert use.after == {"what": "photo", "photo_id": demo.photo}
    assert use.subject == str(shared.id) and use.user_id is None and use.assessment_id == demo.finalized


def test_a_photo_the_link_does_not_reach_is_not_recorded_as_a_use(app, client, shared, demo):
    assert client.get(f"/shared/{shared.token}/photos/999999").status_code == 404
    assert audit_actions(app, "share.view") == []


def test_the_link_reaches_no_photo_of_another_assessment(app, client, shared, demo):
    other = complete_assessment(app)
    with app.app_context():
        other_photo = db.session.get(Assessment, other).finding_for("5.3.1").photos[0].id
    assert client.get(f"/shared/{shared.token}/photos/{other_photo}").status_code == 404
    assert client.get(f"/shared/{shared.token}/photos/999999").status_code == 404


def test_the_link_reaches_no_rectification_photo(app, client, shared, demo):
    with app.app_context():
        photo = db.session.scalar(db.select(Photo).filter_by(purpose=RECTIFICATION))
    assert photo is not None, "the demo has an answered rectification with a photo"
    assert client.get(f"/shared/{shared.token}/photos/{photo.id}").status_code == 404


def test_the_link_opens_no_other_page_and_writes_nothing(app, client, shared, demo):
    client.get(f"/shared/{shared.token}")
    for url in (
        "/assess/",
        f"/assess/{demo.finalized}/summary",
        f"/reports/assessments/{demo.finalized}",
        f"/reports/assessments/{demo.in_progress}",
        f"/photos/{demo.photo}/image",
        f"/station/assessments/{demo.finalized}",
        "/admin/",
    ):
        assert client.get(url).status_code in (302, 401), url
    assert client.get(f"/api/assessments/{demo.finalized}").status_code == 401
    assert client.post(f"/shared/{shared.token}").status_code in (400, 405)
    assert client.put(f"/shared/{shared.token}/photos/{demo.photo}").status_code in (400, 405)
    page = client.get(f"/shared/{shared.token}").get_data(as_text=True)
    assert page.count("<form") == 1 and 'class="lang-switch"' in page


@pytest.mark.parametrize("spoil", ["expire", "revoke", "reopen"])
def test_an_expired_withdrawn_or_reopened_link_answers_404(app, client, auth, shared, demo, spoil):
    if spoil == "expire":
        with app.app_context():
            db.session.get(ShareLink, shared.id).expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
    elif spoil == "revoke":
        log_in(auth, "assessor1")
        response = client.post(
            f"/assess/{demo.finalized}/shares/{shared.id}/revoke", data={"csrf_token": auth.token}
        )
        assert response.status_code == 302
        assert len(audit_actions(app, "share.revoke")) == 1
        assert "撤回" in client.get(f"/assess/{demo.finalized}/result").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": auth.token})
    else:
        log_in(auth, "admin")
        response = client.post(
            f"/admin/assessments/{demo.finalized}/reopen", data={"csrf_token": auth.token, "reason": "复核"}
        )
        assert response.status_code in (302, 303)
        client.post("/logout", data={"csrf_token": auth.token})
    for url in (
        f"/shared/{shared.token}",
        f"/shared/{shared.token}.pdf",
        f"/shared/{shared.token}/photos/{demo.photo}",
    ):
        assert client.get(url).status_code == 404, url
    assert "该链接不存在、已过期或已撤回" in client.get(f"/shared/{shared.token}").get_data(as_text=True)


def test_unknown_token_answers_404(client, demo):
    assert client.get("/shared/not-a-token").status_code == 404


def test_a_link_is_revoked_only_through_its_own_assessment(app, client, auth, shared, demo):
    log_in(auth, "assessor1")
    response = client.post(
        f"/assess/{demo.in_progress}/shares/{shared.id}/revoke", data={"csrf_token": auth.token}
    )
    assert response.status_code == 404
    assert only_link(app).revoked_at is None


def test_the_timeline_names_share_events(app, client, auth, shared, demo):
    client.get(f"/shared/{shared.token}")
    log_in(auth, "admin")
    page = client.get(f"/admin/assessments/{demo.finalized}").get_data(as_text=True)
    assert "创建了分享链接" in page and "有人打开了分享链接" in page


def test_the_shared_pdf_is_the_kept_report_and_its_name_survives_a_chinese_station_code(
    app, client, shared, demo, monkeypatch
):
    from app.services.reports import pdf

    drawn = []
    real_render = pdf.render_pdf
    monkeypatch.setattr(pdf, "render_pdf", lambda *a, **k: drawn.append(1) or real_render(*a, **k))
    with app.app_context():
        db.session.get(Assessment, demo.finalized).station.code = "京A01"
        db.session.commit()

    first, second = client.get(f"/shared/{shared.token}.pdf"), client.get(f"/shared/{shared.token}.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(drawn) == 1
    header = first.headers["Content-Disposition"]
    assert header.isascii() and "filename*=UTF-8''report-%E4%BA%ACA01" in header
