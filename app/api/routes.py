"""The JSON API: what the offline outbox and other clients use."""

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.api import bp
from app.extensions import db
from app.models import Station, is_row_id
from app.services import assessments, regions, signoff
from app.services.authorship import ensure_author
from app.services.idempotency import Change, parse_mutation_id
from app.services.json_shapes import assessment_json, rubric_json, user_json
from app.services.refusals import Refused, error_json, typed_field
from app.services.rubrics import active_rubric
from app.web.access import assessor_required, viewable_assessment
from app.web.errors import database_failure
from app.web.links import json_answer
from app.web.requests import answer_once, json_body


@bp.get("/me")
@login_required
def me():
    """Whom this session belongs to: a phone sends what waits only under its author's session."""
    return jsonify(user_json(current_user))


@bp.get("/rubric")
@login_required
def rubric():
    """The form new assessments are scored against, items in the form's order."""
    return jsonify(rubric_json(active_rubric()))


@bp.post("/assessments")
@assessor_required
def create_assessment():
    """Start an assessment of a station (201), or join the one in progress there (200)."""
    body = json_body()
    station_id = body.get("station_id")
    if not is_row_id(station_id):
        raise Refused(422, _l("station_id must be a station's numeric id."), field="station_id")

    def apply():
        station = db.session.get(Station, station_id)
        if station is None or not regions.can_see_station(current_user, station):
            raise Refused(422, _l("There is no station with this id."), field="station_id")
        assessment, created = assessments.start_or_join(station, current_user)
        return assessment_json(assessment, assessments.scorecard(assessment)), 201 if created else 200

    return answer_once(body.get("mutation_id"), Change("assessment.start", (), body), apply)


@bp.get("/assessments/<int:assessment_id>")
@login_required
def get_assessment(assessment_id: int):
    """An assessment with its score, subtotals, findings and unscored items."""
    assessment = viewable_assessment(assessment_id)
    return json_answer(assessment_json(assessment, assessments.scorecard(assessment)))


@bp.put("/assessments/<int:assessment_id>/findings/<item_id>")
@assessor_required
def put_finding(assessment_id: int, item_id: str):
    """Record one item's result; answers the finding and the new totals."""
    assessment = viewable_assessment(assessment_id, *assessments.SCORING_LOAD)
    body = json_body()
    ensure_author(body.get("author"), current_user)
    recorded = assessments.record_finding_once(
        assessment,
        item_id,
        mutation_id=parse_mutation_id(body.get("mutation_id")),
        user=current_user,
        **assessments.finding_change(body),
    )
    return json_answer(recorded.body, recorded.status)


@bp.post("/assessments/<int:assessment_id>/findings")
@assessor_required
def post_findings(assessment_id: int):
    """Record several items' results in their order, each once and on its own: a phone sends
    what it kept offline in one round trip instead of one per item. Answers 200 with a result per
    change, each with the status and body its own PUT would have had."""
    assessment = viewable_assessment(assessment_id, *assessments.SCORING_LOAD)
    changes = typed_field(json_body(), "findings", list)
    if not changes or len(changes) > assessments.MAX_FINDINGS_PER_REQUEST:
        raise Refused(
            422,
            _l("Send from 1 to %(max)d results.", max=assessments.MAX_FINDINGS_PER_REQUEST),
            field="findings",
        )
    try:
        results = assessments.record_findings_in_order(assessment, changes, current_user)
    except assessments.StoppedByDatabase as stopped:
        failure = database_failure(stopped.error)
        failed = {"item_id": stopped.failed.get("item_id"), "mutation_id": stopped.failed.get("mutation_id")}
        body = error_json(failure.message, **failure.details)
        results = [*stopped.results, {**failed, "status": failure.status, "body": body}]
    return json_answer({"results": results})


@bp.put("/assessments/<int:assessment_id>/signatures/<role>")
@assessor_required
def put_signature(assessment_id: int, role: str):
    """Keep one role's sign-off before 定稿, as the phone's signature pad stands; empty clears it."""
    assessment = viewable_assessment(assessment_id)
    body = json_body()
    ensure_author(body.get("author"), current_user)
    signature = signoff.one_from_json(role, body, current_user)

    def apply():
        return signoff.keep(assessment, role, signature, current_user), 200

    change = Change("signature.keep", (assessment.id, role), body)
    return answer_once(body.get("mutation_id"), change, apply, lock=assessment)


@bp.post("/assessments/<int:assessment_id>/finalize")
@assessor_required
def finalize(assessment_id: int):
    """Lock a fully scored assessment; afterwards every write to it answers 409."""
    assessment = viewable_assessment(assessment_id)
    body = json_body(optional=True)
    signatures = signoff.from_json(body.get("signatures"), current_user)

    def apply():
        card = assessments.finalize(assessment, current_user)
        signoff.record(assessment, signatures, current_user)
        return assessment_json(assessment, card), 200

    change = Change("assessment.finalize", (assessment.id,), body)
    return answer_once(body.get("mutation_id"), change, apply, lock=assessment)
