"""Station staff see their own station's finalized assessments, with deductions and photos; nothing else."""

import pytest

from tests.report_fixtures import demo_data, log_in  # noqa: F401


def test_staff_home_lists_own_finalized_assessment(client, auth, demo):
    log_in(auth, "staff1")
    page = client.get("/station/").get_data(as_text=True)
    assert f"/station/assessments/{demo.finalized}" in page
    assert "王建国" in page
    assert "97 / 100" in page


def test_staff_home_does_not_list_in_progress_assessment(client, auth, demo):
    log_in(auth, "staff2")
    page = client.get("/station/").get_data(as_text=True)
    assert f"/station/assessments/{demo.in_progress}" not in page


def test_station_home_is_for_staff_only(client, auth, demo):
    log_in(auth, "assessor1")
    assert client.get("/station/").status_code == 403


def test_staff_sees_findings_deductions_first_with_notes_and_photos(client, auth, demo):
    log_in(auth, "staff1")
    response = client.get(f"/station/assessments/{demo.finalized}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "97" in page and "/ 100" in page
    assert "4．设备设施" in page and "4 / 5" in page
    for note in (
        "二楼实操室一台车床防护罩缺失。",
        "三楼考场引导标识褪色，无法辨认。",
        "抽查 40 份试卷，2 份核分有误。",
    ):
        assert note in page
    assert "现场查看。发现1个问题扣1分" in page
    assert f"/photos/{demo.photo}/thumb" in page
    assert "试卷属保密材料，现场不允许拍照。" in page
    assert page.index('id="item-4.1.1"') < page.index('id="items-title"')
    assert "所(站)长岗位职责明确" in page.split('id="items-title"')[1]


def test_staff_can_open_own_evidence_photo(client, auth, demo):
    log_in(auth, "staff1")
    for url in (f"/photos/{demo.photo}", f"/photos/{demo.photo}/thumb", f"/photos/{demo.photo}/image"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/station/assessments/{id}",
        "/reports/assessments/{id}",
        "/reports/assessments/{id}.pdf",
        "/photos/{photo}",
        "/photos/{photo}/thumb",
        "/photos/{photo}/image",
    ],
)
def test_staff_of_another_station_gets_404(client, auth, demo, url):
    log_in(auth, "staff2")
    assert client.get(url.format(id=demo.finalized, photo=demo.photo)).status_code == 404


@pytest.mark.parametrize(
    "url", ["/station/assessments/{id}", "/reports/assessments/{id}", "/reports/assessments/{id}.pdf"]
)
def test_in_progress_assessment_is_hidden_from_its_station_staff(client, auth, demo, url):
    log_in(auth, "staff2")
    assert client.get(url.format(id=demo.in_progress)).status_code == 404


def test_assessor_reads_the_findings_page_too(client, auth, demo):
    log_in(auth, "assessor2")
    assert client.get(f"/station/assessments/{demo.finalized}").status_code == 200


def test_findings_page_needs_login(client, demo):
    response = client.get(f"/station/assessments/{demo.finalized}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
