"""Command-line set-up: stations, users and the demo data."""

import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale

from app.errors import Refused
from app.extensions import db
from app.models import ROLES, Assessment, Station, User
from app.rubrics import rubric_of
from app.services import assessments, backup, deadlines, mail, notices, people, stations
from app.services.reports import pdf

station_cli = AppGroup("station", help="Manage stations.")
user_cli = AppGroup("user", help="Manage users.")
rectification_cli = AppGroup("rectification", help="Rectification deadlines.")
reports_cli = AppGroup("reports", help="Kept report PDFs.")

DEMO_PASSWORD = "demo2026"
DEMO_STATIONS = [
    ("BJ001", "北京市第一职业技能鉴定所", "北京市朝阳区建国路 88 号", "张老师 010-65550001"),
    ("SH002", "上海市机电行业职业技能鉴定站", "上海市徐汇区漕溪北路 21 号", "陈老师 021-64440002"),
    ("GZ003", "广州市烹饪职业技能鉴定所", "广州市越秀区中山五路 9 号", "刘老师 020-83330003"),
    ("CD004", "成都市电子信息行业职业技能鉴定站", "成都市武侯区人民南路 4 段 1 号", "杨老师 028-85550004"),
]
DEMO_USERS = [
    ("admin", "管理员", "admin", None),
    ("assessor1", "王建国", "assessor", None),
    ("assessor2", "李慧敏", "assessor", None),
    ("staff1", "赵丽", "staff", "BJ001"),
    ("staff2", "孙强", "staff", "SH002"),
]
DEMO_FINDINGS = {
    "4.1.1": ("minus_1", {"problems": 1}, "二楼实操室一台车床防护罩缺失。"),
    "6.5.1": (None, {"papers_checked": 40, "papers_with_errors": 2}, "抽查 40 份试卷，2 份核分有误。"),
    "6.3.2": ("not_applicable", None, "本所鉴定职业均有国家题库。"),
    "5.3.1": ("zero", None, "三楼考场引导标识褪色，无法辨认。"),
}


def register(app: Flask) -> None:
    app.cli.add_command(station_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(rectification_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(demo)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("backup")
@click.argument("archive", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(archive: Path | None) -> None:
    """Write the database and every photo to one ARCHIVE (.tar.gz); safe while the app runs."""
    archive = archive or Path(f"backup-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz")
    try:
        manifest = backup.write_backup(archive)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {archive}: {manifest['dialect']} database, {manifest['files']} photo files")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path) -> None:
    """Load a backup ARCHIVE into this instance, whose database and upload folder must be empty."""
    try:
        manifest = backup.restore_backup(archive)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(backup.row_counts().values())
    click.echo(
        f"restored {archive} (written {manifest['created_at']}): {rows} rows, {manifest['files']} photo files"
    )


@rectification_cli.command("remind")
@click.option("--within", "within_days", default=3, show_default=True, help="Days before the deadline.")
def remind(within_days: int) -> None:
    """E-mail the station and the assessors about deductions due soon or overdue (run it daily)."""
    if not mail.enabled():
        raise click.ClickException("no SMTP_HOST and SMTP_FROM configured: nothing can be sent")
    sent = notices.remind_due(deadlines.today(), within_days)
    db.session.commit()
    click.echo(f"sent {sent} reminders")


@reports_cli.command("prune")
@click.option("--older-than", "hours", default=24, show_default=True, help="Hours a file is kept at least.")
def prune_reports(hours: int) -> None:
    """Remove kept PDFs of report versions no reader can be sent any more (run it daily)."""
    removed = pdf.prune(timedelta(hours=hours))
    click.echo(f"removed {removed} files of superseded report versions")


@station_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--address", default="", help="Postal address.")
@click.option("--contact", default="", help="Contact person and phone.")
def create_station(code: str, name: str, address: str, contact: str) -> None:
    """Create a station with its CODE and NAME."""
    with refusals_as_usage_errors():
        stations.create({"code": code, "name": name, "address": address, "contact": contact})
    db.session.commit()
    click.echo(f"created station {code} {name}")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--station", "station_code", help="Station code (required for staff).")
@click.option("--name", "display_name", default="", help="Display name.")
def create_user(username: str, role: str, station_code: str | None, display_name: str) -> None:
    """Create a user; the password comes from $PASSWORD or is asked for."""
    with refusals_as_usage_errors():
        people.check_username(username)
        station = people.station_for(role, station_code)
        password = os.environ.get("PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        people.create(username, display_name, role, station, password)
    db.session.commit()
    click.echo(f"created {role} {username}")


# Where on the command line the field a service refuses comes from.
PARAMETERS = {
    "code": "'CODE'",
    "username": "'USERNAME'",
    "station_code": "'--station'",
    "password": "the password",
}


@contextmanager
def refusals_as_usage_errors():
    """A service's refusal, in English and naming the parameter, as click's usage error (exit 2)."""
    try:
        yield
    except Refused as refused:
        with force_locale("en"):
            message = str(refused.message)
        hint = PARAMETERS.get(refused.details.get("field"))
        raise click.BadParameter(message, param_hint=hint) from refused


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Fill the database with demo stations, users and assessments, and print the logins."""
    demo_stations = {
        code: _demo_station(code, name, address, contact) for code, name, address, contact in DEMO_STATIONS
    }
    users = {u[0]: _demo_user(*u, demo_stations) for u in DEMO_USERS}
    db.session.flush()
    if not db.session.scalar(db.select(db.func.count()).select_from(Assessment)):
        _demo_assessments(demo_stations, users)
    db.session.commit()
    click.echo(f"Demo logins (password {DEMO_PASSWORD} for all):")
    for username, display_name, role, station_code in DEMO_USERS:
        where = f" @ {station_code}" if station_code else ""
        click.echo(f"  {username:<10} {role:<8} {display_name}{where}")


def _demo_station(code, name, address, contact) -> Station:
    station = db.session.scalar(db.select(Station).filter_by(code=code))
    if station is None:
        station = stations.create({"code": code, "name": name, "address": address, "contact": contact})
    return station


def _demo_user(username, display_name, role, station_code, demo_stations) -> User:
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None:
        station = demo_stations[station_code] if station_code else None
        user = people.create(username, display_name, role, station, DEMO_PASSWORD)
    return user


def _demo_assessments(demo_stations, users) -> None:
    """One finalized assessment with deductions, and one walked about half way."""
    assessor = users["assessor1"]
    done = assessments.start_assessment(demo_stations["BJ001"], assessor)
    for item in rubric_of(done).items:
        outcome, inputs, note = DEMO_FINDINGS.get(item.id, ("full", None, ""))
        assessments.record_finding(done, item.id, outcome=outcome, inputs=inputs, note=note, user=assessor)
    db.session.flush()
    _demo_evidence(done, assessor)
    assessments.finalize(done, assessor)
    _demo_signoff(done, assessor)
    _demo_rectification(done, users["staff1"])
    in_progress = assessments.start_assessment(demo_stations["SH002"], assessor)
    for item in rubric_of(in_progress).items[:25]:
        assessments.record_finding(in_progress, item.id, outcome="full", inputs=None, note="", user=assessor)


DEMO_NO_PHOTO = {"6.5.1": "试卷属保密材料，现场不允许拍照。"}


def _demo_evidence(assessment, assessor) -> None:
    """Every demo deduction gets a drawn photo, or a reason why no photo could be taken."""
    from app.services.photos import attach_photo, demo_photo

    for item_id, reason in DEMO_NO_PHOTO.items():
        assessments.set_no_photo_reason(assessment, item_id, reason, assessor)
    for deduction in assessments.scorecard(assessment).deductions:
        if deduction.item.id not in DEMO_NO_PHOTO:
            attach_photo(assessment, deduction.item.id, demo_photo(deduction.item.id), user=assessor)


def _demo_signoff(assessment, assessor) -> None:
    """The lead assessor and the station's director signed on the phone."""
    from app.services.signoff import SignatureInput, record

    record(
        assessment,
        [
            SignatureInput("lead_assessor", assessor.name, "signed", image=demo_signature(0)),
            SignatureInput("station_representative", "张明", "signed", image=demo_signature(1)),
        ],
        assessor,
    )


def _demo_rectification(assessment, staff) -> None:
    """The station has answered the signage deduction, and it waits for review."""
    from app.services.photos import demo_photo
    from app.services.rectifications import answer

    db.session.flush()
    answer(assessment, "5.3.1", "三楼考场引导标识已全部更换为新标识牌。", [demo_photo("5.3.1 fixed")], staff)


def demo_signature(seed: int) -> bytes:
    """A drawn stand-in for a handwritten signature: a few strokes of ink on a transparent PNG."""
    import io
    import math

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [
        (40 + x * 5, 110 + 45 * math.sin(x / (4.0 + seed)) * math.cos(x / (9.0 + seed)))
        for x in range(0, 100)
    ]
    draw.line(points, fill=(16, 35, 63, 255), width=5, joint="curve")
    draw.line([(60, 160), (540, 150)], fill=(16, 35, 63, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
