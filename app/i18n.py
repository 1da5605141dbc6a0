"""Chinese by default; a cookie remembers a user's switch to English.

Babel parses zh_CN as zh_Hans_CN, and gettext then finds the catalog under translations/zh/.
"""

from flask import Flask, current_app, request

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    return select_locale().replace("_", "-")


def register(app: Flask) -> None:
    @app.context_processor
    def _language_context():
        return {"html_lang": html_lang(), "language_names": LANGUAGE_NAMES}
