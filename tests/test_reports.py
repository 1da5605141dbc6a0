"""The official report as a page and a PDF, and the administrators' CSV and XLSX results."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from app.services.reports.pdf import NotFetched, StoreFetcher
from tests.report_fixtures import demo_data, log_in, pdf_page_count, pdf_text  # noqa: F401

TABLES = ("表1-1", "表1-2", "表1-3", "表1-4", "表1-5", "表1-6")


def report_page(client, auth, demo, username="staff1", query=""):
    log_in(auth, username)
    response = client.get(f"/reports/assessments/{demo.finalized}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_report_has_the_six_tables_with_the_printed_columns(client, auth, demo):
    page = report_page(client, auth, demo)
    assert "职业技能鉴定所（站）质量管理评估表（试行）" in page
    for table in TABLES:
        assert f'<p class="table-name">{table}</p>' in page
    for heading in ("大项", "中项", "小项", "评估分值", "评估方法和标准", "评估结果"):
        assert f"<th>{heading}</th>" in page or f'rowspan="2">{heading}</th>' in page
    # 表1-2 prints 评估内容 over its method column.
    second = page.split('<p class="table-name">表1-2</p>')[1].split('<p class="table-name">表1-3</p>')[0]
    assert 'rowspan="2">评估内容</th>' in second


def test_report_category_and_group_cells_span_their_rows(client, auth, demo):
    page = report_page(client, auth, demo)
    assert re.search(
        r'<th scope="rowgroup" rowspan="7" class="cell-category">1．<br>岗位设置情况<br>11分</th>', page
    )
    assert '<td rowspan="3" class="cell-group">1.5技术支持和财务管理岗位情况</td>' in page
    # Category 6 runs over 表1-4 to 表1-6 and is printed again at the top of each.
    assert page.count("6．<br>鉴定实施要求<br>32分") == 3
    assert '<td rowspan="2" class="cell-group">6.2考生资格的审核</td>' in page
    assert '<td rowspan="2" class="cell-group">6.2考生资格的复核</td>' in page


def test_report_fills_every_item_result_with_notes_for_deductions_and_not_applicable(client, auth, demo):
    page = report_page(client, auth, demo)
    assert len(re.findall(r'<tr data-item="', page)) == 61
    row = page.split('data-item="5.3.1"')[1].split("</tr>")[0]
    assert '<strong class="given">0</strong>' in row
    assert "发现问题" in row and "三楼考场引导标识褪色，无法辨认。" in row
    not_applicable = page.split('data-item="6.3.2"')[1].split("</tr>")[0]
    assert "不适用" in not_applicable and "本所鉴定职业均有国家题库。" in not_applicable
    full = page.split('data-item="1.1.1"')[1].split("</tr>")[0]
    assert '<strong class="given">2</strong>' in full and "result-note" not in full


def test_report_shows_station_date_assessors_totals_and_signatures(client, auth, demo):
    page = report_page(client, auth, demo)
    assert "北京市第一职业技能鉴定所（BJ001）" in page
    assert "王建国" in page
    assert "97 / 100" in page
    assert 'class="num grand-total">97<' in page
    assert "4．设备设施" in page
    assert page.count('class="signature-image" src="data:image/png;base64,') == 2
    assert "张明" in page


def test_report_appendix_groups_photos_by_item_with_captions_and_times(client, auth, demo):
    page = report_page(client, auth, demo)
    appendix = page.split('class="report-appendix"')[1]
    assert "4.1.1" in appendix and "5.3.1" in appendix
    assert f"/photos/{demo.photo}/image" in appendix
    assert "拍摄时间不详" in appendix or "拍摄于" in appendix


def test_report_with_rectification_adds_its_appendix(client, auth, demo):
    assert "report-rectification" not in report_page(client, auth, demo)
    page = report_page(client, auth, demo, query="?rectification=1")
    appendix = page.split('class="report-rectification"')[1]
    assert "三楼考场引导标识已全部更换为新标识牌。" in appendix
    assert "已答复" in appendix


def test_report_is_printable_on_a4(client, auth, demo):
    page = report_page(client, auth, demo)
    assert re.search(r'href="/static/css/report\.[0-9a-f]{12}\.css"', page) and "data-print" in page
    css = client.get("/static/css/report.css").get_data(as_text=True)
    assert "@media print" in css and "size: A4" in css


def test_assessor_sees_an_in_progress_report_as_a_draft(client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get(f"/reports/assessments/{demo.in_progress}").get_data(as_text=True)
    assert "草稿：本次评估尚未定稿。" in page
    assert "未评分" in page


def test_pdf_is_an_a4_document_with_the_cjk_fonts(client, auth, demo):
    log_in(auth, "staff1")
    response = client.get(f"/reports/assessments/{demo.finalized}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    assert data.startswith(b"%PDF")
    assert 4 <= pdf_page_count(data) <= 10
    inflated = pdf_text(data)
    assert b"Noto-Sans-CJK-SC" in inflated and b"Noto-Serif-CJK-SC" in inflated
    assert b"/Subtype /Image" in inflated or b"/Subtype/Image" in inflated


def test_pdf_fetcher_reads_only_the_photo_store(tmp_path):
    fetcher = StoreFetcher(str(tmp_path))
    for url in (
        "http://example.com/x.jpg",
        "file:///etc/passwd",
        "upload:../../etc/passwd",
        "upload:" + "0" * 64,
    ):
        with pytest.raises(Exception) as error:
            fetcher.fetch(url)
        assert isinstance(error.value, (NotFetched, ValueError))


def test_rendering_a_pdf_keeps_truncated_photos_refused(client, auth, demo, app):
    from app import evidence
    from app.services.photos import demo_photo

    log_in(auth, "staff1")
    assert client.get(f"/reports/assessments/{demo.finalized}.pdf").status_code == 200
    truncated = demo_photo("x", (400, 300))[:-2000]
    with pytest.raises(evidence.RejectedPhoto):
        evidence.process(io.BytesIO(truncated), app.config["UPLOAD_DIR"])


@pytest.mark.parametrize("username", ["staff1", "assessor1"])
@pytest.mark.parametrize("url", ["/reports/results.csv", "/reports/results.xlsx"])
def test_only_admins_export_results(client, auth, demo, username, url):
    log_in(auth, username)
    assert client.get(url).status_code == 403


def test_csv_has_a_bom_and_one_row_per_assessment_and_item(client, auth, demo):
    log_in(auth, "admin")
    response = client.get("/reports/results.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "station_code", "station_name", "date", "status", "assessors",
        "item_id", "item_text", "max_points", "score", "outcome", "note",
    ]  # fmt: skip
    assert len(rows) == 1 + 61 * 2
    deduction = next(r for r in rows if r[0] == "BJ001" and r[5] == "5.3.1")
    assert deduction[1] == "北京市第一职业技能鉴定所"
    assert deduction[4] == "王建国"
    assert deduction[6:] == [
        "考核鉴定场地应有引导标识且清晰合理",
        "1",
        "0",
        "发现问题",
        "三楼考场引导标识褪色，无法辨认。",
    ]
    unscored = next(r for r in rows if r[0] == "SH002" and r[5] == "9.2.1")
    assert unscored[8:] == ["", "", ""]


def test_xlsx_reads_back_with_openpyxl(client, auth, demo):
    log_in(auth, "admin")
    response = client.get("/reports/results.xlsx?station=BJ001")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 61
    row = next(r for r in rows if r[5] == "4.1.1")
    assert row[0] == "BJ001" and row[7] == 3 and row[8] == 2 and row[9] == "发现1个问题"


def test_export_filters_like_the_assessment_list(client, auth, demo):
    log_in(auth, "admin")
    rows = client.get("/reports/results.csv?status=in_progress").data.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 61 and all(line.startswith("SH002") for line in rows[1:])
    rows = (
        client.get("/reports/results.csv?start=2000-01-01&end=2000-12-31")
        .data.decode("utf-8-sig")
        .splitlines()
    )
    assert len(rows) == 1


def test_admin_assessment_list_links_the_exports_with_its_filters(client, auth, demo):
    log_in(auth, "admin")
    page = client.get("/admin/assessments?station=BJ001").get_data(as_text=True)
    assert "/reports/results.csv?station=BJ001" in page and "/reports/results.xlsx?station=BJ001" in page


def test_report_merges_method_cells_where_the_printed_form_does(client, auth, demo):
    page = report_page(client, auth, demo)
    method = "查阅文件（是否符合国家、地方/行业规定），现场提问，发现问题不得分。"
    assert f'<td class="cell-method" rowspan="3">{method}</td>' in page
    assert page.count(method) == 1
    assert page.count(">查看表单记录，发现问题不得分。</td>") == 3, "3.5.1-3.5.3 keep cells of their own"
