# The two commands: `make run` (set up and serve on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
STAMP := $(VENV)/.installed
export FLASK_APP := delphi

.PHONY: run serve worker test test-pg bench lint deps db clean translations fonts

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Re-installs whenever pyproject.toml changes; versions are pinned there.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

deps: $(STAMP)

# The PDFs' fonts (Latin Extended, Greek, Cyrillic); installs fonts-dejavu-core when missing and root.
fonts:
	@scripts/fonts

# After changing interface text: extract it and merge it into each language's .po (then translate the new entries).
translations: deps
	scripts/translations

# Explicit development: the only way the public development SECRET_KEY is accepted (and then on 127.0.0.1 only).
db: export DELPHI_ENV ?= development
db: deps fonts
	$(FLASK) db upgrade
	$(FLASK) delphi seed-demo

run: export DELPHI_ENV ?= development
run: db
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop). Demo logins are listed above."
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production serving: gunicorn workers (gunicorn.conf.py) on PostgreSQL, rate limits in a shared storage.
# Needs DATABASE_URL (PostgreSQL), SECRET_KEY and RATELIMIT_STORAGE_URI (e.g. redis://127.0.0.1:6379/0);
# migrates first. BIND, WEB_CONCURRENCY, GUNICORN_THREADS tune it (README: "Serving in production").
serve: export DELPHI_ENV ?= production
serve: deps
	@fail() { echo "make serve: $$*" >&2; exit 2; }; \
	[ -n "$$DATABASE_URL" ] || fail "set DATABASE_URL to the PostgreSQL database, e.g. postgresql://delphi:PASSWORD@127.0.0.1/delphi"; \
	case "$$DATABASE_URL" in postgres://*|postgresql://*|postgresql+psycopg://*) ;; \
	  *) fail "DATABASE_URL must be a PostgreSQL URL: several workers share the database (SQLite is for make run)";; esac; \
	[ -n "$$SECRET_KEY" ] || fail "set SECRET_KEY to a long random value, e.g. \$$(python3 -c 'import secrets; print(secrets.token_hex(32))')"; \
	[ -n "$$RATELIMIT_STORAGE_URI" ] || fail "set RATELIMIT_STORAGE_URI to a storage the workers share, e.g. redis://127.0.0.1:6379/0"; \
	$(PY) -c 'import os, sys; from limits.storage import storage_from_string as s; sys.exit(0 if s(os.environ["RATELIMIT_STORAGE_URI"]).check() else 1)' 2>/dev/null \
	  || fail "the rate-limit storage $$RATELIMIT_STORAGE_URI does not answer (is redis-server running?)"; \
	echo "== flask db upgrade ($$DELPHI_ENV)"; \
	$(FLASK) db upgrade || fail "the database migration failed (see above); not starting"; \
	echo "== gunicorn on $${BIND:-127.0.0.1:8000} (Ctrl+C to stop)"; \
	exec $(VENV)/bin/gunicorn -c gunicorn.conf.py 'delphi:create_app()'

# Beside `make serve` (another terminal, or another machine): the RQ worker that delivers the mail outbox and runs
# the scheduled jobs (rounds closing at their deadline, reminders, benchmark editions, token expiry). Needs
# DATABASE_URL and SECRET_KEY as for serve, and redis: JOBS_REDIS_URL, or a redis:// RATELIMIT_STORAGE_URI.
# Run several for more throughput; `flask delphi worker --no-scheduler` for all but one is optional (the
# schedulers agree through redis).
worker: export DELPHI_ENV ?= production
worker: deps
	@fail() { echo "make worker: $$*" >&2; exit 2; }; \
	[ -n "$$DATABASE_URL" ] || fail "set DATABASE_URL to the PostgreSQL database make serve uses"; \
	[ -n "$$SECRET_KEY" ] || fail "set SECRET_KEY as for make serve"; \
	url=$${JOBS_REDIS_URL:-$$RATELIMIT_STORAGE_URI}; \
	case "$$url" in redis://*|rediss://*) ;; *) fail "set JOBS_REDIS_URL (or RATELIMIT_STORAGE_URI) to redis, e.g. redis://127.0.0.1:6379/0";; esac; \
	$(PY) -c 'import sys; from redis import Redis; Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()' "$$url" 2>/dev/null \
	  || fail "redis at $$url does not answer (is redis-server running?)"; \
	exec $(FLASK) delphi worker

test: deps fonts
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite on a throwaway PostgreSQL server (needs the postgresql package).
test-pg: deps
	@dir=$$(mktemp -d /tmp/delphi-pg.XXXXXX); \
	url=$$(scripts/pg-throwaway start $$dir 55433) || exit 1; \
	TEST_DATABASE_URL=$$url $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	scripts/pg-throwaway stop $$dir; rm -rf $$dir; exit $$rc

# Every bench script in turn (bench/load.py starts its own PostgreSQL, redis and gunicorn on loopback ports).
bench: deps
	@status=0; for script in bench/*.py; do \
	  case $$script in bench/baseline_app.py|bench/_*) continue;; esac; \
	  echo "== $$script"; $(PY) $$script || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) instance .pytest_cache
