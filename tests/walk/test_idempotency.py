"""A mutation_id is tied to the change it carries by a fingerprint made from what the change is,
never from the route it was sent to."""

import hashlib
import json
import uuid

import pytest

from app.extensions import db
from app.models import Mutation
from app.services.idempotency import Change


def path_fingerprint(path: str, payload: dict) -> str:
    """The fingerprint as it was made before changes had kinds: from the route's path."""
    body = json.dumps({"path": path, "payload": payload}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def test_a_fingerprint_needs_no_app_no_request_and_no_route():
    change = Change("photo.caption", (7,), {"caption": "东墙", "mutation_id": "x", "author": 3})
    assert change.fingerprint() == Change("photo.caption", (7,), {"caption": "东墙"}).fingerprint()
    assert change.fingerprint() != Change("photo.caption", (8,), {"caption": "东墙"}).fingerprint()
    assert change.fingerprint() != Change("photo.caption", (7,), {"caption": "西墙"}).fingerprint()


def test_an_unknown_kind_of_change_is_a_programming_error():
    with pytest.raises(ValueError):
        Change("photo.renamed_route", (7,))


def test_a_retry_stored_under_the_route_path_fingerprint_still_matches(app, assessor, station_id):
    """A phone that sent a change before the upgrade and retries it after gets the stored answer."""
    mutation_id = str(uuid.uuid4())
    payload = {"station_id": station_id, "mutation_id": mutation_id}
    first = assessor.post_json("/api/assessments", payload)
    assert first.status_code == 201
    with app.app_context():
        row = db.session.get(Mutation, mutation_id)
        row.fingerprint = path_fingerprint("/api/assessments", {"station_id": station_id})
        db.session.commit()

    again = assessor.post_json("/api/assessments", payload)

    assert again.status_code == 201
    assert again.get_json() == first.get_json()


def test_a_finding_retry_stored_under_the_old_scheme_still_matches(app, assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    url = f"/api/assessments/{assessment_id}/findings/1.1.1"
    first = assessor.put_json(url, {"outcome": "full", "mutation_id": mutation_id})
    assert first.status_code == 200
    with app.app_context():
        db.session.get(Mutation, mutation_id).fingerprint = path_fingerprint(
            f"finding/{assessment_id}/1.1.1", {}
        )
        db.session.commit()

    again = assessor.put_json(url, {"outcome": "full", "mutation_id": mutation_id})

    assert again.status_code == 200
    assert again.get_json() == first.get_json()


def test_a_stored_fingerprint_of_another_change_is_still_refused(app, assessor, station_id):
    mutation_id = str(uuid.uuid4())
    assert (
        assessor.post_json(
            "/api/assessments", {"station_id": station_id, "mutation_id": mutation_id}
        ).status_code
        == 201
    )
    with app.app_context():
        db.session.get(Mutation, mutation_id).fingerprint = path_fingerprint(
            "/api/assessments", {"station_id": 999}
        )
        db.session.commit()

    again = assessor.post_json("/api/assessments", {"station_id": station_id, "mutation_id": mutation_id})

    assert again.status_code == 422
