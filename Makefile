# The two commands: `make run` (set up and serve on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
STAMP := $(VENV)/.installed
export FLASK_APP := delphi

.PHONY: run test test-pg bench lint deps db clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Re-installs whenever pyproject.toml changes; versions are pinned there.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

deps: $(STAMP)

db: deps
	$(FLASK) db upgrade
	$(FLASK) delphi seed-demo

run: db
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop). Demo logins are listed above."
	$(FLASK) run --host 127.0.0.1 --port 5000

test: deps
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite on a throwaway PostgreSQL server (needs the postgresql package).
test-pg: deps
	@dir=$$(mktemp -d /tmp/delphi-pg.XXXXXX); \
	url=$$(scripts/pg-throwaway start $$dir 55433) || exit 1; \
	TEST_DATABASE_URL=$$url $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	scripts/pg-throwaway stop $$dir; rm -rf $$dir; exit $$rc

bench: deps
	$(PY) bench/stats.py

clean:
	rm -rf $(VENV) instance .pytest_cache
