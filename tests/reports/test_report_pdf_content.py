"""The report's PDF survives any content: a long note continues under the repeated table head,
every character a user can type prints, and the English report speaks English."""

import re
import subprocess

import pytest

from app.extensions import db
from app.models import Assessment, Signature
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.reports.test_reports import TITLE, pdf_pages, record_in_progress

SENTENCE = "现场查看发现，二楼理论考场的监控录像仅保存七天，不符合至少保存一个考试周期的要求；"
LONG_NOTE = (SENTENCE * 30)[:700]


def test_a_700_character_note_continues_under_the_table_title_its_number_and_the_item_number(app, demo):
    assessment_id = record_in_progress(app, ("1.5.2", "zero", None, LONG_NOTE))
    report, pages = pdf_pages(app, assessment_id)
    assert not any(table.tall for table in report.tables), "no row is left to break across pages"
    holding = [number for number, text in enumerate(pages) if SENTENCE[:12] in text]
    assert len(holding) >= 2, "the note runs over more than one page"
    for number in holding[1:]:
        text = pages[number]
        assert text.startswith(TITLE), number
        assert "表1-1（续）" in text and "评估内容评估分值" in text, number
        assert "1.5.2（续）" in text, number
    printed = "".join(pages[number] for number in holding)
    assert re.sub(r"\s", "", LONG_NOTE) in re.sub(
        r"\s|1\.5\.2（续）|表1-1（续）|" + TITLE, "", printed
    ) or all(part in printed for part in LONG_NOTE.split("；") if part)


def pdf_file(client, url, tmp_path, name="report.pdf"):
    response = client.get(url)
    assert response.status_code == 200
    path = tmp_path / name
    path.write_bytes(response.data)
    return path


def fonts_of(path) -> str:
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def test_every_character_a_user_can_type_prints_signers_included(app, client, auth, demo, tmp_path):
    rare = "王𪚥"
    scripts = {"Tibetan": "བོད་ཡིག", "Mongolian": "ᠮᠣᠩᠭᠣᠯ", "Yi": "ꆈꌠꁱꂷ", "Thai": "ภาษาไทย", "Emoji": "😀"}
    with app.app_context():
        signature = db.session.scalar(db.select(Signature).filter_by(role="station_representative"))
        signature.name = rare
        assessment = db.session.get(Assessment, demo.finalized)
        finding = assessment.finding_for("5.3.1")
        finding.note = "标识缺失。" + " ".join(scripts.values())
        db.session.commit()
    log_in(auth, "admin")
    path = pdf_file(client, f"/reports/assessments/{demo.finalized}.pdf", tmp_path)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert rare in words
    fonts = fonts_of(path)
    for family in ("HanaMin", "Tibetan", "Mongolian", "Yi", "Thai", "Emoji"):
        assert family in fonts, family


@pytest.fixture
def english(client, auth, demo):
    log_in(auth, "admin")
    client.post("/language", data={"language": "en", "csrf_token": auth.token})
    return client


def test_the_english_report_has_english_labels_and_iso_dates(app, english, demo, tmp_path):
    page = english.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    totals = page.split('class="report-totals"')[1].split("</thead>")[0]
    assert "大项" not in totals and "评估分值" not in totals and "Category" in totals
    assert re.search(r"Signed: \d{4}-\d{2}-\d{2} \d{2}:\d{2}", page)
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d", page)
    path = pdf_file(english, f"/reports/assessments/{demo.finalized}.pdf", tmp_path)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}", words) and not re.search(r"\d [AP]M", words)
    assert "Score" in words and "评估分值 | Score" not in words
