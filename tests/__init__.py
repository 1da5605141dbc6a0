"""The test suite, grouped by journey: tests/README.md says how it is arranged and run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
