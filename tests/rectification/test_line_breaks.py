"""A station name with a line break (Alt+Enter in an Excel cell) is one line in a mail subject."""

import io
import re
from datetime import timedelta

from app.extensions import db
from app.models import Assessment, Station
from app.services import deadlines
from tests.rectification import test_mail
from tests.rectification.test_mail import subject, text_of
from tests.rectification.test_rectification import answer
from tests.report_fixtures import demo_data, log_in  # noqa: F401

# The SMTP server and the users' addresses of the mail tests.
inbox = test_mail.inbox
addresses = test_mail.addresses

NAME = "北京市第一\r\n职业技能鉴定所"


def name_the_station(app, assessment_id, name=NAME):
    with app.app_context():
        db.session.get(Assessment, assessment_id).station.name = name
        db.session.commit()


def test_an_answer_at_a_station_whose_name_has_a_line_break_is_mailed(
    app, client, auth, demo, inbox, addresses
):
    name_the_station(app, demo.finalized)
    log_in(auth, "staff1")
    response = answer(client, auth, demo.finalized, "4.1.1", text="已整改。")
    assert response.status_code == 303
    _recipients, message = inbox.wait_for(1)[0]
    assert "北京市第一 职业技能鉴定所" in subject(message)


def test_the_reminder_goes_out_for_a_station_whose_name_has_a_line_break(app, runner, demo, inbox, addresses):
    name_the_station(app, demo.finalized)
    with app.app_context():
        db.session.get(Assessment, demo.finalized).rectification_due = deadlines.today() + timedelta(days=2)
        db.session.commit()
    result = runner.invoke(args=["rectification", "remind"])
    assert result.exit_code == 0, result.output
    assert "sent 1 reminders" in result.output
    _recipients, message = inbox.wait_for(1)[0]
    assert "北京市第一 职业技能鉴定所" in subject(message)
    assert "北京市第一" in text_of(message)


def test_an_imported_cell_with_a_line_break_becomes_one_line(app, client, auth, demo):
    log_in(auth, "admin")
    csv = 'code,name\nNB01,"宁波市\n鉴定站"\n'.encode()
    preview = client.post(
        "/admin/stations/import",
        data={"csrf_token": auth.token, "file": (io.BytesIO(csv), "stations.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    rows = re.search(r'name="rows" type="hidden" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    confirmed = client.post("/admin/stations/import/confirm", data={"csrf_token": auth.token, "rows": rows})
    assert confirmed.status_code in (200, 302, 303)
    with app.app_context():
        assert db.session.scalar(db.select(Station.name).filter_by(code="NB01")) == "宁波市 鉴定站"
