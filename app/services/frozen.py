"""What a finalized record prints of the station, the people and the form, fixed at 定稿.

A finalized assessment is an official record: renaming its station or a person afterwards
changes nothing in it. `take` stores the snapshot at 定稿 (and again once the sign-off is
recorded, in the same transaction); a reopen drops it and the next 定稿 takes a new one.
Pages, the PDF and the exports read the record through `facts`, which falls back to the live
rows only while the assessment is in progress.
"""

from dataclasses import dataclass, field

from app.models import Assessment, utcnow
from app.services.rubrics import rubric_of


def take(assessment: Assessment) -> dict:
    """Store what the report shows of the station, the people and the form, and answer it."""
    assessment.frozen = live(assessment)
    return assessment.frozen


def live(assessment: Assessment) -> dict:
    station = assessment.station
    lead = assessment.lead_assessor
    rubric = rubric_of(assessment)
    return {
        "station": {"code": station.code, "name": station.name, "address": station.address},
        "lead_assessor": _person(lead) if lead is not None else None,
        "team": [_person(user) for user in assessment.team],
        "signatures": {
            signature.role: {"name": signature.name, "recorded_by": signature.recorded_by.name}
            for signature in assessment.signatures
        },
        "form": {"id": rubric.id, "version": rubric.version, "title": rubric.title},
        "taken_at": utcnow().isoformat(timespec="seconds"),
    }


def _person(user) -> dict:
    return {"id": user.id, "name": user.name}


@dataclass(frozen=True)
class Facts:
    """The record's station, people and form, as printed."""

    station_code: str
    station_name: str
    station_address: str
    lead_assessor: str
    team: list[str]
    """The other assessors, in team order."""
    form_id: str
    form_version: str
    form_title: str
    signers: dict = field(default_factory=dict)

    @property
    def assessors(self) -> list[tuple[str, bool]]:
        """Each assessor once, the lead assessor first and marked."""
        return ([(self.lead_assessor, True)] if self.lead_assessor else []) + [(n, False) for n in self.team]

    def recorded_by(self, signature) -> str:
        """Who recorded a role's sign-off, by the name they had at 定稿."""
        kept = self.signers.get(signature.role)
        return kept["recorded_by"] if kept else signature.recorded_by.name

    def printed(self) -> dict:
        """Everything here as plain data, for a report version's hash."""
        return {
            "station": [self.station_code, self.station_name, self.station_address],
            "people": [self.lead_assessor, *self.team],
            "form": [self.form_id, self.form_version, self.form_title],
            "signers": self.signers,
        }


def facts(assessment: Assessment) -> Facts:
    """The snapshot of a finalized record, or the live rows of one in progress."""
    snapshot = assessment.frozen if assessment.is_finalized and assessment.frozen else live(assessment)
    lead = snapshot.get("lead_assessor")
    lead_id = lead["id"] if lead else None
    team = [person["name"] for person in snapshot["team"] if person.get("id") != lead_id]
    return Facts(
        station_code=snapshot["station"]["code"],
        station_name=snapshot["station"]["name"],
        station_address=snapshot["station"].get("address", ""),
        lead_assessor=lead["name"] if lead else "",
        team=team,
        form_id=snapshot["form"]["id"],
        form_version=snapshot["form"]["version"],
        form_title=snapshot["form"]["title"],
        signers=snapshot.get("signatures", {}),
    )
