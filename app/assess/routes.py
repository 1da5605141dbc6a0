from flask import render_template

from app import assessments
from app.access import assessor_required
from app.assess import bp
from app.extensions import db
from app.models import IN_PROGRESS, Assessment


@bp.get("/")
@assessor_required
def home():
    """Assessments in progress, with their progress and score so far."""
    open_assessments = db.session.scalars(
        db.select(Assessment).filter_by(status=IN_PROGRESS).order_by(Assessment.started_at.desc())
    ).all()
    cards = [(a, assessments.scorecard(a)) for a in open_assessments]
    return render_template("assess/home.html", cards=cards)
