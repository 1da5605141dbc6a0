"""Rectification (整改): staff answer deductions with text and photos; assessors accept them or not."""

import io
import re
import uuid

import pytest

from app.extensions import db
from app.models import EVIDENCE, RECTIFICATION, Assessment, AuditEvent, Photo, Rectification
from app.services.photos import demo_photo
from app.services.rectifications import status_of
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def answer(client, auth, assessment_id, item_id, text="已整改。", photos=()):
    data = {"csrf_token": auth.token, "text": text}
    data["photo"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post(
        f"/station/assessments/{assessment_id}/items/{item_id}/rectification",
        data=data,
        content_type="multipart/form-data",
    )


def review(client, auth, rectification_id, decision, comment=""):
    return client.post(
        f"/station/rectifications/{rectification_id}/review",
        data={"csrf_token": auth.token, "decision": decision, "comment": comment},
    )


def status(app, assessment_id, item_id):
    with app.app_context():
        return status_of(db.session.get(Assessment, assessment_id).finding_for(item_id))


def latest(app, assessment_id, item_id):
    with app.app_context():
        return db.session.scalars(
            db.select(Rectification.id).filter_by(assessment_id=assessment_id, item_id=item_id)
        ).all()[-1]


def actions(app):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent.action)).all()


def test_demo_has_one_answered_rectification(app, demo):
    assert status(app, demo.finalized, "5.3.1") == "answered"
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_staff_answers_a_deduction_with_a_photo(app, client, auth, demo):
    log_in(auth, "staff1")
    response = answer(
        client, auth, demo.finalized, "4.1.1", "车床防护罩已重新安装。", [demo_photo("fixed", (800, 600))]
    )
    assert response.status_code == 303
    assert status(app, demo.finalized, "4.1.1") == "answered"
    with app.app_context():
        finding = db.session.get(Assessment, demo.finalized).finding_for("4.1.1")
        rectification = finding.rectifications[-1]
        assert rectification.text == "车床防护罩已重新安装。"
        assert [p.purpose for p in rectification.photos] == [RECTIFICATION]
        assert all(p.purpose == EVIDENCE for p in finding.photos)
        photo_id = rectification.photos[0].id
    assert "rectification.answer" in actions(app)
    page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
    assert "车床防护罩已重新安装。" in page and f"/photos/{photo_id}/thumb" in page
    assert client.get(f"/photos/{photo_id}").status_code == 200
    assert client.get(f"/photos/{photo_id}/image").status_code == 200


def test_rectification_photos_are_not_evidence(app, client, auth, demo):
    log_in(auth, "staff1")
    answer(client, auth, demo.finalized, "4.1.1", photos=[demo_photo("fixed", (800, 600))])
    log_in(auth, "assessor1")
    body = client.get(f"/api/assessments/{demo.finalized}").get_json()
    report = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    with app.app_context():
        rectification_photo = db.session.scalar(db.select(Photo.id).filter_by(purpose=RECTIFICATION))
    assert f"/photos/{rectification_photo}/" not in str(body)
    assert f"/photos/{rectification_photo}/image" not in report


def test_staff_of_another_station_cannot_answer(app, client, auth, demo):
    log_in(auth, "staff2")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 404
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_assessor_cannot_answer_a_deduction(app, client, auth, demo):
    log_in(auth, "assessor1")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 403
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_staff_cannot_review(app, client, auth, demo):
    log_in(auth, "staff1")
    assert review(client, auth, latest(app, demo.finalized, "5.3.1"), "accepted").status_code == 403
    assert status(app, demo.finalized, "5.3.1") == "answered"


def test_staff_cannot_answer_an_in_progress_assessment(app, client, auth, demo):
    log_in(auth, "staff2")
    assert answer(client, auth, demo.in_progress, "1.1.1").status_code == 404


def test_item_without_deduction_cannot_be_answered(app, client, auth, demo):
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "1.1.1").status_code == 404
    # 6.3.2 is 不适用: nothing to rectify.
    assert answer(client, auth, demo.finalized, "6.3.2").status_code == 404


def test_answer_needs_text(app, client, auth, demo):
    log_in(auth, "staff1")
    response = answer(client, auth, demo.finalized, "4.1.1", text="  ")
    assert response.status_code == 422
    assert "请说明整改了什么。" in response.get_data(as_text=True)
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_answer_with_a_file_that_is_not_a_photo_stores_nothing(app, client, auth, demo):
    log_in(auth, "staff1")
    response = answer(client, auth, demo.finalized, "4.1.1", photos=[b"%PDF-1.4 not a photo"])
    assert response.status_code == 415
    assert status(app, demo.finalized, "4.1.1") == "open"
    assert "这个文件不是照片" in response.get_data(as_text=True)


def test_answered_deduction_waits_for_review_before_another_answer(app, client, auth, demo):
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "5.3.1").status_code == 409


def test_assessor_accepts_an_answer(app, client, auth, demo):
    log_in(auth, "assessor2")
    response = review(client, auth, latest(app, demo.finalized, "5.3.1"), "accepted", "现场核实。")
    assert response.status_code == 303
    assert status(app, demo.finalized, "5.3.1") == "accepted"
    assert "rectification.review" in actions(app)
    log_in(auth, "staff1")
    page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
    section = page.split('id="item-5.3.1"')[1].split("</article>")[0]
    assert "已认可" in section and "现场核实。" in section and "提交整改答复" not in section
    assert answer(client, auth, demo.finalized, "5.3.1").status_code == 409


def test_not_accepted_needs_a_comment(app, client, auth, demo):
    log_in(auth, "assessor1")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), "not_accepted")
    assert status(app, demo.finalized, "5.3.1") == "answered"


def test_not_accepted_answer_can_be_answered_again(app, client, auth, demo):
    log_in(auth, "admin")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), "not_accepted", "二楼仍缺标识。")
    assert status(app, demo.finalized, "5.3.1") == "not_accepted"
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "5.3.1", "二楼标识也已更换。").status_code == 303
    assert status(app, demo.finalized, "5.3.1") == "answered"
    with app.app_context():
        history = db.session.get(Assessment, demo.finalized).finding_for("5.3.1").rectifications
        assert [(r.review, r.text) for r in history] == [
            ("not_accepted", "三楼考场引导标识已全部更换为新标识牌。"),
            (None, "二楼标识也已更换。"),
        ]


def test_a_reviewed_answer_cannot_be_reviewed_twice(app, client, auth, demo):
    log_in(auth, "assessor1")
    rectification_id = latest(app, demo.finalized, "5.3.1")
    review(client, auth, rectification_id, "accepted")
    review(client, auth, rectification_id, "not_accepted", "改主意")
    assert status(app, demo.finalized, "5.3.1") == "accepted"
    assert actions(app).count("rectification.review") == 1


@pytest.mark.parametrize("decision", ["", "maybe"])
def test_review_needs_a_known_decision(app, client, auth, demo, decision):
    log_in(auth, "assessor1")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), decision, "x")
    assert status(app, demo.finalized, "5.3.1") == "answered"


def test_summary_lists_answers_waiting_for_review(app, client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{demo.finalized}/summary").get_data(as_text=True)
    section = page.split('id="rectification-reviews"')[1]
    assert "三楼考场引导标识已全部更换为新标识牌。" in section
    assert 'value="accepted"' in section and 'value="not_accepted"' in section
    reviews = client.get("/assess/reviews").get_data(as_text=True)
    assert "三楼考场引导标识已全部更换为新标识牌。" in reviews


def test_reviews_page_is_for_assessors(app, client, auth, demo):
    log_in(auth, "staff1")
    assert client.get("/assess/reviews").status_code == 403


def test_both_sides_see_every_deduction_status(app, client, auth, demo):
    for username in ("staff1", "assessor1"):
        log_in(auth, username)
        page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
        assert 'data-status="open"' in page and 'data-status="answered"' in page


def test_assessor_home_links_to_answers_waiting_for_review(app, client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get("/assess/").get_data(as_text=True)
    assert "/assess/reviews" in page and "所（站）整改答复待审核" in page


def send_photo_ahead(client, auth, assessment_id, item_id, data, mutation_id, **fields):
    """A photo as the phone's outbox sends it, ahead of the answer that will name it."""
    return client.post(
        f"/station/assessments/{assessment_id}/items/{item_id}/rectification/photos",
        data={"photo": (io.BytesIO(data), "photo.jpg"), "mutation_id": mutation_id, **fields},
        headers={**auth.headers(), "Accept": "application/json"},
        content_type="multipart/form-data",
    )


def answer_json(auth, assessment_id, item_id, **body):
    """The answer as the phone's outbox sends it."""
    return auth.client.post(
        f"/station/assessments/{assessment_id}/items/{item_id}/rectification",
        json=body,
        headers={**auth.headers(), "Accept": "application/json"},
    )


def rectification_photos(app, assessment_id, item_id):
    with app.app_context():
        rectifications = db.session.get(Assessment, assessment_id).finding_for(item_id).rectifications
        return [[(p.width, p.height, p.purpose) for p in r.photos] for r in rectifications]


def test_outbox_sends_photos_ahead_then_the_answer_that_names_them_each_once(app, client, auth, demo):
    log_in(auth, "staff1")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for mutation_id, size in ((first, (800, 600)), (second, (600, 800))):
        for _ in range(2):
            sent = send_photo_ahead(
                client, auth, demo.finalized, "4.1.1", demo_photo("ok", size), mutation_id
            )
            assert sent.status_code == 201, sent.get_json()
    assert status(app, demo.finalized, "4.1.1") == "open", "a photo sent ahead is no answer yet"
    body = {"text": "防护罩已装回。", "photos": [first, second], "mutation_id": str(uuid.uuid4())}
    replies = [answer_json(auth, demo.finalized, "4.1.1", **body) for _ in range(2)]
    assert [r.status_code for r in replies] == [201, 201]
    assert replies[0].get_json() == replies[1].get_json()
    assert replies[0].get_json()["status"] == "answered"
    assert rectification_photos(app, demo.finalized, "4.1.1") == [
        [(800, 600, RECTIFICATION), (600, 800, RECTIFICATION)]
    ]
    assert actions(app).count("rectification.answer") == 2  # the demo's answer to 5.3.1, and this one


def test_photo_sent_ahead_keeps_the_capture_time_the_phone_read(app, client, auth, demo):
    log_in(auth, "staff1")
    mutation_id = str(uuid.uuid4())
    send_photo_ahead(
        client,
        auth,
        demo.finalized,
        "4.1.1",
        demo_photo("ok"),
        mutation_id,
        taken_at="2026-11-20T09:41:05+08:00",
    )
    answer_json(
        auth, demo.finalized, "4.1.1", text="已整改。", photos=[mutation_id], mutation_id=str(uuid.uuid4())
    )
    with app.app_context():
        (photo,) = db.session.get(Assessment, demo.finalized).finding_for("4.1.1").rectifications[-1].photos
        assert photo.taken_at.isoformat() == "2026-11-20T01:41:05"


def test_answer_naming_a_photo_that_never_arrived_is_refused_and_changes_nothing(app, client, auth, demo):
    log_in(auth, "staff1")
    reply = answer_json(
        auth,
        demo.finalized,
        "4.1.1",
        text="已整改。",
        photos=[str(uuid.uuid4())],
        mutation_id=str(uuid.uuid4()),
    )
    assert reply.status_code == 422
    assert reply.get_json()["code"] == "photo_missing"
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_answer_cannot_take_a_photo_another_user_sent(app, client, auth, demo, make_user):
    make_user("staff9", role="staff", station_id=demo.bj001)
    auth.client.post("/logout", data={"csrf_token": auth.token or ""})
    auth.login("staff9")
    auth.fetch_token()
    theirs = str(uuid.uuid4())
    assert send_photo_ahead(client, auth, demo.finalized, "4.1.1", demo_photo("x"), theirs).status_code == 201
    log_in(auth, "staff1")
    reply = answer_json(
        auth, demo.finalized, "4.1.1", text="已整改。", photos=[theirs], mutation_id=str(uuid.uuid4())
    )
    assert reply.status_code == 422
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_photo_sent_ahead_for_another_item_does_not_count(app, client, auth, demo):
    log_in(auth, "staff1")
    ahead = str(uuid.uuid4())
    assert send_photo_ahead(client, auth, demo.finalized, "6.5.1", demo_photo("x"), ahead).status_code == 201
    reply = answer_json(
        auth, demo.finalized, "4.1.1", text="已整改。", photos=[ahead], mutation_id=str(uuid.uuid4())
    )
    assert reply.status_code == 422


@pytest.mark.parametrize(
    ("username", "item_id", "expected"),
    [
        ("assessor1", "4.1.1", 403),
        ("staff2", "4.1.1", 404),
        ("staff1", "5.3.1", 409),
        ("staff1", "1.1.1", 404),
    ],
)
def test_only_an_answerable_deduction_takes_photos_ahead(
    app, client, auth, demo, username, item_id, expected
):
    log_in(auth, username)
    sent = send_photo_ahead(client, auth, demo.finalized, item_id, demo_photo("x"), str(uuid.uuid4()))
    assert sent.status_code == expected
    assert "error" in sent.get_json()


def test_photo_sent_ahead_needs_a_mutation_id_and_its_author(app, client, auth, demo):
    log_in(auth, "staff1")
    assert send_photo_ahead(client, auth, demo.finalized, "4.1.1", demo_photo("x"), "").status_code == 422
    other = send_photo_ahead(
        client, auth, demo.finalized, "4.1.1", demo_photo("x"), str(uuid.uuid4()), author="999"
    )
    assert other.status_code == 409 and other.get_json()["code"] == "author"


@pytest.mark.parametrize(
    "body", [{"text": 5}, {"text": "已整改。", "photos": "abc"}, {"text": "已整改。", "photos": ["x"]}]
)
def test_bad_json_answer_is_refused_with_a_message(app, client, auth, demo, body):
    log_in(auth, "staff1")
    reply = answer_json(auth, demo.finalized, "4.1.1", **body)
    assert reply.status_code == 422 and reply.get_json()["error"]
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_plain_answer_over_the_request_limit_is_answered_by_the_page_keeping_the_text(
    app, client, auth, demo
):
    log_in(auth, "staff1")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = [demo_photo(f"big {i}", (3000, 2250)) for i in range(6)]
    assert sum(len(p) for p in big) > 1024 * 1024
    response = answer(client, auth, demo.finalized, "4.1.1", "车床防护罩已重新安装。", big)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    section = page.split('id="item-4.1.1"')[1].split("</article>")[0]
    assert "照片加起来超过 1 MB" in section
    assert ">车床防护罩已重新安装。</textarea>" in section
    assert status(app, demo.finalized, "4.1.1") == "open"
    with app.app_context():
        assert db.session.query(Photo).filter_by(purpose=RECTIFICATION).count() == 1  # the demo's own


def test_plain_answer_over_the_limit_without_the_form_token_changes_nothing(app, client, auth, demo):
    log_in(auth, "staff1")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        f"/station/assessments/{demo.finalized}/items/4.1.1/rectification",
        data={"text": "x", "photo": (io.BytesIO(demo_photo("big")), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert status(app, demo.finalized, "4.1.1") == "open"


@pytest.mark.parametrize("username", [None, "staff2"])
def test_plain_answer_over_the_limit_from_someone_who_may_not_see_the_page_gets_the_usual_413(
    app, client, auth, demo, username
):
    if username:
        log_in(auth, username)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        f"/station/assessments/{demo.finalized}/items/4.1.1/rectification",
        data={"csrf_token": auth.token or "", "text": "x", "photo": (io.BytesIO(demo_photo("big")), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert 'id="item-4.1.1"' not in response.get_data(as_text=True)
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_an_assessor_is_asked_to_review_the_answers_of_their_own_assessments_only(app, client, auth, demo):
    log_in(auth, "assessor2")
    assert "所（站）整改答复待审核" not in client.get("/assess/").get_data(as_text=True)
    reviews = client.get("/assess/reviews").get_data(as_text=True)
    assert "三楼考场引导标识已全部更换为新标识牌。" not in reviews


def test_the_home_counts_the_answers_the_review_page_lists(app, client, auth, demo):
    log_in(auth, "assessor1")
    home = client.get("/assess/").get_data(as_text=True)
    count = int(re.search(r'所（站）整改答复待审核</span><span class="badge partial">(\d+)<', home).group(1))
    reviews = client.get("/assess/reviews").get_data(as_text=True)
    assert count == reviews.count('class="review-entry"')


def test_each_answer_on_the_review_list_has_an_id_of_its_own_across_assessments(app, client, auth, demo):
    """The list spans assessments, and two assessments can wait on the same item."""
    log_in(auth, "admin")
    reviews = client.get("/assess/reviews").get_data(as_text=True)
    ids = re.findall(r'class="review-entry" id="([^"]+)"', reviews)
    assert ids and all(entry_id.startswith(f"review-{demo.finalized}-") for entry_id in ids)


def test_the_review_list_moved_to_the_assessors_pages_and_its_old_address_leads_there(client, assessor):
    old = client.get("/station/reviews")
    assert old.status_code == 301
    assert old.headers["Location"].endswith("/assess/reviews")
    assert client.get("/assess/reviews").status_code == 200
