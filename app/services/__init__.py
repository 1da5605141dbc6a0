"""The use cases every caller shares: blueprints, the CLI, the outbox import and the API.

Services take plain values and models, never a request; blueprints sit above them and only
`create_app` imports a blueprint (tests/domain/test_layers.py checks it).
"""
