"""Truly parallel requests against gunicorn with 3 workers, as production runs, on the test database.

Each race is tried a few times: requests released together by a barrier still reach the
database in a different order each time, and every order must leave one true record.
"""

import html
import io
import re
import urllib.parse
import uuid
from functools import partial
from html.parser import HTMLParser

import pytest
from PIL import Image

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Photo, Signature
from tests.report_fixtures import png_data_url
from tests.servers import HttpClient, mutation_id, simultaneously

TRIALS = 3
TEAM = ("assessor", "second", "third")


@pytest.fixture
def team(gunicorn_server, make_user, make_station):
    """Three assessors logged in to a running gunicorn, and stations to assess."""
    for name in TEAM:
        make_user(name)
    stations = [make_station(f"S{n:03d}", f"第{n}鉴定所") for n in range(1, TRIALS + 2)]
    server = gunicorn_server.start()
    clients = [HttpClient(server.url).log_in(name) for name in TEAM]
    return clients, stations


def start(client, station_id) -> int:
    status, body = client.json("POST", "/api/assessments", {"station_id": station_id})
    assert status in (200, 201), body
    return body["id"]


def put_finding(client, assessment_id, item_id, mutation=None, **fields):
    payload = {"outcome": "full", **fields, "mutation_id": mutation or mutation_id()}
    return client.json("PUT", f"/api/assessments/{assessment_id}/findings/{item_id}", payload)


def rubric_items(client) -> list[str]:
    _status, rubric = client.json("GET", "/api/rubric")
    return [item["id"] for category in rubric["categories"] for item in category["items"]]


def complete(client, station_id, items) -> int:
    """An assessment with every item scored full: ready to finalize."""
    assessment_id = start(client, station_id)
    for item_id in items:
        status, body = put_finding(client, assessment_id, item_id)
        assert status == 200, body
    return assessment_id


def audit_actions(app, assessment_id, action) -> list:
    with app.app_context():
        return db.session.scalars(
            db.select(AuditEvent)
            .filter_by(assessment_id=assessment_id, action=action)
            .order_by(AuditEvent.id)
        ).all()


def picture(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (seed * 40 % 256, 120, 80)).save(out, format="JPEG")
    return out.getvalue()


def upload(client, assessment_id, item_id, data: bytes, mutation: str):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="mutation_id"\r\n\r\n{mutation}\r\n'.encode(),
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": client.token}
    status, _headers, raw = client.request(
        "POST", f"/api/assessments/{assessment_id}/findings/{item_id}/photos", b"".join(parts), headers
    )
    return status, raw


def test_assessors_scoring_different_items_at_once_are_all_kept(team):
    clients, stations = team
    assessment_id = start(clients[0], stations[0])
    items = ("1.1.1", "1.2.1", "1.3.1")

    answers = simultaneously(
        *(
            lambda c=client, i=item: put_finding(c, assessment_id, i)
            for client, item in zip(clients, items, strict=True)
        )
    )

    assert [status for status, _body in answers] == [200, 200, 200]
    _status, assessment = clients[0].json("GET", f"/api/assessments/{assessment_id}")
    assert sorted(f["item_id"] for f in assessment["findings"]) == sorted(items)


def test_two_finalizes_at_once_one_wins_and_the_lead_signature_stays(team, gunicorn_server):
    clients, stations = team
    lead, colleague = clients[0], clients[1]
    items = rubric_items(lead)
    signed = {"signatures": {"lead_assessor": {"name": "组长", "image": png_data_url()}}}
    for station_id in stations[:TRIALS]:
        assessment_id = complete(lead, station_id, items)
        url = f"/api/assessments/{assessment_id}/finalize"

        answers = simultaneously(
            partial(lead.json, "POST", url, signed), partial(colleague.json, "POST", url, {})
        )

        assert sorted(status for status, _body in answers) == [200, 409], answers
        assert len(audit_actions(gunicorn_server.app, assessment_id, "assessment.finalize")) == 1
        with gunicorn_server.app.app_context():
            roles = db.session.scalars(db.select(Signature.role).filter_by(assessment_id=assessment_id)).all()
        lead_won = answers[0][0] == 200
        assert roles == (["lead_assessor"] if lead_won else []), answers


class FinalizeFormFields(HTMLParser):
    """The fields a browser sends with the summary's finalize form: its own inputs and every input,
    radio (when checked) and textarea outside it that names it with `form="finalize-form"`."""

    def __init__(self):
        super().__init__()
        self.fields = {}
        self.in_form = False
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == "finalize-form"
        belongs = self.in_form or attrs.get("form") == "finalize-form"
        if not belongs or "name" not in attrs:
            return
        if tag == "textarea":
            self.textarea = attrs["name"]
            self.fields[self.textarea] = ""
        elif tag == "input" and (attrs.get("type") != "radio" or "checked" in attrs):
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        if tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


def post_form(client, path, fields: dict):
    body = urllib.parse.urlencode(fields).encode()
    return client.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


def reviewed_finalize_form(client, assessment_id) -> dict:
    """What a colleague's 定稿 sends: the summary's fields as the page showed them, through the review."""
    _status, _headers, summary = client.request("GET", f"/assess/{assessment_id}/summary")
    parser = FinalizeFormFields()
    parser.feed(summary.decode())
    status, _headers, review = post_form(client, f"/assess/{assessment_id}/review", parser.fields)
    assert status == 200, review[:400]
    confirm = review.decode().split(f'action="/assess/{assessment_id}/finalize"', 1)[1].split("</form>")[0]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm)
    return {name: html.unescape(value) for name, value in hidden}


def signature_images(app, assessment_id) -> dict:
    with app.app_context():
        rows = db.session.execute(
            db.select(Signature.role, Signature.image).filter_by(assessment_id=assessment_id)
        ).all()
    return {role: image is not None for role, image in rows}


def test_a_colleague_finalizing_from_an_older_summary_keeps_the_signatures_the_lead_sent(
    team, gunicorn_server
):
    clients, stations = team
    lead, colleague = clients[0], clients[1]
    items = rubric_items(lead)
    for station_id in stations[:TRIALS]:
        assessment_id = complete(lead, station_id, items)
        sent_before = reviewed_finalize_form(colleague, assessment_id)
        signatures = f"/api/assessments/{assessment_id}/signatures"
        status, body = lead.json(
            "PUT",
            f"{signatures}/lead_assessor",
            {"name": "组长", "image": png_data_url(), "mutation_id": mutation_id()},
        )
        assert status == 200, body

        (kept, _), (finalized, _headers, _page) = simultaneously(
            partial(
                lead.json,
                "PUT",
                f"{signatures}/station_representative",
                {"name": "站长", "image": png_data_url((500, 180)), "mutation_id": mutation_id()},
            ),
            partial(post_form, colleague, f"/assess/{assessment_id}/finalize", sent_before),
        )

        assert finalized == 200 and kept in (200, 409), (finalized, kept)
        expected = (
            {"lead_assessor": True, "station_representative": True}
            if kept == 200
            else {"lead_assessor": True}
        )
        assert signature_images(gunicorn_server.app, assessment_id) == expected


def test_a_write_racing_a_finalize_lands_before_it_or_is_refused(team, gunicorn_server):
    clients, stations = team
    lead, colleague = clients[0], clients[1]
    items = rubric_items(lead)
    for station_id in stations[:TRIALS]:
        assessment_id = complete(lead, station_id, items)

        (finalized, _), (written, _) = simultaneously(
            lambda a=assessment_id: lead.json("POST", f"/api/assessments/{a}/finalize", {}),
            lambda a=assessment_id: put_finding(
                colleague, a, "1.1.1", outcome="zero", note="后来发现", no_photo_reason="现场禁止拍照"
            ),
        )

        assert finalized == 200 and written in (200, 409), (finalized, written)
        with gunicorn_server.app.app_context():
            assessment = db.session.get(Assessment, assessment_id)
            outcome = assessment.finding_for("1.1.1").outcome
            assert outcome == ("zero" if written == 200 else "full")
            _status, body = lead.json("GET", f"/api/assessments/{assessment_id}")
            assert assessment.score == body["score"], "the stored total differs from the findings"


def test_two_assessors_scoring_one_unscored_item_at_once_both_get_an_answer(team, gunicorn_server):
    clients, stations = team
    assessment_id = start(clients[0], stations[0])
    for item_id in ("1.1.1", "1.2.1", "1.3.1"):
        answers = simultaneously(
            lambda i=item_id: put_finding(clients[0], assessment_id, i, outcome="full"),
            lambda i=item_id: put_finding(clients[1], assessment_id, i, outcome="zero", note="缺"),
        )

        assert [status for status, _body in answers] == [200, 200], answers
        with gunicorn_server.app.app_context():
            assert (
                db.session.query(Finding).filter_by(assessment_id=assessment_id, item_id=item_id).count() == 1
            )


def test_the_same_mutation_sent_twice_at_once_is_applied_once(team, gunicorn_server):
    clients, stations = team
    assessment_id = start(clients[0], stations[0])
    for item_id in ("1.1.1", "1.2.1", "1.3.1"):
        same = mutation_id()
        answers = simultaneously(
            partial(put_finding, clients[0], assessment_id, item_id, mutation=same),
            partial(put_finding, clients[0], assessment_id, item_id, mutation=same),
        )

        assert [status for status, _body in answers] == [200, 200], answers
        assert answers[0][1] == answers[1][1]
        changes = [
            e
            for e in audit_actions(gunicorn_server.app, assessment_id, "finding.set")
            if e.subject == item_id
        ]
        assert len(changes) == 1


def test_the_same_results_sent_together_twice_at_once_are_applied_once(team, gunicorn_server):
    """A phone whose request of several results timed out sends it again while the first still runs."""
    clients, stations = team
    assessment_id = start(clients[0], stations[0])
    for trial in range(TRIALS):
        items = ("1.1.1", "1.2.1", "1.3.1")
        changes = [
            {"item_id": i, "outcome": "full", "note": f"第{trial}次", "mutation_id": mutation_id()}
            for i in items
        ]
        send = partial(
            clients[0].json, "POST", f"/api/assessments/{assessment_id}/findings", {"findings": changes}
        )
        answers = simultaneously(send, send)

        assert [status for status, _body in answers] == [200, 200], answers
        assert answers[0][1] == answers[1][1], "the second got the answers the first was given"
        assert [r["status"] for r in answers[0][1]["results"]] == [200] * 3
        changes_made = [e for e in audit_actions(gunicorn_server.app, assessment_id, "finding.set")]
        assert len(changes_made) == 3 * (trial + 1)


def test_the_same_photo_upload_sent_twice_at_once_is_stored_once(team, gunicorn_server):
    clients, stations = team
    assessment_id = start(clients[0], stations[0])
    for trial, item_id in enumerate(("1.1.1", "1.2.1", "1.3.1")):
        same = mutation_id()
        answers = simultaneously(
            partial(upload, clients[0], assessment_id, item_id, picture(trial), same),
            partial(upload, clients[0], assessment_id, item_id, picture(trial), same),
        )

        assert [status for status, _body in answers] == [201, 201], answers
        assert answers[0][1] == answers[1][1]
        assert photos_of(gunicorn_server.app, assessment_id, item_id) == 1


def test_the_same_picture_sent_twice_at_once_with_different_mutations_is_stored_once(team, gunicorn_server):
    clients, stations = team
    assessment_id = start(clients[0], stations[0])
    for trial, item_id in enumerate(("1.1.1", "1.2.1", "1.3.1")):
        answers = simultaneously(
            lambda i=item_id, t=trial: upload(clients[0], assessment_id, i, picture(t), mutation_id()),
            lambda i=item_id, t=trial: upload(clients[1], assessment_id, i, picture(t), mutation_id()),
        )

        assert sorted(status for status, _body in answers) == [200, 201], answers
        assert photos_of(gunicorn_server.app, assessment_id, item_id) == 1


def photos_of(app, assessment_id, item_id) -> int:
    with app.app_context():
        return (
            db.session.query(Photo)
            .join(Finding, Photo.finding_id == Finding.id)
            .filter(Finding.assessment_id == assessment_id, Finding.item_id == item_id)
            .count()
        )


def test_two_assessors_starting_one_station_at_once_share_one_assessment(team, gunicorn_server):
    clients, stations = team
    for station_id in stations[:TRIALS]:
        answers = simultaneously(
            *(
                lambda c=client, s=station_id: c.json("POST", "/api/assessments", {"station_id": s})
                for client in clients
            )
        )

        assert sorted(status for status, _body in answers) == [200, 200, 201], answers
        assert len({body["id"] for _status, body in answers}) == 1
        with gunicorn_server.app.app_context():
            assessment = db.session.get(Assessment, answers[0][1]["id"])
            assert sorted(user.username for user in assessment.team) == sorted(TEAM)


def test_a_share_link_racing_a_reopen_is_made_only_while_the_report_is_finalized(
    team, gunicorn_server, make_user
):
    clients, stations = team
    lead = clients[0]
    make_user("boss", role="admin")
    admin = HttpClient(gunicorn_server.url).log_in("boss")
    assessment_id = complete(lead, stations[0], rubric_items(lead))
    for trial in range(TRIALS * 2):
        status, body = lead.json("POST", f"/api/assessments/{assessment_id}/finalize", {})
        assert status == 200, body

        (shared, _h, _p), (reopened, _h2, _p2) = simultaneously(
            partial(
                post_form, lead, f"/assess/{assessment_id}/shares", {"csrf_token": lead.token, "days": 7}
            ),
            partial(
                post_form,
                admin,
                f"/admin/assessments/{assessment_id}/reopen",
                {"csrf_token": admin.token, "reason": f"复核 {trial}"},
            ),
        )

        assert shared in (200, 409) and reopened == 200, (shared, reopened)
        reopen = audit_actions(gunicorn_server.app, assessment_id, "assessment.reopen")[-1]
        created = audit_actions(gunicorn_server.app, assessment_id, "share.create")
        made_this_trial = [
            event for event in created if event.id > finalized_at_event(gunicorn_server.app, assessment_id)
        ]
        assert len(made_this_trial) == (1 if shared == 200 else 0), (shared, made_this_trial)
        assert all(event.id < reopen.id for event in made_this_trial), "a link was made after the reopen"


def finalized_at_event(app, assessment_id) -> int:
    return audit_actions(app, assessment_id, "assessment.finalize")[-1].id
