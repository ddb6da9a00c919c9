# Two commands on a fresh clone:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench chromium clean

# Create the virtual environment and install the package with its dev extra.
# Re-runs only when pyproject.toml changes, so repeated calls are fast.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (planner)" >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planner demo --out reports

# Headless Chromium is used by the report screenshot test; install it from Debian when possible.
chromium:
	@./scripts/ensure-chromium

test: $(STAMP) chromium
	$(BIN)/ruff check planner tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check planner tests benchmarks
	$(BIN)/ruff format --check planner tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/sweep.py
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
