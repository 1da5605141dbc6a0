"""`flask signing`: the certificate and key the reports' PDFs are signed with."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.services.reports import signing

signing_cli = AppGroup("signing", help="The certificate finalized reports are signed with.")


@signing_cli.command("init")
@click.option("--force", is_flag=True, help="Replace a certificate already there.")
def init_command(force: bool) -> None:
    """Make a self-signed certificate and key for a demo or a test, where SIGNING_P12 points
    (instance/signing.p12 unless set), with a random password in the file beside it."""
    p12 = Path(current_app.config["SIGNING_P12"])
    if p12.exists() and not force:
        raise click.ClickException(f"{p12.name} exists already; --force replaces it")
    made(p12)


@signing_cli.command("status")
def status_command() -> None:
    """Say whether reports are signed, and with which certificate."""
    click.echo(signing.describe(current_app.config))


def ensure_demo_certificate() -> None:
    """The demo's reports are signed: a self-signed certificate is made where none is."""
    p12 = Path(current_app.config["SIGNING_P12"])
    if not p12.exists():
        made(p12)


def made(p12: Path) -> None:
    password = signing.make_self_signed(p12)
    click.echo(f"wrote a self-signed signing certificate to {p12.name} (password in {password.name})")
