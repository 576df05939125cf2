# The two commands a newcomer needs:
#   make demo   - the example project on an embedded PostgreSQL, at http://127.0.0.1:8000/
#                 (make demo PORT=8001 for another port)
#   make test   - the whole test suite (DATABASE_URL if set, else the embedded PostgreSQL)
# Both create a virtualenv in $(VENV) on first use. Only Python >= 3.11 and pip are needed.

PYTHON ?= python3
VENV ?= .venv
# Optional pin, e.g. DJANGO='Django>=5.2,<5.3' (used by .ci/run for its two lines).
DJANGO ?=
PYTEST_ARGS ?=
# The demo's port (or address:port) on 127.0.0.1.
PORT ?= 8000

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(if $(DJANGO),'$(DJANGO)')
	touch $(STAMP)

# pytest's own exit stops the embedded PostgreSQL it started; the release step covers a run
# that died without its exit hooks (it stops the server only when no live process holds it).
test: $(STAMP)
	status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	$(BIN)/python -m schemaswitch_admin.dev.db release; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy --strict on the package (configuration in pyproject.toml); needs no database.
typecheck: $(STAMP)
	$(BIN)/mypy

demo: $(STAMP)
	$(BIN)/python example/manage.py rundemo $(PORT)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pgdata dist build
