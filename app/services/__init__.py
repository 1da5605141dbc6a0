"""The use cases every caller shares: blueprints, the CLI, the outbox import and the API.

Services take plain values and models, never a request or a template; blueprints sit above them.
"""
