# Two commands set everything up: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations browser lint bench messages

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	$(VENV)/bin/pybabel -q compile -d app/translations

run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Browser tests need Debian's Chromium and a CJK font; as root, install them when missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else \
	    echo "Browser tests need: sudo apt-get install -y chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0"; exit 1; \
	  fi; \
	fi

test: install translations browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check app rubric tests bench wsgi.py

messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
