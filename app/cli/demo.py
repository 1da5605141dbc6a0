"""The demo data `flask demo` fills an empty database with: regions (a province with two cities),
stations, users (an administrator at each level), and assessments that show every part of the app
(deductions with photos, sign-off, a rectification waiting for review)."""

import io
import math

from PIL import Image, ImageDraw

from app.extensions import db
from app.models import Assessment, Region, Station, User
from app.services import assessments, people, regions, rubrics, stations
from app.services.photos import attach_photo, demo_photo
from app.services.rectifications import answer
from app.services.rubrics import rubric_of
from app.services.signoff import SignatureInput, record

DEMO_PASSWORD = "demo2026"
# (code, name, parent code); the root region is made with the first station.
DEMO_REGIONS = [
    ("HN", "湖南省", None),
    ("HN-CS", "长沙市", "HN"),
    ("HN-ZZ", "株洲市", "HN"),
]
# (code, name, address, contact, region code); None is the root region.
DEMO_STATIONS = [
    ("BJ001", "北京市第一职业技能鉴定所", "北京市朝阳区建国路 88 号", "张老师 010-65550001", None),
    ("SH002", "上海市机电行业职业技能鉴定站", "上海市徐汇区漕溪北路 21 号", "陈老师 021-64440002", None),
    ("GZ003", "广州市烹饪职业技能鉴定所", "广州市越秀区中山五路 9 号", "刘老师 020-83330003", None),
    (
        "CD004",
        "成都市电子信息行业职业技能鉴定站",
        "成都市武侯区人民南路 4 段 1 号",
        "杨老师 028-85550004",
        None,
    ),
    ("CS101", "长沙市职业技能鉴定中心", "长沙市芙蓉区五一大道 168 号", "周老师 0731-84440101", "HN-CS"),
    ("CS102", "长沙市建筑行业职业技能鉴定站", "长沙市岳麓区麓山南路 32 号", "胡老师 0731-88880102", "HN-CS"),
    ("ZZ201", "株洲市轨道交通职业技能鉴定所", "株洲市石峰区田心大道 9 号", "罗老师 0731-22220201", "HN-ZZ"),
]
# (username, display name, role, station code for staff, region code for the others; None: root)
DEMO_USERS = [
    ("admin", "管理员", "admin", None, None),
    ("assessor1", "王建国", "assessor", None, None),
    ("assessor2", "李慧敏", "assessor", None, None),
    ("staff1", "赵丽", "staff", "BJ001", None),
    ("staff2", "孙强", "staff", "SH002", None),
    # After the first five, whose ids the tests and the browser journeys know.
    ("hn_admin", "湖南省管理员", "admin", None, "HN"),
    ("cs_admin", "长沙市管理员", "admin", None, "HN-CS"),
    ("zz_admin", "株洲市管理员", "admin", None, "HN-ZZ"),
    ("cs_assessor", "刘洋", "assessor", None, "HN-CS"),
    ("zz_assessor", "陈静", "assessor", None, "HN-ZZ"),
]
DEMO_FINDINGS = {
    "4.1.1": ("minus_1", {"problems": 1}, "二楼实操室一台车床防护罩缺失。"),
    "6.5.1": (None, {"papers_checked": 40, "papers_with_errors": 2}, "抽查 40 份试卷，2 份核分有误。"),
    "6.3.2": ("not_applicable", None, "本所鉴定职业均有国家题库。"),
    "5.3.1": ("zero", None, "三楼考场引导标识褪色，无法辨认。"),
}


def fill() -> None:
    """The shipped forms, demo stations and users, made once; on an empty database, a finalized
    assessment with evidence, sign-off and a rectification, and one walked about half way. Leaves
    the commit to its caller."""
    rubrics.ensure_forms(db.session.connection())
    demo_regions = {code: _demo_region(code, name, parent) for code, name, parent in DEMO_REGIONS}
    demo_stations = {
        code: _demo_station(code, name, address, contact, demo_regions.get(region))
        for code, name, address, contact, region in DEMO_STATIONS
    }
    users = {u[0]: _demo_user(*u, demo_stations, demo_regions) for u in DEMO_USERS}
    db.session.flush()
    if not db.session.scalar(db.select(db.func.count()).select_from(Assessment)):
        _demo_assessments(demo_stations, users)


def _demo_region(code, name, parent_code) -> Region:
    region = regions.by_code(code)
    if region is None:
        region = regions.create(code, name, regions.by_code(parent_code) if parent_code else None, None)
    return region


def _demo_station(code, name, address, contact, region) -> Station:
    station = db.session.scalar(db.select(Station).filter_by(code=code))
    if station is None:
        values = {"code": code, "name": name, "address": address, "contact": contact, "region": region}
        station = stations.create(values, None)
    return station


def _demo_user(username, display_name, role, station_code, region_code, demo_stations, demo_regions) -> User:
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None:
        station = demo_stations[station_code] if station_code else None
        region = demo_regions.get(region_code)
        user = people.create(username, display_name, role, station, DEMO_PASSWORD, actor=None, region=region)
    return user


def _demo_assessments(demo_stations, users) -> None:
    """One finalized assessment with deductions, and one walked about half way."""
    assessor = users["assessor1"]
    done = assessments.start_assessment(demo_stations["BJ001"], assessor)
    for item in rubric_of(done).items:
        outcome, inputs, note = DEMO_FINDINGS.get(item.id, ("full", None, ""))
        assessments.record_finding(done, item.id, outcome=outcome, inputs=inputs, note=note, user=assessor)
    db.session.flush()
    _demo_evidence(done, assessor)
    assessments.finalize(done, assessor)
    _demo_signoff(done, assessor)
    _demo_rectification(done, users["staff1"])
    in_progress = assessments.start_assessment(demo_stations["SH002"], assessor)
    for item in rubric_of(in_progress).items[:25]:
        assessments.record_finding(in_progress, item.id, outcome="full", inputs=None, note="", user=assessor)


DEMO_NO_PHOTO = {"6.5.1": "试卷属保密材料，现场不允许拍照。"}


def _demo_evidence(assessment, assessor) -> None:
    """Every demo deduction gets a drawn photo, or a reason why no photo could be taken."""
    for item_id, reason in DEMO_NO_PHOTO.items():
        assessments.set_no_photo_reason(assessment, item_id, reason, assessor)
    for deduction in assessments.scorecard(assessment).deductions:
        if deduction.item.id not in DEMO_NO_PHOTO:
            attach_photo(assessment, deduction.item.id, demo_photo(deduction.item.id), user=assessor)


def _demo_signoff(assessment, assessor) -> None:
    """The lead assessor and the station's director signed on the phone."""
    record(
        assessment,
        [
            SignatureInput("lead_assessor", assessor.name, "signed", image=demo_signature(0)),
            SignatureInput("station_representative", "张明", "signed", image=demo_signature(1)),
        ],
        assessor,
    )


def _demo_rectification(assessment, staff) -> None:
    """The station has answered the signage deduction, and it waits for review."""
    db.session.flush()
    answer(assessment, "5.3.1", "三楼考场引导标识已全部更换为新标识牌。", [demo_photo("5.3.1 fixed")], staff)


def demo_signature(seed: int) -> bytes:
    """A drawn stand-in for a handwritten signature: a few strokes of ink on a transparent PNG."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [
        (40 + x * 5, 110 + 45 * math.sin(x / (4.0 + seed)) * math.cos(x / (9.0 + seed)))
        for x in range(0, 100)
    ]
    draw.line(points, fill=(16, 35, 63, 255), width=5, joint="curve")
    draw.line([(60, 160), (540, 150)], fill=(16, 35, 63, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
