"""Files and fields an administrator is handed: refused with one clear line, never a traceback."""

import gzip
import io
import json
import tarfile

import pytest

from app.extensions import db
from app.models import User
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.security import test_hostile_input
from tests.security.test_hostile_input import finding_entry, import_outbox, outbox_file

admin = test_hostile_input.admin  # the fixture: an administrator, logged in


def test_an_outbox_file_with_an_integer_of_5000_digits_is_refused_as_not_json(admin, assessment_id):
    content = outbox_file([finding_entry(assessment_id)])[:-1] + b', "seq_big": ' + b"9" * 5000 + b"}"
    response = import_outbox(admin, content)
    assert response.status_code == 422
    assert "不是 JSON" in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_an_outbox_file_with_text_no_database_can_store_is_refused_as_a_whole(admin, assessment_id, bad):
    content = outbox_file([finding_entry(assessment_id, note=f"好{bad}")])
    response = import_outbox(admin, content)
    assert response.status_code == 422
    assert "无法保存的字符" in response.get_data(as_text=True)


def tar_with(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def manifest(**fields) -> bytes:
    return json.dumps(
        {"format": 1, "dialect": "sqlite", "created_at": "2026-12-07T09:00:00+00:00", "files": 0, **fields}
    ).encode()


BAD_ARCHIVES = {
    "not-an-archive": b"this is plain text, not a tar file",
    "truncated-gzip": gzip.compress(b"x" * 100_000)[:200],
    "manifest-a-list": tar_with({"backup.json": b"[1, 2]"}),
    "manifest-without-dialect": tar_with({"backup.json": json.dumps({"format": 1}).encode()}),
    "no-database-dump": tar_with({"backup.json": manifest()}),
    "dump-not-a-database": tar_with({"backup.json": manifest(), "database.sqlite": b"not sqlite"}),
    "member-outside-the-folder": tar_with({"backup.json": manifest(), "../../escape.txt": b"x"}),
}


@pytest.mark.parametrize("content", BAD_ARCHIVES.values(), ids=BAD_ARCHIVES.keys())
def test_restore_refuses_a_bad_archive_with_one_line(tmp_path, content):
    from tests.admin.test_backup import empty_instance

    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(content)
    instance = empty_instance(tmp_path / "instance")
    result = instance.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert not (tmp_path.parent / "escape.txt").exists()


@pytest.mark.parametrize(
    "email",
    ["x<y@z.cn>", "李 <li@z.cn>", "a@b.cn, c@d.cn", "a@b.cn\nBcc: c@d.cn", "a@b", "a@b..cn", '"a"@b.cn'],
)
def test_an_email_field_takes_only_a_plain_address(app, client, auth, demo, email):
    log_in(auth, "admin")
    form = {
        "csrf_token": auth.token,
        "username": "li",
        "display_name": "李",
        "email": email,
        "role": "assessor",
        "station_code": "",
        "password": "long enough password",
    }
    assert client.post("/admin/users/new", data=form).status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="li")) is None


@pytest.mark.parametrize("email", ["li@station.test", "li.wang+rect@jd.gov.cn", "X_1@mail.163.com"])
def test_plain_addresses_are_taken(app, client, auth, demo, email):
    log_in(auth, "admin")
    form = {
        "csrf_token": auth.token,
        "username": "li",
        "display_name": "李",
        "email": email,
        "role": "assessor",
        "station_code": "",
        "password": "long enough password",
    }
    assert client.post("/admin/users/new", data=form).status_code == 302
