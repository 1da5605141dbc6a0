"""An assessment keeps scoring against the form version it was started with."""

import shutil
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.models import Station, User
from rubric import RubricError
from tests import ROOT, databases
from tests.conftest import TEST_PASSWORD, Auth, TestConfig

FORMS = ROOT / "rubric" / "forms"


def write_version_2(directory: Path) -> None:
    """Version 2 renames 4.1.1's one-problem outcome, so a version-1 finding is unknown to it."""
    text = (FORMS / "station-quality-1.toml").read_text(encoding="utf-8")
    text = text.replace('version = "1"', 'version = "2"', 1)
    text = text.replace(
        '{ key = "minus_1", label = "发现1个问题", points = 2 }',
        '{ key = "one_problem", label = "发现1个问题", points = 2 }',
    )
    text = text.replace(
        '{ max = 1, outcome = "minus_1" }, { max = 2, outcome = "minus_2" }], otherwise = "zero" }',
        '{ max = 1, outcome = "one_problem" }, { max = 2, outcome = "minus_2" }], otherwise = "zero" }',
    )
    (directory / "station-quality-2.toml").write_text(text, encoding="utf-8")


def app_with_forms(tmp_path, forms_dir, database):
    return create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database,
        UPLOAD_DIR=str(tmp_path / "u"),
        RUBRIC_DIR=str(forms_dir),
    )


def test_old_assessment_keeps_its_version_after_a_new_one_is_added(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(FORMS / "station-quality-1.toml", forms)
    database = databases.databases().create(tmp_path)
    old_app = app_with_forms(tmp_path, forms, database)
    with old_app.app_context():
        station = Station(code="S1", name="一站")
        other_station = Station(code="S2", name="二站")
        user = User(username="assessor", role="assessor")
        user.set_password(TEST_PASSWORD)
        db.session.add_all([station, other_station, user])
        db.session.commit()
    auth = Auth(old_app.test_client())
    auth.login("assessor")
    old_id = auth.post_json("/api/assessments", {"station_id": 1}).get_json()["id"]
    auth.put_json(f"/api/assessments/{old_id}/findings/4.1.1", {"inputs": {"problems": 1}, "note": "一处"})

    write_version_2(forms)
    new_app = app_with_forms(tmp_path, forms, database)
    auth = Auth(new_app.test_client())
    auth.login("assessor")
    assert auth.client.get("/api/rubric").get_json()["version"] == "2"
    new = auth.post_json("/api/assessments", {"station_id": 2}).get_json()
    assert new["rubric"] == {"id": "station-quality", "version": "2"}

    old = auth.client.get(f"/api/assessments/{old_id}").get_json()
    assert old["rubric"]["version"] == "1"
    assert old["findings"][0]["outcome"] == "minus_1"
    assert old["score"] == 2
    again = auth.put_json(
        f"/api/assessments/{old_id}/findings/4.1.1", {"inputs": {"problems": 1}, "note": "一处"}
    )
    assert again.get_json()["finding"]["outcome"] == "minus_1"
    on_new = auth.put_json(
        f"/api/assessments/{new['id']}/findings/4.1.1", {"inputs": {"problems": 1}, "note": "一处"}
    )
    assert on_new.get_json()["finding"]["outcome"] == "one_problem"


def test_app_refuses_to_start_with_a_broken_form(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    text = (
        (FORMS / "station-quality-1.toml")
        .read_text(encoding="utf-8")
        .replace("points = 11", "points = 12", 1)
    )
    (forms / "station-quality-1.toml").write_text(text, encoding="utf-8")
    with pytest.raises(RubricError, match="category 1"):
        app_with_forms(tmp_path, forms, f"sqlite:///{tmp_path / 'never-opened.db'}")
