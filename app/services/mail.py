"""Plain-text e-mail through the SMTP server the environment names; without SMTP_HOST nothing is sent.

A failed send is logged and never undoes or blocks the change it reports on.
"""

import smtplib
from email.message import EmailMessage

from flask import current_app


def enabled() -> bool:
    return bool(current_app.config["SMTP_HOST"] and current_app.config["SMTP_FROM"])


def send(recipients: list[str], subject: str, body: str) -> bool:
    """Send one message to every recipient (Bcc); True once the server accepted it."""
    recipients = sorted({address for address in recipients if address})
    if not recipients or not enabled():
        return False
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = config["SMTP_FROM"]
    message["Bcc"] = ", ".join(recipients)
    # A header is one line: a station name imported from an Excel cell may hold a line break.
    message["Subject"] = " ".join(str(subject).split())
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(message, to_addrs=recipients)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send e-mail %r", subject)
        return False
    return True
