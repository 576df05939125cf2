# The two commands a newcomer needs:
#   make demo   - the example project on an embedded PostgreSQL, at http://127.0.0.1:8000/
#   make test   - the whole test suite (DATABASE_URL if set, else the embedded PostgreSQL)
# Both create a virtualenv in $(VENV) on first use. Only Python >= 3.11 and pip are needed.

PYTHON ?= python3
VENV ?= .venv
# Optional pin, e.g. DJANGO='Django>=5.2,<5.3' (used by .ci/run for its two lines).
DJANGO ?=
PYTEST_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(if $(DJANGO),'$(DJANGO)')
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

demo: $(STAMP)
	$(BIN)/python example/manage.py rundemo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pgdata dist build
