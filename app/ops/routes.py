"""What a load balancer asks: can this server do its work?"""

from flask import jsonify

from app.ops import bp
from app.web import operations


@bp.get("/healthz")
def healthz():
    """200 when the database answers and the upload folder takes a file, else 503 naming what failed."""
    failed = operations.failed_health_checks()
    body, status = (
        ({"status": "ok"}, 200) if not failed else ({"status": "unavailable", "failed": failed}, 503)
    )
    return jsonify(body), status, {"Cache-Control": "no-store"}
