from flask import render_template
from flask_login import current_user

from app import assessments
from app.access import staff_required
from app.extensions import db
from app.models import FINALIZED, Assessment
from app.station import bp


@bp.get("/")
@staff_required
def home():
    """The finalized assessments of the staff member's own station."""
    finalized = db.session.scalars(
        db.select(Assessment)
        .filter_by(station_id=current_user.station_id, status=FINALIZED)
        .order_by(Assessment.finalized_at.desc())
    ).all()
    cards = [(a, assessments.scorecard(a)) for a in finalized]
    return render_template("station/home.html", station=current_user.station, cards=cards)
