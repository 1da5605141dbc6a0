"""Everything the official report shows about one assessment, for the page and the PDF alike."""

from dataclasses import dataclass

from app.models import LEAD_ASSESSOR, STATION_REPRESENTATIVE, Assessment, Photo, Signature
from app.services import frozen, rectifications, signoff
from app.services.assessments import scorecard
from app.services.reports.layout import Table, tables
from app.services.rubrics import rubric_of
from rubric import Item, Rubric, Scorecard


@dataclass(frozen=True)
class Report:
    assessment: Assessment
    rubric: Rubric
    card: Scorecard
    tables: list[Table]
    lead_signature: Signature | None
    representative_signature: Signature | None
    photos: list[tuple[Item, list[Photo]]]
    rectification: list[rectifications.DeductionState] | None
    facts: frozen.Facts

    @property
    def is_draft(self) -> bool:
        return not self.assessment.is_finalized

    @property
    def assessors(self) -> list[tuple[str, bool]]:
        """Each assessor once, in team order, the lead assessor first and marked, as at 定稿."""
        return self.facts.assessors

    def photo_count(self, item_id: str) -> int:
        return next((len(photos) for item, photos in self.photos if item.id == item_id), 0)


def build(assessment: Assessment, with_rectification: bool = False) -> Report:
    rubric = rubric_of(assessment)
    card = scorecard(assessment)
    signed = assessment.is_finalized
    photos = evidence_by_item(assessment, rubric)
    return Report(
        assessment=assessment,
        rubric=rubric,
        card=card,
        tables=tables(rubric, card, frozenset(item.id for item, _ in photos), no_photo_reasons(assessment)),
        lead_signature=signoff.signature_for(assessment, LEAD_ASSESSOR) if signed else None,
        representative_signature=signoff.signature_for(assessment, STATION_REPRESENTATIVE)
        if signed
        else None,
        photos=photos,
        rectification=rectifications.deductions(assessment) if with_rectification and signed else None,
        facts=frozen.facts(assessment),
    )


def no_photo_reasons(assessment: Assessment) -> dict[str, str]:
    """Why a finding has no photo, by item, where the assessor wrote it down."""
    return {
        finding.item_id: finding.no_photo_reason
        for finding in assessment.findings
        if finding.no_photo_reason and not finding.photos
    }


def evidence_by_item(assessment: Assessment, rubric: Rubric) -> list[tuple[Item, list[Photo]]]:
    """The evidence photos in the form's order, grouped by item."""
    grouped = []
    for item in rubric.items:
        finding = assessment.finding_for(item.id)
        if finding is not None and finding.photos:
            grouped.append((item, list(finding.photos)))
    return grouped
