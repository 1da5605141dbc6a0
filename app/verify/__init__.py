from flask import Blueprint

from app.services.verification import PATH

bp = Blueprint("verify", __name__, url_prefix=PATH.rstrip("/"))

from app.verify import routes  # noqa: E402,F401
