"""E-mail about rectifications, sent to a real SMTP server on 127.0.0.1 started by the test."""

import socket
import threading
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import Assessment, User
from app.services import deadlines, mail
from tests.rectification.test_rectification import answer, latest, review
from tests.report_fixtures import demo_data, log_in  # noqa: F401


class Inbox:
    """An aiosmtpd handler keeping what it received; tests wait on its condition, never sleep."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.arrived:
            self.messages.append((sorted(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=60), self.messages
        return self.messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="noreply@assess.test")
    app.config["PUBLIC_URL"] = "https://assess.test"
    yield handler
    controller.stop()


@pytest.fixture
def addresses(app, demo):
    with app.app_context():
        for user in db.session.scalars(db.select(User)):
            user.email = f"{user.username}@assess.test"
        db.session.commit()


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def text_of(message) -> str:
    return message.get_payload(decode=True).decode("utf-8")


def test_an_answer_mails_the_assessors_of_the_team(app, client, auth, demo, inbox, addresses):
    log_in(auth, "staff1")
    answer(client, auth, demo.finalized, "4.1.1", text="车床防护罩已装回。")
    recipients, message = inbox.wait_for(1)[0]
    assert recipients == ["assessor1@assess.test"]
    assert "4.1.1" in subject(message) and "整改已答复" in subject(message)
    assert "车床防护罩已装回。" in text_of(message)
    assert f"https://assess.test/station/assessments/{demo.finalized}#item-4.1.1" in text_of(message)
    assert "Bcc" not in message


@pytest.mark.parametrize(
    "decision, comment, wording",
    [("accepted", "", "整改已通过"), ("not_accepted", "照片不清楚", "整改未通过")],
)
def test_a_review_mails_the_station_staff(
    app, client, auth, demo, inbox, addresses, decision, comment, wording
):
    log_in(auth, "assessor1")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), decision, comment)
    recipients, message = inbox.wait_for(1)[0]
    assert recipients == ["staff1@assess.test"]
    assert wording in subject(message) and comment in text_of(message)


def test_reminder_lists_what_is_due_and_is_sent_once_per_deadline(app, runner, demo, inbox, addresses):
    with app.app_context():
        due = deadlines.today() + timedelta(days=2)
        db.session.get(Assessment, demo.finalized).rectification_due = due
        db.session.commit()
    result = runner.invoke(args=["rectification", "remind"])
    assert result.exit_code == 0 and "sent 1 reminders" in result.output
    recipients, message = inbox.wait_for(1)[0]
    assert recipients == ["assessor1@assess.test", "staff1@assess.test"]
    assert "4.1.1" in text_of(message) and "6.5.1" in text_of(message) and "5.3.1" not in text_of(message)
    assert "还剩 2 天" in text_of(message)
    again = runner.invoke(args=["rectification", "remind"])
    assert "sent 0 reminders" in again.output
    assert len(inbox.messages) == 1


def test_nothing_is_due_far_ahead(app, runner, demo, inbox, addresses):
    with app.app_context():
        db.session.get(Assessment, demo.finalized).rectification_due = deadlines.today() + timedelta(days=30)
        db.session.commit()
    assert "sent 0 reminders" in runner.invoke(args=["rectification", "remind"]).output


def test_without_smtp_nothing_is_sent_and_answers_still_work(app, client, auth, demo, addresses):
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 303
    with app.app_context():
        assert not mail.enabled()


def test_an_unreachable_server_does_not_undo_the_answer(app, client, auth, demo, addresses):
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_FROM="noreply@assess.test", SMTP_TIMEOUT=2
    )
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 303
    with app.app_context():
        assert db.session.get(Assessment, demo.finalized).finding_for("4.1.1").rectifications


@pytest.mark.parametrize(
    "email, status, stored", [("li@station.test", 302, "li@station.test"), ("not-an-address", 422, None)]
)
def test_admin_gives_a_user_an_email_address(app, client, auth, demo, email, status, stored):
    log_in(auth, "admin")
    form = {
        "csrf_token": auth.token,
        "username": "li",
        "display_name": "李",
        "email": email,
        "role": "assessor",
        "station_code": "",
        "password": "long enough password",
    }
    assert client.post("/admin/users/new", data=form).status_code == status
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="li"))
        assert (user.email if user else None) == stored
