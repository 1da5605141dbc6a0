"""Command-line set-up: regions, stations, users and the demo data."""

import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale

from app.cli import demo
from app.cli.plans import plans_cli
from app.cli.signing import ensure_demo_certificate, signing_cli
from app.extensions import db
from app.models import ROLES
from app.services import audit, backup, deadlines, mail, notices, people, regions, stations
from app.services.refusals import Refused
from app.services.reports import pdf

region_cli = AppGroup("region", help="Manage regions.")
station_cli = AppGroup("station", help="Manage stations.")
user_cli = AppGroup("user", help="Manage users.")
rectification_cli = AppGroup("rectification", help="Rectification deadlines.")
reports_cli = AppGroup("reports", help="Kept report PDFs.")
audit_cli = AppGroup("audit", help="The audit trail.")


def register(app: Flask) -> None:
    app.cli.add_command(region_cli)
    app.cli.add_command(station_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(rectification_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(plans_cli)
    app.cli.add_command(signing_cli)
    app.cli.add_command(demo_command)
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


@audit_cli.command("verify")
def verify_audit() -> None:
    """Walk the audit trail's chain again; name the first event that was changed or removed."""
    report = audit.verify()
    if not report.holds:
        where = f"event #{report.broken_at}" if report.broken_at else "the chain's end"
        raise click.ClickException(f"the audit trail's chain is broken at {where}: {report.reason}")
    click.echo(f"the audit trail's chain holds: {report.events} events")


@reports_cli.command("prune")
@click.option("--older-than", "hours", default=24, show_default=True, help="Hours a file is kept at least.")
def prune_reports(hours: int) -> None:
    """Remove kept PDFs of report versions no reader can be sent any more (run it daily)."""
    removed = pdf.prune(timedelta(hours=hours))
    click.echo(f"removed {removed} files of superseded report versions")


@region_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", help="The parent region's code (default: the root region).")
def create_region(code: str, name: str, parent_code: str | None) -> None:
    """Create a region with its CODE and NAME below --parent, or below the root region."""
    with refusals_as_usage_errors():
        parent = regions.region_for(None, parent_code, field="parent_code")
        region = regions.create(code, name, parent, None)
    db.session.commit()
    click.echo(f"created region {code} {name} in {regions.path_of(region.parent)}")


@station_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--address", default="", help="Postal address.")
@click.option("--contact", default="", help="Contact person and phone.")
@click.option("--region", "region_code", help="The region's code (default: the root region).")
def create_station(code: str, name: str, address: str, contact: str, region_code: str | None) -> None:
    """Create a station with its CODE and NAME in --region, or in the root region."""
    with refusals_as_usage_errors():
        region = regions.region_for(None, region_code)
        stations.create(
            {"code": code, "name": name, "address": address, "contact": contact, "region": region}, None
        )
    db.session.commit()
    click.echo(f"created station {code} {name} in {regions.path_of(region)}")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--station", "station_code", help="Station code (required for staff).")
@click.option("--region", "region_code", help="Region code for admins and assessors (default: the root).")
@click.option("--name", "display_name", default="", help="Display name.")
def create_user(
    username: str, role: str, station_code: str | None, region_code: str | None, display_name: str
) -> None:
    """Create a user; the password comes from $PASSWORD or is asked for. An administrator or
    assessor belongs to --region (the root region without it); staff to their --station."""
    with refusals_as_usage_errors():
        people.check_username(username)
        station = people.station_for(role, station_code)
        region = regions.region_for(None, region_code) if role != "staff" else None
        password = os.environ.get("PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        people.create(username, display_name, role, station, password, actor=None, region=region)
    db.session.commit()
    click.echo(f"created {role} {username}")


# Where on the command line the field a service refuses comes from.
PARAMETERS = {
    "code": "'CODE'",
    "username": "'USERNAME'",
    "station_code": "'--station'",
    "region_code": "'--region'",
    "parent_code": "'--parent'",
    "name": "'NAME'",
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
def demo_command() -> None:
    """Fill the database with demo stations, users and assessments, and print the logins."""
    demo.fill()
    db.session.commit()
    ensure_demo_certificate()
    click.echo(f"Demo logins (password {demo.DEMO_PASSWORD} for all):")
    for username, display_name, role, station_code, region_code in demo.DEMO_USERS:
        region = regions.region_for(None, region_code)
        where = f" @ {station_code}" if station_code else f" @ {regions.path_of(region)}"
        click.echo(f"  {username:<12} {role:<8} {display_name}{where}")
