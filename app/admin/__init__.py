from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import form_routes, routes  # noqa: E402,F401
