"""Every version of every rubric the app knows, keyed by (id, version)."""

import re
from functools import cache
from os import PathLike
from pathlib import Path

from .errors import RubricError
from .loader import load_rubric
from .model import Rubric

FORMS_DIRECTORY = Path(__file__).parent / "forms"


def version_key(version: str) -> tuple:
    """Sort key comparing the digit parts of a version as numbers, so "10" follows "9"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", version)
    )


class RubricRegistry:
    def __init__(self, rubrics: tuple[Rubric, ...] | list[Rubric] = ()):
        self._rubrics: dict[tuple[str, str], Rubric] = {}
        for rubric in rubrics:
            self.add(rubric)

    @classmethod
    def from_directory(cls, path: str | PathLike) -> "RubricRegistry":
        return cls([load_rubric(file) for file in sorted(Path(path).rglob("*.toml"))])

    def add(self, rubric: Rubric) -> None:
        key = (rubric.id, rubric.version)
        if key in self._rubrics:
            raise RubricError(f"rubric {rubric.id!r} version {rubric.version!r} is already registered")
        self._rubrics[key] = rubric

    def get(self, rubric_id: str, version: str) -> Rubric:
        rubric = self._rubrics.get((rubric_id, version))
        if rubric is None:
            raise RubricError(f"no rubric {rubric_id!r} version {version!r}; known: {self._known()}")
        return rubric

    def latest(self, rubric_id: str) -> Rubric:
        versions = [rubric for (known_id, _), rubric in self._rubrics.items() if known_id == rubric_id]
        if not versions:
            raise RubricError(f"no rubric {rubric_id!r}; known: {self._known()}")
        return max(versions, key=lambda rubric: version_key(rubric.version))

    def all(self) -> tuple[Rubric, ...]:
        return tuple(sorted(self._rubrics.values(), key=lambda r: (r.id, version_key(r.version))))

    def _known(self) -> str:
        return ", ".join(f"{r.id} {r.version}" for r in self.all()) or "none"


@cache
def default_registry() -> RubricRegistry:
    """The rubrics shipped in rubric/forms/, loaded once."""
    return RubricRegistry.from_directory(FORMS_DIRECTORY)
