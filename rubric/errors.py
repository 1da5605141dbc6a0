"""Errors raised by the rubric package."""


class RubricError(Exception):
    """A rubric file or lookup is wrong; `problems` lists every problem found."""

    def __init__(self, problems: str | list[str] | tuple[str, ...], source: str | None = None):
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.problems) == 1 and not self.source:
            return self.problems[0]
        heading = f"{self.source}: " if self.source else ""
        heading += f"{len(self.problems)} problem(s) found"
        return "\n  ".join([heading, *self.problems])


class ScoringError(ValueError):
    """An assessor's result cannot be accepted.

    `code` is a short stable string the web app translates; `params` fill its message.
    """

    def __init__(self, code: str, message: str, **params: object):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params
