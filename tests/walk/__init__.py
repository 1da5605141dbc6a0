"""The assessor's walk: starting, scoring items, the JSON API, the outbox, offline pages, imports."""
