"""核验: a finalized report's PDF carries a code and a QR code on every page; they open a public page
that shows what was issued, tells whether the record still stands, and checks a PDF byte for byte."""

import hashlib
import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Assessment, VerificationCode
from app.services import verification
from app.services.reports import pdf
from tests.finalize.test_frozen_record import finalize, reopen
from tests.report_fixtures import demo_data, log_in  # noqa: F401

ISSUED_LABELS = ["核验码", "所（站）", "日期", "评估表版本", "总分"]


def issue(app, assessment_id, data: bytes | None = None) -> str:
    """The code the assessment's current PDF prints, taken without drawing it; `data` stands in
    for its drawn file."""
    with app.test_request_context("/"):
        assessment = db.session.get(Assessment, assessment_id)
        kept = pdf.kept_path(assessment, False)
        printed = verification.printed_on(assessment, kept.stem)
        if data is not None:
            kept.write_bytes(data)
        return printed.code


def changed_byte(data: bytes) -> bytes:
    """The same bytes but one, inside the first stream (so the file still parses)."""
    at = data.index(b"stream\n") + 40
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def upload(client, code, data: bytes, name="report.pdf"):
    return client.post(
        f"/v/{code}", data={"pdf": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def page_texts(path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    return [pdftotext_page(path, n) for n in range(1, pages + 1)]


def pdftotext_page(path, number: int) -> str:
    words = ["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"]
    return subprocess.run(words, capture_output=True, text=True, check=True).stdout


def link_uris_by_page(data: bytes) -> list[set[str]]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    pages = []

    def walk(node):
        if node["/Type"] == "/Pages":
            for kid in node["/Kids"]:
                walk(kid.get_object())
        else:
            pages.append(node)

    walk(PdfFileReader(io.BytesIO(data)).root["/Pages"])
    return [
        {
            str(action["/URI"])
            for annotation in page.get("/Annots", [])
            if (action := annotation.get_object().get("/A")) is not None and "/URI" in action
        }
        for page in pages
    ]


def only_code(app) -> VerificationCode:
    with app.app_context():
        return db.session.scalars(db.select(VerificationCode)).one()


@pytest.fixture
def drawn(app, client, auth, demo, tmp_path):
    """BJ001's finalized report as the administrator downloads it (drawn and signed)."""
    log_in(auth, "admin")
    response = client.get(f"/reports/assessments/{demo.finalized}.pdf")
    assert response.status_code == 200
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    client.post("/logout", data={"csrf_token": auth.token})
    return path


def test_every_page_of_a_finalized_report_prints_its_code_and_links_its_qr_code_to_the_public_page(
    app, drawn
):
    row = only_code(app)
    grouped = verification.grouped(row.code)
    with app.app_context():
        link = verification.link(row.code)
    texts = page_texts(drawn)
    assert len(texts) > 1
    assert all(grouped in text and "核验码" in text for text in texts)
    assert all(link in uris for uris in link_uris_by_page(drawn.read_bytes()))
    assert link == f"http://localhost:5000/v/{grouped}"


def test_the_link_uses_the_public_url(app, demo):
    app.config["PUBLIC_URL"] = "https://pinggu.example.cn/"
    code = issue(app, demo.finalized)
    with app.app_context():
        assert verification.link(code) == f"https://pinggu.example.cn/v/{verification.grouped(code)}"


def test_a_draft_prints_no_code(app, client, auth, demo, tmp_path):
    log_in(auth, "admin")
    response = client.get(f"/reports/assessments/{demo.in_progress}.pdf")
    assert response.status_code == 200
    path = tmp_path / "draft.pdf"
    path.write_bytes(response.data)
    assert not any("核验码" in text for text in page_texts(path))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(VerificationCode.id))) == 0


def test_codes_are_twelve_base32_characters_from_the_system_random_source_shown_grouped():
    codes = {verification.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[0-9ABCDEFGHJKMNPQRSTVWXYZ]{12}", code) for code in codes)
    assert verification.grouped("ABCD2345WXYZ") == "ABCD-2345-WXYZ"
    assert verification.normalized(" abcd-2345 wxyz ") == "ABCD2345WXYZ"
    assert verification.normalized("O0I1L") == "00111"


def test_the_public_page_shows_what_was_issued_and_nothing_else_without_a_login(app, client, demo):
    code = issue(app, demo.finalized, b"%PDF-1.7 issued")
    response = client.get(f"/v/{verification.grouped(code)}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    labels = re.findall(r"<dt>(.*?)</dt>", page)
    assert labels == ISSUED_LABELS
    with app.app_context():
        assessment = db.session.get(Assessment, demo.finalized)
        record = verification.issued_record(assessment)
        finding_notes = [finding.note for finding in assessment.findings if finding.note]
        people = [user.name for user in assessment.team] + [s.name for s in assessment.signatures]
        address = assessment.station.address
    assert f"{record['station_name']}（{record['station_code']}）" in page
    assert record["date"] in page and record["form_version"] in page
    assert f"{record['total']} / {record['max_points']}" in page
    for category in record["categories"]:
        row = f'{category["code"]}．{category["title"]}</th><td class="num">{category["score"]}</td>'
        assert row in page
    assert only_code(app).pdf_sha256 in page
    assert 'data-status="finalized"' in page
    assert finding_notes and people and address
    shown = re.search(r"<main.*</main>", page, re.S)[0]
    for private in [*finding_notes, *people, address, "/photos/", "/reports/", "/shared/", "/assess/"]:
        assert private not in shown, private


def test_the_status_follows_a_reopen_and_a_new_finalize_which_supersedes_the_first_report(
    app, client, auth, demo
):
    first = issue(app, demo.finalized)
    log_in(auth, "admin")
    reopen(client, auth, demo.finalized)
    assert 'data-status="reopened"' in client.get(f"/v/{first}").get_data(as_text=True)
    assert finalize(client, auth, demo.finalized).status_code == 302
    second = issue(app, demo.finalized)
    assert second != first
    assert 'data-status="superseded"' in client.get(f"/v/{first}").get_data(as_text=True)
    assert 'data-status="finalized"' in client.get(f"/v/{second}").get_data(as_text=True)
    reopen(client, auth, demo.finalized)
    assert 'data-status="superseded"' in client.get(f"/v/{first}").get_data(as_text=True)
    assert 'data-status="reopened"' in client.get(f"/v/{second}").get_data(as_text=True)


def test_the_same_pdf_keeps_its_code_however_often_it_is_asked_for(app, demo):
    assert issue(app, demo.finalized) == issue(app, demo.finalized)


def test_the_issued_bytes_are_said_to_be_issued_and_one_changed_byte_is_not(app, client, demo):
    issued = b"%PDF-1.7\n1 0 obj<<>>stream\n" + bytes(range(256)) * 4 + b"\nendstream"
    code = issue(app, demo.finalized, issued)
    same = upload(client, code, issued)
    assert same.status_code == 200
    assert 'data-matches="yes"' in same.get_data(as_text=True)
    other = upload(client, code, changed_byte(issued))
    assert other.status_code == 200
    assert 'data-matches="no"' in other.get_data(as_text=True)


def test_the_hash_as_issued_outlives_the_file_pruned_after_a_reopen(app, client, auth, demo):
    issued = b"%PDF-1.7 the version before the reopen"
    code = issue(app, demo.finalized, issued)
    log_in(auth, "admin")
    reopen(client, auth, demo.finalized)
    with app.test_request_context("/"):
        assert pdf.prune(timedelta(0)) >= 1
        assert not list((Path(app.config["UPLOAD_DIR"]) / "reports").glob("*.pdf"))
    assert upload(client, code, issued).get_data(as_text=True).count('data-matches="yes"') == 1
    assert hashlib.sha256(issued).hexdigest() in client.get(f"/v/{code}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "请选择要核对的 PDF 文件。"), (b"GIF89a not a pdf", "此文件不是 PDF")],
)
def test_a_missing_or_wrong_upload_gets_a_clear_message(app, client, demo, data, message):
    code = issue(app, demo.finalized, b"%PDF-1.7 issued")
    response = upload(client, code, data, "photo.gif")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "data-matches" not in page
    assert client.post(f"/v/{code}", data={}).status_code == 422


UNKNOWN_CODES = ["AAAA-BBBB-CCCC", "short", "x" * 300, "%E4%B8%AD%E6%96%87", "ABCD-EFGH-JKM<"]


@pytest.mark.parametrize("code", UNKNOWN_CODES)
def test_an_unknown_or_malformed_code_gets_a_clear_404_page(app, client, demo, code):
    issue(app, demo.finalized)
    response = client.get(f"/v/{code}")
    assert response.status_code == 404
    assert "没有报告使用此核验码" in response.get_data(as_text=True)
    assert upload(client, code, b"%PDF-1.7").status_code == 404


def test_a_typed_code_goes_to_its_page(app, client, demo):
    code = issue(app, demo.finalized)
    assert client.get("/v/").status_code == 200
    response = client.get("/v/", query_string={"code": code.lower()})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    odd = client.get("/v/", query_string={"code": "../admin/audit?x=1#"})
    assert client.get(odd.headers["Location"]).status_code == 404


def test_too_many_lookups_from_one_client_get_429_with_a_clear_message(app, client, demo):
    code = issue(app, demo.finalized)
    answers = [client.get(f"/v/{code}").status_code for _ in range(verification.LOOKUPS_PER_CLIENT)]
    assert set(answers) == {200}
    refused = client.get(f"/v/{code}")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "查询过于频繁" in refused.get_data(as_text=True)
    assert upload(client, code, b"%PDF-1.7").status_code == 429
    assert client.get("/v/AAAA-BBBB-CCCC").status_code == 429


def test_the_public_page_opens_nothing_else(app, client, demo):
    code = issue(app, demo.finalized)
    for path in (f"/v/{code}/pdf", f"/v/{code}.pdf", f"/v/{code}/photos/1"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/reports/assessments/{demo.finalized}.pdf").status_code == 302
