from flask import Blueprint

bp = Blueprint("station", __name__, url_prefix="/station")

from app.station import routes  # noqa: E402,F401
