"""A rectification answer refused through the plain form leaves no photo file behind."""

from pathlib import Path

import pytest

from app.services.photos import demo_photo
from tests.rectification.test_rectification import answer
from tests.report_fixtures import demo_data, log_in  # noqa: F401

PAPER = b"%PDF-1.4 not a photo"


def stored_files(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "item_id, text, photos",
    [
        ("4.1.1", "  ", [demo_photo("blank answer", (800, 600))]),
        ("4.1.1", "已整改。" * 2000, [demo_photo("answer too long", (800, 600))]),
        ("5.3.1", "已整改。", [demo_photo("already answered", (800, 600))]),
        ("4.1.1", "已整改。", [demo_photo("one good", (800, 600)), PAPER]),
        ("4.1.1", "已整改。", [demo_photo(f"photo {n}", (400, 300)) for n in range(12)]),
    ],
    ids=["blank", "too-long", "already-answered", "second-photo-bad", "too-many"],
)
def test_a_refused_answer_leaves_no_photo_file(app, client, auth, demo, item_id, text, photos):
    before = stored_files(app)
    log_in(auth, "staff1")
    response = answer(client, auth, demo.finalized, item_id, text=text, photos=photos)
    assert 400 <= response.status_code < 500
    assert stored_files(app) == before


def test_a_refused_answer_keeps_a_file_another_photo_uses(app, client, auth, demo):
    same = demo_photo("the same picture", (800, 600))
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "4.1.1", photos=[same]).status_code == 303
    kept = stored_files(app)
    assert answer(client, auth, demo.finalized, "6.5.1", text=" ", photos=[same]).status_code == 422
    assert stored_files(app) == kept
