# Two commands set everything up: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations pdf-deps browser webkit firefox postgresql lint messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	$(VENV)/bin/pybabel -q compile -d app/translations

run: install translations pdf-deps
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# The PDF report needs Debian's pango and a CJK font, browser tests need Chromium too; as root,
# install whatever is missing, otherwise say which apt-get line to run.
PDF_PACKAGES := fonts-noto-cjk fonts-noto-core fonts-noto-color-emoji fonts-hanazono libpango-1.0-0 libpangoft2-1.0-0
define apt_install
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else \
	  echo "Please run: sudo apt-get install -y $(1)"; exit 1; \
	fi
endef

pdf-deps:
	@fonts=$$(fc-list 2>/dev/null); \
	if ! ldconfig -p | grep -q libpangoft2-1.0 || ! echo "$$fonts" | grep -qi "noto sans cjk" \
	  || ! echo "$$fonts" | grep -qi "hanamin" || ! echo "$$fonts" | grep -qi "noto color emoji" \
	  || ! echo "$$fonts" | grep -qi "noto sans tibetan"; then \
	  $(call apt_install,$(PDF_PACKAGES)); \
	fi

browser: pdf-deps
	@if [ ! -x /usr/bin/chromium ]; then $(call apt_install,chromium); fi

# WebKit tests drive WebKitGTK's MiniBrowser through WebKitWebDriver on a private Xvfb display.
webkit:
	@if [ ! -x /usr/bin/WebKitWebDriver ] || ! command -v Xvfb >/dev/null; then \
	  $(call apt_install,webkit2gtk-driver xvfb); \
	fi

# Firefox tests drive Debian's Firefox ESR headless through Marionette (tests/firefox/).
firefox:
	@if [ ! -x /usr/bin/firefox-esr ]; then $(call apt_install,firefox-esr); fi

# The second run needs PostgreSQL's server binaries (it starts a throwaway cluster), unless
# TEST_DATABASE_URL names a server to use.
postgresql:
	@if [ -z "$$TEST_DATABASE_URL" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  $(call apt_install,postgresql); \
	fi

# Every test on SQLite, then the tests that touch a database again on PostgreSQL (tests/README.md),
# each run on TEST_WORKERS pytest-xdist workers (2); it prints the wall-clock time from make's start.
STARTED := $(shell date +%s)
TEST_WORKERS ?= 2
test: install translations browser webkit firefox postgresql
	@TEST_STARTED=$(STARTED) TEST_WORKERS=$(TEST_WORKERS) PY=$(PY) bash tests/both-databases.sh

lint: install
	$(VENV)/bin/ruff check app rubric tests bench wsgi.py
	$(VENV)/bin/ruff format --check app rubric tests bench wsgi.py

messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
