"""The web layer: request helpers, access, forms, error handlers and JSON shapes."""
