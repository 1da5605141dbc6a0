"""The form as data and the rules needing no app: loader, scoring, counts, photo pipeline, layers."""
