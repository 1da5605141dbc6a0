"""Running the app: health, logs, faults, races against gunicorn, two servers, static files."""
