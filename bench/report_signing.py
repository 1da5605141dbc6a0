"""What the verification code, its QR code and the PAdES signature add to drawing a 13-page report:
the same report drawn as the server draws it (a child interpreter, `app.services.reports.drawing`),
plain and then verified and signed, in rounds that alternate the two so a busy machine slows both
alike. The goal is judged on the children's CPU time, which leaves out waiting for a core; the
wall clock is printed beside it. Exits non-zero when the overhead is above the goal.

    .venv/bin/python -m bench.report_signing [rounds]
"""

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from app.extensions import db
from app.models import FINALIZED, Assessment
from app.services import verification
from app.services.reports import document, drawing, pdf, signing
from bench._app import demo_app

PAGES = 13
GOAL = 1.20
NOTE = ("现场查看发现，二楼理论考场的监控录像仅保存七天，不符合至少保存一个考试周期的要求；" * 20)[:700]
# Fewer notes than this leave the demo's report at 8 pages: the search starts here to save layouts.
FIRST_NOTED = 4


def report_of_pages(app, pages: int) -> int:
    """The demo's finalized assessment with 700-character notes on more and more items until its
    report has `pages` pages, the last note shortened if it went past; answers the pages it has."""
    with app.test_request_context("/"):
        assessment = db.session.scalar(db.select(Assessment).filter_by(status=FINALIZED))
        findings = sorted(assessment.findings, key=lambda finding: finding.id)
        for finding in findings[:FIRST_NOTED]:
            finding.note = NOTE
        last, laid_out = findings[FIRST_NOTED - 1], 0
        for last in findings[FIRST_NOTED - 1 :]:
            last.note = NOTE
            laid_out = _pages(app, assessment)
            if laid_out >= pages:
                break
        length = len(NOTE)
        while laid_out > pages and length > 10:
            length //= 2
            last.note = NOTE[:length]
            laid_out = _pages(app, assessment)
        return laid_out


def _pages(app, assessment) -> int:
    db.session.commit()
    html = pdf.report_html(document.build(assessment), with_rectification=False)
    return len(drawing.lay_out(html, app.config["UPLOAD_DIR"]).pages)


def sources(app) -> tuple[str, str]:
    """The report's HTML as the server writes it: without the code, and with it."""
    with app.test_request_context("/"):
        assessment = db.session.scalar(db.select(Assessment).filter_by(status=FINALIZED))
        report = document.build(assessment)
        printed = verification.printed_on(assessment, "bench-report")
        plain = pdf.report_html(report, with_rectification=False)
        verified = pdf.report_html(report, with_rectification=False, verification=printed)
    return plain, verified


def draw_in_child(html: str, folder: Path, upload_dir: str, environment: dict) -> tuple[float, float, bytes]:
    """Wall-clock and CPU seconds of a child drawing `html`, and the PDF it drew."""
    source, target = folder / "report.html", folder / "report.pdf"
    source.write_text(html, encoding="utf-8")
    target.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", pdf.CHILD, str(source), str(target), upload_dir],
        cwd=pdf.ROOT,
        env=environment,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, target.read_bytes()


def main(rounds: int = 5) -> int:
    app = demo_app()
    pages = report_of_pages(app, PAGES)
    folder = Path(app.config["UPLOAD_DIR"]) / "bench"
    folder.mkdir(exist_ok=True)
    plain_html, verified_html = sources(app)
    upload_dir = app.config["UPLOAD_DIR"]
    unsigned_env = signing.child_environment({**app.config, "SIGNING_P12": str(folder / "none.p12")})
    signed_env = signing.child_environment(app.config)
    assert signing.P12_VARIABLE in signed_env, "the demo made no signing certificate"
    runs = {"plain": [], "verified": []}
    sizes = {}
    for n in range(rounds):
        order = [("plain", plain_html, unsigned_env), ("verified", verified_html, signed_env)]
        for name, html, environment in order if n % 2 == 0 else reversed(order):
            wall, cpu, drawn = draw_in_child(html, folder, upload_dir, environment)
            runs[name].append((wall, cpu))
            sizes[name] = drawn
    assert b"/ByteRange" in sizes["verified"] and b"/ByteRange" not in sizes["plain"]
    print(f"A {pages}-page report drawn by the server's child interpreter, {rounds} rounds, medians")
    medians = {}
    labels = {"plain": "plain (today's drawing)", "verified": "code + QR on every page, signed"}
    for name, label in labels.items():
        wall = statistics.median(w for w, _ in runs[name])
        cpu = statistics.median(c for _, c in runs[name])
        medians[name] = (wall, cpu)
        print(f"  {label:<34} {wall:6.2f} s wall   {cpu:6.2f} s CPU   {len(sizes[name]) / 1e3:7.1f} KB")
    wall_ratio = medians["verified"][0] / medians["plain"][0]
    cpu_ratio = medians["verified"][1] / medians["plain"][1]
    missed = cpu_ratio > GOAL
    verdict = "MISSED" if missed else "met"
    print(f"  overhead: {100 * (cpu_ratio - 1):+.1f}% CPU, {100 * (wall_ratio - 1):+.1f}% wall")
    print(f"goal: at most {100 * (GOAL - 1):.0f}% more CPU than the plain drawing: {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
