# The two commands for a fresh machine (README.md): `make run` and `make test`. Each sets up .venv first.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The real photos, when they sit beside the checkout; otherwise plantvit generates a small stand-in.
ifneq ($(wildcard ../shared/data/plantvillage),)
export PLANTVIT_DATA ?= $(abspath ../shared/data)
endif

.PHONY: setup chromium run test readme clean-venv

$(BIN)/.installed: setup.py settings.ini
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $@

# The web page's TF.js and the API docs' Swagger UI, from npm (served by plantvit serve; without them the page asks the
# server for every photo). --ignore-scripts: no package needs one (core-js prints a banner, @scarf/scarf sends telemetry).
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@if command -v npm >/dev/null; then cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the web page will send every photo to the server (install Node.js for the browser model)"; fi

setup: $(BIN)/.installed web/node_modules/.package-lock.json

# The main job: the server and the web app on the bundled model (http://127.0.0.1:8000; PLANTVIT_PORT etc. to change).
run: setup
	$(BIN)/plantvit serve

# The tests: every notebook, top to bottom (slow cells only with `--flags slow`). The notebooks' temporary folders
# (organized copies, caches, exports: 0.5-2 GB a run) go to one folder that is removed afterwards, pass or fail.
# The browser tests (nbs/09a_web.ipynb) drive Debian's Chromium: Playwright cannot download a browser here. Installed
# where it can be (root and apt-get); elsewhere `make test` skips those tests and says so.
CHROMIUM := $(firstword $(shell command -v chromium chromium-browser google-chrome 2>/dev/null))
chromium:
	@if [ -z "$(CHROMIUM)" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  { apt-get update -q && apt-get install -y -q chromium; } || echo "!!! could not install chromium: the browser tests will be skipped"; fi

test: setup chromium
	@tmp=$$(mktemp -d -t plantvit-test.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; skip='^[_.]'; \
	if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then \
	  skip='^[_.]|^09a_web|^09b_offline|^08e_review_page'; \
	  echo "!!! NO CHROMIUM: the browser tests (nbs/09a_web, 09b_offline, 08e_review_page) are SKIPPED. Install Debian's chromium (apt-get install chromium, as root) to run them. !!!"; fi; \
	echo "nbdev_test --n_workers 2 --do_print --skip_file_re '$$skip' (TMPDIR=$$tmp; the cases the tests make go to a database there)"; \
	TMPDIR=$$tmp PLANTVIT_DATABASE_URL=sqlite:///$$tmp/cases.sqlite $(BIN)/nbdev_test --n_workers 2 --do_print --skip_file_re "$$skip"; status=$$?; \
	case "$$skip" in *09a_web*) echo "!!! the browser tests (nbs/09a_web, 09b_offline, 08e_review_page) were SKIPPED: no Chromium !!!";; esac; exit $$status

readme: setup
	$(BIN)/python tools/readme.py
