"""The authority's PAdES signature on a finalized report's PDF: made with the configured PKCS#12,
valid against its certificate, broken by any changed byte; no certificate, no signature."""

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding

from app.services.reports import signing
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.reports.test_verify import changed_byte


def download(client, auth, assessment_id) -> bytes:
    log_in(auth, "admin")
    response = client.get(f"/reports/assessments/{assessment_id}.pdf")
    assert response.status_code == 200
    return response.data


def validation(app, data: bytes):
    """pyHanko's verdict on the PDF's one signature, trusting the app's certificate as a root.

    Its synchronous validator runs an event loop of its own, which Python refuses where one runs
    already: in a pytest worker that ran a Playwright test before. A thread of its own has none."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    cert = signing.certificate(signing.credentials(app.config))
    root = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    assert len(signatures) == 1
    with ThreadPoolExecutor(max_workers=1) as pool:
        verdict = pool.submit(validate_pdf_signature, signatures[0], ValidationContext(trust_roots=[root]))
        return verdict.result()


def test_the_demo_makes_a_certificate_and_its_reports_are_signed_and_valid(app, client, auth, demo):
    assert Path(app.config["SIGNING_P12"]).is_file()
    status = validation(app, download(client, auth, demo.finalized))
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line


def test_one_changed_byte_breaks_the_signature(app, client, auth, demo):
    status = validation(app, changed_byte(download(client, auth, demo.finalized)))
    assert not status.intact and not status.bottom_line


def test_without_a_certificate_reports_are_drawn_unsigned_and_the_admin_is_told(app, client, auth, demo):
    Path(app.config["SIGNING_P12"]).unlink()
    data = download(client, auth, demo.finalized)
    assert b"/ByteRange" not in data
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "未签名" in page and "flask signing init" in page


def test_a_new_certificate_is_used_without_a_restart(app, client, auth, demo):
    Path(app.config["SIGNING_P12"]).unlink()
    assert b"/ByteRange" not in download(client, auth, demo.finalized)
    signing.make_self_signed(Path(app.config["SIGNING_P12"]), name="新的签章")
    client.post(
        f"/admin/assessments/{demo.finalized}/reopen", data={"csrf_token": auth.token, "reason": "复核"}
    )
    client.post(f"/assess/{demo.finalized}/finalize", data={"csrf_token": auth.token})
    status = validation(app, download(client, auth, demo.finalized))
    assert status.bottom_line
    assert "新的签章" in client.get("/admin/audit").get_data(as_text=True)


def test_the_admin_sees_who_signs_the_reports(app, client, auth, demo):
    log_in(auth, "admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "已签名" in page and signing.DEMO_NAME in page


def test_signing_init_makes_a_self_signed_certificate_and_keeps_an_existing_one(app, runner, tmp_path):
    p12 = tmp_path / "instance" / "signing.p12"
    app.config["SIGNING_P12"] = str(p12)
    result = runner.invoke(args=["signing", "init"])
    assert result.exit_code == 0, result.output
    assert p12.is_file() and signing.password_file(p12).is_file()
    assert p12.stat().st_mode & 0o077 == 0 and signing.password_file(p12).stat().st_mode & 0o077 == 0
    first = p12.read_bytes()
    with app.app_context():
        assert signing.state(app.config).signed
    again = runner.invoke(args=["signing", "init"])
    assert again.exit_code != 0 and "--force" in again.output
    assert p12.read_bytes() == first
    assert runner.invoke(args=["signing", "init", "--force"]).exit_code == 0
    assert p12.read_bytes() != first
    assert "signed by" in runner.invoke(args=["signing", "status"]).output


@pytest.mark.parametrize("password", ["wrong", ""])
def test_a_wrong_password_is_reported_not_signed_with(app, tmp_path, password):
    p12 = tmp_path / "other.p12"
    signing.make_self_signed(p12)
    signing.password_file(p12).unlink()
    app.config.update(SIGNING_P12=str(p12), SIGNING_PASSWORD=password)
    state = signing.state(app.config)
    assert not state.signed and "password" in state.problem


def test_the_password_and_the_time_stamp_server_reach_the_drawing_through_its_environment(app, tmp_path):
    p12 = tmp_path / "tsa.p12"
    signing.make_self_signed(p12)
    app.config.update(SIGNING_P12=str(p12), SIGNING_TSA_URL="http://tsa.example.cn/rfc3161")
    environment = signing.child_environment(app.config)
    assert environment[signing.P12_VARIABLE] == str(p12)
    assert environment[signing.PASSWORD_VARIABLE] == signing.password_file(p12).read_text()
    assert environment[signing.TSA_VARIABLE] == "http://tsa.example.cn/rfc3161"
    p12.unlink()
    assert not set(signing.VARIABLES) & set(signing.child_environment(app.config))
