# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve soak test test-browser chromium varnishd strace varnish lint format schema bench \
	clean

# The virtualenv is rebuilt when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# GraphiQL's scripts and styles, from the npm registry at the versions graphiql/package-lock.json
# pins, copied into our static files so the page loads nothing from a CDN.
GRAPHIQL_STATIC := cms/static/vendor/graphiql
GRAPHIQL_NPM := graphiql/node_modules
$(GRAPHIQL_STATIC)/.copied: graphiql/package-lock.json
	cd graphiql && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(GRAPHIQL_STATIC)
	cp $(GRAPHIQL_NPM)/graphiql/graphiql.min.css $(GRAPHIQL_NPM)/graphiql/graphiql.min.js \
	   $(GRAPHIQL_NPM)/react/umd/react.production.min.js \
	   $(GRAPHIQL_NPM)/react-dom/umd/react-dom.production.min.js \
	   $(GRAPHIQL_NPM)/graphql-ws/umd/graphql-ws.min.js \
	   $(GRAPHIQL_NPM)/whatwg-fetch/dist/fetch.umd.js \
	   $(GRAPHIQL_NPM)/@graphiql/plugin-explorer/dist/graphiql-plugin-explorer.umd.js \
	   $(GRAPHIQL_STATIC)/
	cp $(GRAPHIQL_NPM)/@graphiql/plugin-explorer/dist/style.css $(GRAPHIQL_STATIC)/plugin-explorer.css
	touch $@

# graphiql.min.css and .js end with a sourceMappingURL comment: collectstatic (whitenoise's
# manifest storage) follows it and stops if the map is missing, so the maps ship beside them
# (browsers fetch them only with developer tools open). Their own rule, so a checkout that
# copied the scripts before this rule existed gets them on its next `make`.
GRAPHIQL_MAPS := $(GRAPHIQL_STATIC)/graphiql.min.css.map $(GRAPHIQL_STATIC)/graphiql.min.js.map
$(GRAPHIQL_MAPS): $(GRAPHIQL_STATIC)/%: $(GRAPHIQL_STATIC)/.copied
	cp $(GRAPHIQL_NPM)/graphiql/$* $@

install: $(VENV)/.installed $(GRAPHIQL_STATIC)/.copied $(GRAPHIQL_MAPS)

# axe-core for the browser tests' accessibility checks, at the version
# tests/browser/axe/package-lock.json pins; the tests inject it from disk.
AXE_NPM := tests/browser/axe/node_modules
$(AXE_NPM)/.installed: tests/browser/axe/package-lock.json
	cd tests/browser/axe && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Notification emails link to the address this server listens on (see README, "Email").
run: export WAGTAILADMIN_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_medical_review --dev-accounts
	$(PY) manage.py load_seed_content
	$(PY) manage.py setup_locale ko
	$(PY) manage.py ensure_admin
	$(PY) manage.py worker --no-reload & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST):$(PORT)

# Production processes on this machine: gunicorn (ops/gunicorn_config.py) and the worker.
# Reads the environment listed in README.md, "Running in production".
serve: export DJANGO_SETTINGS_MODULE = cms.settings.production
serve: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py worker & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
		$(VENV)/bin/gunicorn -c ops/gunicorn_config.py --bind $(HOST):$(PORT) cms.wsgi

# Two gunicorn servers and the worker under mixed reads and a publish every 10 s (not in CI).
# SOAK_ARGS="--minutes 1" for a short run; writes benchmarks/soak/report.md.
SOAK_ARGS ?=
soak: install
	$(PY) -m benchmarks.soak $(SOAK_ARGS)

# The browser tests drive Debian's chromium (never a downloaded browser); root installs it.
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# The executor's test counts system calls with Debian's strace (tests/test_execution.py).
strace:
	command -v strace >/dev/null || (apt-get update && apt-get install -y strace)

# The HTTP cache tests run a real Varnish with varnish-modules' xkey (Debian's packages, never
# a download); root installs them.
varnishd:
	(command -v varnishd || test -x /usr/sbin/varnishd) >/dev/null \
		&& ls /usr/lib/*/varnish/vmods/libvmod_xkey.so >/dev/null 2>&1 \
		|| (apt-get update && apt-get install -y varnish varnish-modules)

# Varnish in front of `make run` or `make serve` (HOST:PORT), on VARNISH_PORT, with the shipped
# VCL; start the app with HTTP_CACHE_PURGE_URLS=http://127.0.0.1:6081 and GRAPHQL_SHARED_MAX_AGE
# (README, "HTTP cache in front").
VARNISH_PORT ?= 6081
VARNISH_DIR ?= /tmp/cms-varnish
VARNISH_MEMORY ?= 256m
varnish: varnishd
	mkdir -p $(VARNISH_DIR)
	sed -e 's/BACKEND_HOST/$(HOST)/' -e 's/BACKEND_PORT/$(PORT)/' \
		freshness/varnish/default.vcl > $(VARNISH_DIR)/default.vcl
	PATH="$$PATH:/usr/sbin" varnishd -F -j none -a $(HOST):$(VARNISH_PORT) -T none \
		-f $(VARNISH_DIR)/default.vcl -n $(VARNISH_DIR) -s malloc,$(VARNISH_MEMORY)

test: install chromium varnishd strace $(AXE_NPM)/.installed
	$(PY) -m pytest

# Only the browser tests, once (CI runs them on one database; see .ci/run).
test-browser: install chromium $(AXE_NPM)/.installed
	$(PY) -m pytest tests/browser

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Throwaway PostgreSQL databases of 5 to 5,000 procedures; writes benchmarks/results/.
# Needs PostgreSQL on 127.0.0.1:5432 (and uses Redis on :6379 when it runs). About 15 minutes.
BENCH_ARGS ?=
$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(PY) -m benchmarks.run $(BENCH_ARGS)

schema: install
	$(PY) manage.py graphql_schema --out schema.graphql

clean:
	rm -rf $(VENV) db.sqlite3 media static .pytest_cache benchmarks/work \
	       graphiql/node_modules $(GRAPHIQL_STATIC) screenshots \
	       $(AXE_NPM) sent-emails
