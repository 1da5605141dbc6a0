"""Gunicorn settings for tests: bind a free port on 127.0.0.1 and tell the test which one."""

import os

bind = ["127.0.0.1:0"]


def when_ready(server):
    port = server.LISTENERS[0].sock.getsockname()[1]
    with open(os.environ["PORT_FILE"], "w") as port_file:
        port_file.write(str(port))
