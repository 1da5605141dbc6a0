"""`flask plans verify PLAN`: run a plan's draws again from their kept inputs."""

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import InspectionPlan
from app.services import plans

plans_cli = AppGroup("plans", help="Inspection plans.")


@plans_cli.command("verify")
@click.argument("plan_id", type=int)
def verify(plan_id: int) -> None:
    """Re-run every draw of PLAN_ID from its inputs; exit 1 unless each gives the kept result."""
    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None:
        raise click.ClickException(f"no plan {plan_id}")
    if not plan.draws:
        raise click.ClickException(f"plan {plan_id} has not been drawn")
    failed = False
    for record in plan.draws:
        check = plans.verify(record)
        state = "reproduces" if check.reproduced else "DOES NOT reproduce"
        click.echo(f"draw {record.number}: seed {check.seed} {state} the kept result")
        for difference in check.differences:
            click.echo(f"  {difference}")
        failed = failed or not check.reproduced
    if failed:
        raise SystemExit(1)
