"""The list of pages the phone keeps for an assessment (offline.json): the one list "kept" counts
against, so it holds every page the walk can reach, the photo pages it links included."""

import json

from app.web import phone
from tests.photos.test_photos import upload


def test_the_kept_pages_list_holds_the_photo_pages_the_walk_links(assessor, assessment_id):
    photo = upload(assessor, assessment_id).get_json()
    urls = assessor.client.get(f"/assess/{assessment_id}/offline.json").get_json()["urls"]
    assert len(urls) == 61 + 2 + 1
    assert f"/photos/{photo['id']}" in urls
    assert assessor.client.get(f"/photos/{photo['id']}").status_code == 200


def test_the_service_worker_is_told_its_time_limits_and_the_kept_pages_list(client):
    body = client.get("/sw.js").get_data(as_text=True)
    told = json.loads(body.split("const PHONE = ", 1)[1].split(";\n", 1)[0])
    assert told["urls"]["kept_pages"] == "/assess/{assessment_id}/offline.json"
    assert told["urls"]["photo_page"] == "/photos/{photo_id}"
    assert told["timeouts"] == phone.WORKER_TIMEOUTS_MS
