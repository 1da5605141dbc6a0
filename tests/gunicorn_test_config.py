"""Gunicorn settings for tests: the production settings of gunicorn.conf.py (threaded workers),
bound to a free port on 127.0.0.1, which is written to PORT_FILE for the test."""

import os
import runpy
from pathlib import Path

_production = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _production.items() if not name.startswith("_")})

bind = ["127.0.0.1:0"]


def when_ready(server):
    port = server.LISTENERS[0].sock.getsockname()[1]
    with open(os.environ["PORT_FILE"], "w") as port_file:
        port_file.write(str(port))
