"""E-mail about rectifications: due (from `flask rectification remind`), answered, accepted, not accepted.

Station staff hear about reviews and deadlines; the assessment's team hears about answers and
deadlines. Messages are in Chinese, the language of the form.
"""

from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models import ACCEPTED, FINALIZED, Assessment, AuditEvent, Rectification, User
from app.services import audit, deadlines, mail

MAIL_LOCALE = "zh_CN"


def station_staff(assessment: Assessment) -> list[str]:
    staff = db.session.scalars(
        db.select(User.email).filter_by(role="staff", station_id=assessment.station_id, active=True)
    ).all()
    return [address for address in staff if address]


def team(assessment: Assessment) -> list[str]:
    return [user.email for user in assessment.team if user.active and user.email]


def link(path: str) -> str:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return f"\n{base}{path}\n" if base else ""


def answered(rectification: Rectification) -> bool:
    assessment = rectification.assessment
    with force_locale(MAIL_LOCALE):
        subject = _(
            "Rectification answered: %(station)s, %(item)s",
            station=assessment.station.name,
            item=rectification.item_id,
        )
        body = _(
            "%(who)s answered deduction %(item)s of %(station)s:\n\n%(text)s\n\nPlease review it.",
            who=rectification.answered_by.name,
            item=rectification.item_id,
            station=assessment.station.name,
            text=rectification.text,
        ) + link(f"/station/assessments/{assessment.id}#item-{rectification.item_id}")
    return mail.send(team(assessment), subject, body)


def reviewed(rectification: Rectification) -> bool:
    assessment = rectification.assessment
    with force_locale(MAIL_LOCALE):
        if rectification.review == ACCEPTED:
            subject = _("Rectification accepted: %(item)s", item=rectification.item_id)
            body = _(
                "Your answer to deduction %(item)s was accepted by %(who)s.",
                item=rectification.item_id,
                who=rectification.reviewed_by.name,
            )
        else:
            subject = _("Rectification not accepted: %(item)s", item=rectification.item_id)
            body = _(
                "Your answer to deduction %(item)s was not accepted by %(who)s:\n\n%(comment)s\n\n"
                "Please answer it again.",
                item=rectification.item_id,
                who=rectification.reviewed_by.name,
                comment=rectification.review_comment,
            )
        body += link(f"/station/assessments/{assessment.id}#item-{rectification.item_id}")
    return mail.send(station_staff(assessment), subject, body)


def remind_due(on: date, within_days: int) -> int:
    """One e-mail per assessment listing deductions due within `within_days` or overdue, each
    deadline reminded once; answers how many e-mails went out. The caller commits."""
    sent = 0
    by_assessment: dict[int, list] = {}
    for station_id in _stations_with_deadlines():
        for assessment, state, left in deadlines.due_for_station(station_id, on):
            if left.days <= within_days and not _reminded(assessment, state.deduction.item.id, left.due):
                by_assessment.setdefault(assessment.id, []).append((assessment, state, left))
    for rows in by_assessment.values():
        assessment = rows[0][0]
        if _send_reminder(assessment, rows):
            sent += 1
            for _assessment, state, left in rows:
                audit.record(
                    "mail.due",
                    assessment=assessment,
                    subject=state.deduction.item.id,
                    after={"due": left.due.isoformat()},
                    user=None,
                )
    return sent


def _send_reminder(assessment: Assessment, rows) -> bool:
    with force_locale(MAIL_LOCALE):
        subject = _("Rectification due: %(station)s", station=assessment.station.name)
        lines = []
        for _assessment, state, left in rows:
            if left.overdue:
                when = _("overdue by %(n)d days", n=-left.days)
            else:
                when = _("due %(date)s, %(n)d days left", date=left.due.isoformat(), n=left.days)
            lines.append(f"{state.deduction.item.code} {state.deduction.item.text}（{when}）")
        body = _("These deductions of %(station)s still need an answer:", station=assessment.station.name)
        body += "\n\n" + "\n".join(lines) + "\n" + link(f"/station/assessments/{assessment.id}")
    return mail.send(station_staff(assessment) + team(assessment), subject, body)


def _reminded(assessment: Assessment, item_id: str, due: date) -> bool:
    events = db.session.scalars(
        db.select(AuditEvent).filter_by(action="mail.due", assessment_id=assessment.id, subject=item_id)
    ).all()
    return any((event.after or {}).get("due") == due.isoformat() for event in events)


def _stations_with_deadlines() -> list[int]:
    return db.session.scalars(
        db.select(Assessment.station_id).filter(Assessment.status == FINALIZED).distinct()
    ).all()
