"""Form versions: upload, check, try, compare, publish and choose (only root administrators)."""

import io

import pytest

from app.extensions import db
from app.models import Assessment, AuditEvent, FormVersion, Region, User
from app.services import rubrics
from rubric.registry import FORMS_DIRECTORY

SHIPPED = (FORMS_DIRECTORY / "station-quality-1.1.toml").read_text(encoding="utf-8")


def with_version(text: str, version: str) -> str:
    return text.replace('version = "1.1"', f'version = "{version}"', 1)


DRAFT = with_version(SHIPPED, "1.9").replace("所(站)长岗位职责明确", "所(站)长岗位职责明确并公示", 1)


@pytest.fixture
def admin(auth, make_user):
    make_user("root_admin", role="admin")
    auth.login("root_admin")
    return auth


def upload(auth, text: str | bytes, name: str = "form.toml"):
    content = text.encode() if isinstance(text, str) else text
    return auth.client.post(
        "/admin/forms",
        data={"csrf_token": auth.token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def post(auth, url: str):
    return auth.client.post(url, data={"csrf_token": auth.token})


def version_row(app, version: str) -> FormVersion:
    with app.app_context():
        return db.session.scalar(db.select(FormVersion).filter_by(version=version))


def test_the_forms_page_lists_the_shipped_version_in_use(admin):
    page = admin.client.get("/admin/forms")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "职业技能鉴定所（站）质量管理评估表（试行）" in html
    assert "station-quality" in html


def test_upload_stores_a_draft_and_audits_it(app, admin):
    response = upload(admin, DRAFT)
    assert response.status_code == 302
    draft = version_row(app, "1.9")
    assert draft.status == "draft"
    assert response.headers["Location"].endswith(f"/admin/forms/{draft.id}")
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="form.upload"))
        assert event.subject == "station-quality 1.9"
        assert event.user.username == "root_admin"


def test_an_invalid_toml_is_refused_with_every_problem_located_and_nothing_stored(app, admin):
    broken = DRAFT.replace("points = 2\n", "points = -2\n", 1).replace(
        'text = "综合管理岗位职责明确"', "text = 3", 1
    )
    response = upload(admin, broken)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "1.1.1" in html and "points" in html
    assert "1.2.1" in html and "text" in html
    assert version_row(app, "1.9") is None


def test_a_file_that_is_not_toml_is_refused(app, admin):
    response = upload(admin, b"id = [", "form.toml")
    assert response.status_code == 422
    assert version_row(app, "1.9") is None
    assert upload(admin, b"anything", "form.pdf").status_code == 422


def test_the_json_upload_answers_problems_with_their_locations(app, admin):
    broken = DRAFT.replace("points = 2\n", "points = -2\n", 1)
    response = admin.client.post(
        "/admin/forms.json",
        data={"file": (io.BytesIO(broken.encode()), "form.toml")},
        headers=admin.headers(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert any("1.1.1" in p["location"] + p["message"] for p in problems)
    good = admin.client.post(
        "/admin/forms.json",
        data={"file": (io.BytesIO(DRAFT.encode()), "form.toml")},
        headers=admin.headers(),
        content_type="multipart/form-data",
    )
    assert good.status_code == 201
    assert good.get_json()["version"] == "1.9"
    published = admin.client.post(
        "/admin/forms.json",
        data={"file": (io.BytesIO(SHIPPED.encode()), "form.toml")},
        headers=admin.headers(),
        content_type="multipart/form-data",
    )
    assert published.status_code == 409
    assert published.get_json()["error"]


def test_a_published_version_is_never_replaced(app, admin):
    changed = SHIPPED.replace("所(站)长岗位职责明确", "所(站)长岗位职责明确并公示", 1)
    response = upload(admin, changed)
    assert response.status_code == 409
    assert upload(admin, SHIPPED).status_code == 409


def test_a_draft_uploaded_again_replaces_it(app, admin):
    upload(admin, DRAFT)
    again = DRAFT.replace("并公示", "并张贴", 1)
    assert upload(admin, again).status_code == 302
    with app.app_context():
        drafts = db.session.scalars(db.select(FormVersion).filter_by(version="1.9")).all()
        assert len(drafts) == 1
        assert "并张贴" in drafts[0].source.decode()


def test_the_comparison_names_what_changed_on_the_page_and_as_csv(app, admin):
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    page = admin.client.get(f"/admin/forms/{draft.id}").get_data(as_text=True)
    assert "所(站)长岗位职责明确并公示" in page
    download = admin.client.get(f"/admin/forms/{draft.id}/comparison.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    text = download.get_data().decode("utf-8-sig")
    assert "1.1.1" in text and "所(站)长岗位职责明确并公示" in text
    assert "1.2.1" not in text


def test_publish_then_choose_puts_a_version_in_use_and_audits_both(app, admin, station_id):
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    assert post(admin, f"/admin/forms/{draft.id}/publish").status_code == 302
    with app.app_context():
        assert rubrics.active_rubric().version == "1.1"
    assert post(admin, f"/admin/forms/{draft.id}/use").status_code == 302
    with app.app_context():
        assert rubrics.active_rubric().version == "1.9"
        actions = db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.action.like("form.%"))
        ).all()
        assert actions == ["form.upload", "form.publish", "form.choose"]
    started = admin.post_json("/api/assessments", {"station_id": station_id})
    assert started.status_code == 201
    with app.app_context():
        assert db.session.get(Assessment, started.get_json()["id"]).rubric_version == "1.9"


def test_a_draft_cannot_be_chosen_and_a_published_version_cannot_be_published_again(app, admin):
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    refused = post(admin, f"/admin/forms/{draft.id}/use")
    assert refused.status_code == 409
    shipped = version_row(app, "1")
    assert post(admin, f"/admin/forms/{shipped.id}/publish").status_code == 409
    assert post(admin, f"/admin/forms/{shipped.id}/discard").status_code == 409
    with app.app_context():
        assert rubrics.active_rubric().version == "1.1"


def test_an_assessment_in_progress_keeps_its_version_across_a_publish(app, admin, station_id):
    started = admin.post_json("/api/assessments", {"station_id": station_id}).get_json()["id"]
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    post(admin, f"/admin/forms/{draft.id}/publish")
    post(admin, f"/admin/forms/{draft.id}/use")
    with app.app_context():
        assert db.session.get(Assessment, started).rubric_version == "1.1"
    item = admin.client.get(f"/assess/{started}/items/1.1.1").get_data(as_text=True)
    assert "所(站)长岗位职责明确" in item and "并公示" not in item


def test_a_test_walk_scores_the_draft_is_left_out_and_removed_at_publish(app, admin, station_id):
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    response = post(admin, f"/admin/forms/{draft.id}/test-walk")
    assert response.status_code == 302
    with app.app_context():
        walk = db.session.scalar(db.select(Assessment).filter_by(is_test=True))
        walk_id = walk.id
        assert (walk.rubric_version, walk.station.active) == ("1.9", False)
    item = admin.client.get(f"/assess/{walk_id}/items/1.1.1").get_data(as_text=True)
    assert "并公示" in item
    saved = admin.put_json(f"/api/assessments/{walk_id}/findings/1.1.1", {"outcome": "full"})
    assert saved.status_code == 200
    assessments = admin.client.get("/admin/assessments").get_data(as_text=True)
    assert "FORM-PREVIEW" not in assessments
    export = admin.client.get("/reports/results.csv").get_data().decode("utf-8-sig")
    assert "FORM-PREVIEW" not in export
    assert admin.post_json(f"/api/assessments/{walk_id}/finalize").status_code == 409
    post(admin, f"/admin/forms/{draft.id}/publish")
    with app.app_context():
        assert db.session.get(Assessment, walk_id) is None


def test_the_dashboard_leaves_a_test_walk_out_of_assessments_in_progress(app, admin):
    from app.services import dashboard

    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    post(admin, f"/admin/forms/{draft.id}/test-walk")
    with app.app_context():
        assert dashboard.summary(dashboard.Period.last_twelve_months())["in_progress"] == 0


@pytest.mark.parametrize(
    "role, region, status",
    [("assessor", None, 403), ("staff", None, 403), ("admin", "HN", 403)],
)
def test_only_root_administrators_manage_forms(app, auth, make_user, make_station, role, region, status):
    station = make_station("S9", "站") if role == "staff" else None
    make_user("someone", role=role, station_id=station)
    if region:
        with app.app_context():
            root = db.session.scalar(db.select(Region).where(Region.parent_id.is_(None)))
            child = Region(code=region, name="湖南省", parent=root)
            db.session.add(child)
            db.session.scalar(db.select(User).filter_by(username="someone")).region = child
            db.session.commit()
    auth.login("someone")
    assert auth.client.get("/admin/forms").status_code == status
    assert upload(auth, DRAFT).status_code == status
    with app.app_context():
        assert db.session.scalar(db.select(FormVersion).filter_by(version="1.9")) is None
        shipped = db.session.scalar(db.select(FormVersion).filter_by(version="1"))
    for path in ("", "/form.xlsx", "/source", "/comparison.csv"):
        assert auth.client.get(f"/admin/forms/{shipped.id}{path}").status_code == status
    for action in ("publish", "use", "discard", "test-walk"):
        assert post(auth, f"/admin/forms/{shipped.id}/{action}").status_code == status


def test_a_signed_out_visitor_is_sent_to_log_in(client):
    assert client.get("/admin/forms").status_code == 302


def test_an_xlsx_download_uploads_back_as_the_identical_version(app, admin):
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    workbook = admin.client.get(f"/admin/forms/{draft.id}/form.xlsx")
    assert workbook.status_code == 200
    assert workbook.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert upload(admin, workbook.get_data(), "station-quality-1.9.xlsx").status_code == 302
    again = version_row(app, "1.9")
    assert (again.id, again.source_kind, again.data) == (draft.id, "xlsx", draft.data)
    shipped = version_row(app, "1")
    published = admin.client.get(f"/admin/forms/{shipped.id}/form.xlsx").get_data()
    response = upload(admin, published, "station-quality-1.xlsx")
    assert response.status_code == 409
    assert "与已发布的 1 版相同" in response.get_data(as_text=True)


def test_an_invalid_xlsx_is_refused_with_the_cell_of_each_problem(app, admin):
    from openpyxl import load_workbook

    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    book = load_workbook(io.BytesIO(admin.client.get(f"/admin/forms/{draft.id}/form.xlsx").get_data()))
    sheet = book["评估表"]
    headings = [cell.value for cell in sheet[1]]
    points = headings.index("分值") + 1
    sheet.cell(row=2, column=points).value = "两分"
    changed = io.BytesIO()
    book.save(changed)
    response = upload(admin, changed.getvalue(), "form.xlsx")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "评估表" in html and "row 2" in html and "分值" in html
    assert version_row(app, "1.9").source_kind == "toml"


def test_a_workbook_that_cannot_be_read_is_refused(app, admin):
    response = upload(admin, b"not a workbook", "form.xlsx")
    assert response.status_code == 422
    assert version_row(app, "1.9") is None


def test_the_database_layer_refuses_to_change_or_delete_a_published_version(app):
    from app.models import ImmutableFormError

    with app.app_context():
        rubrics.registry()
        db.session.commit()
        shipped = db.session.scalar(db.select(FormVersion).filter_by(version="1"))
        shipped.title = "改过的标题"
        with pytest.raises(ImmutableFormError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(db.select(FormVersion).filter_by(version="1")))
        with pytest.raises(ImmutableFormError):
            db.session.flush()
        db.session.rollback()


def test_a_draft_can_be_discarded_with_its_test_walks(app, admin):
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    post(admin, f"/admin/forms/{draft.id}/test-walk")
    assert post(admin, f"/admin/forms/{draft.id}/discard").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(FormVersion).filter_by(version="1.9")) is None
        assert db.session.scalar(db.select(Assessment).filter_by(is_test=True)) is None
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="form.discard")) is not None


def test_another_process_sees_a_publish_at_its_next_request(app, admin, tmp_path):
    """Two apps on one database stand for two gunicorn workers, each with its own cached forms."""
    from tests.conftest import make_test_app

    other = make_test_app(tmp_path / "other", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with other.test_request_context():
        assert rubrics.active_rubric().version == "1.1"
    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    post(admin, f"/admin/forms/{draft.id}/publish")
    post(admin, f"/admin/forms/{draft.id}/use")
    with other.test_request_context():
        assert rubrics.active_rubric().version == "1.9"
    with other.app_context():
        db.engine.dispose()


def migrated_app(tmp_path, *, with_data: bool):
    """A database built by the migrations up to the one before the forms', with an account and an
    assessment in progress when `with_data`, then upgraded."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests import databases
    from tests.conftest import TestConfig

    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=databases.databases().create_empty(tmp_path),
        UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        upgrade(revision="c3a9e5d1f702")
        if with_data:
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO regions (code, name, created_at) VALUES ('ROOT', 'r', CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO stations (code, name, address, contact, active, region_id, created_at) "
                        "VALUES ('OLD1', 'o', '', '', true, 1, CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO users (username, display_name, email, password_hash, role, active, "
                        "region_id, created_at) "
                        "VALUES ('boss', 'b', '', 'x', 'admin', true, 1, CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO assessments (station_id, rubric_id, rubric_version, status, started_at) "
                        "VALUES (1, 'station-quality', '1', 'in_progress', CURRENT_TIMESTAMP)"
                    )
                )
        upgrade()
    return app


def test_the_migration_puts_the_shipped_forms_in_a_database_with_data(tmp_path):
    app = migrated_app(tmp_path, with_data=True)
    with app.app_context():
        stored = db.session.scalars(db.select(FormVersion.version)).all()
        assert "1" in stored
        assert db.session.scalar(db.select(Assessment.is_test)) is False
        assert rubrics.active_rubric().version in stored
        db.session.remove()
        db.engine.dispose()


def test_an_empty_database_stays_empty_after_the_migration_and_gets_the_forms_at_first_use(tmp_path):
    from app.services import backup

    app = migrated_app(tmp_path, with_data=False)
    with app.app_context():
        assert not any(backup.row_counts().get(table) for table in ("form_versions", "form_setting"))
        assert rubrics.active_rubric().id == "station-quality"
        db.session.remove()
        db.engine.dispose()


def test_the_dashboard_the_list_and_the_report_name_the_form_version_each_assessment_used(app, auth, runner):
    from app.models import FINALIZED
    from tests.report_fixtures import log_in

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        finalized = db.session.scalar(db.select(Assessment).filter_by(status=FINALIZED))
        finalized_id, version = finalized.id, finalized.rubric_version
    shown = f"评估表 {version} 版"
    log_in(auth, "admin")
    assert shown in auth.client.get("/admin/").get_data(as_text=True)
    assert shown in auth.client.get("/admin/assessments").get_data(as_text=True)
    report = auth.client.get(f"/reports/assessments/{finalized_id}").get_data(as_text=True)
    assert f'<dd class="report-form-version">{version}</dd>' in report


def test_a_test_walk_with_evidence_photos_is_removed_whole(app, admin):
    from app.services.photos import attach_photo, demo_photo

    upload(admin, DRAFT)
    draft = version_row(app, "1.9")
    post(admin, f"/admin/forms/{draft.id}/test-walk")
    with app.app_context():
        walk = db.session.scalar(db.select(Assessment).filter_by(is_test=True))
        user = db.session.scalar(db.select(User).filter_by(username="root_admin"))
        attach_photo(walk, "1.1.1", demo_photo("1.1.1", (400, 300)), user=user)
        db.session.commit()
    assert post(admin, f"/admin/forms/{draft.id}/publish").status_code == 302
    with app.app_context():
        from app.models import Finding, Photo

        assert db.session.scalar(db.select(db.func.count()).select_from(Photo)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Finding)) == 0


def test_the_administrators_choice_stays_when_the_app_starts_again(app, admin, tmp_path):
    from tests.conftest import make_test_app

    shipped_1 = version_row(app, "1")
    assert post(admin, f"/admin/forms/{shipped_1.id}/use").status_code == 302
    restarted = make_test_app(
        tmp_path / "again", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]
    )
    restarted.test_client().get("/login")
    with restarted.app_context():
        assert rubrics.active_rubric().version == "1"
        db.engine.dispose()
