# Two commands on a fresh clone:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench chromium libreoffice clean test-pandas22 fuzz screenshots notebooks

# Create the virtual environment and install the package with its dev and dask extras.
# Re-runs only when pyproject.toml changes, so repeated calls are fast.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev,dask]'  # -qq: no editable-install notice
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (planner)" >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planner demo --out reports

# Headless Chromium is used by the report screenshot test; install it from Debian when possible.
chromium:
	@./scripts/ensure-chromium

# Headless LibreOffice Calc and pdfinfo print the workbook in the print test, installed likewise.
libreoffice:
	@./scripts/ensure-libreoffice

test: $(STAMP) chromium libreoffice
	$(BIN)/ruff check planner tests benchmarks notebooks
	$(BIN)/ruff format --check planner tests benchmarks notebooks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

# The fuzz suites at length: thousands of damaged exports, hostile Graph answers and tampered
# stores (several minutes), with every hostile-server attack and store tampering.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz_readers.py \
		tests/test_fuzz_collect.py tests/test_graph_hostile.py tests/test_store_tamper.py \
		-q -W error::pytest.PytestUnraisableExceptionWarning

# Screenshots of both reports in English and French, taken by the Chromium test, for the README.
screenshots: $(STAMP) chromium
	PLANNER_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
		tests/test_notebooks.py -k screenshots

# The stored report notebooks (planner/notebooks/*.ipynb) from their sources (notebooks/*.py).
notebooks: $(STAMP)
	$(BIN)/python notebooks/build_notebooks.py

lint: $(STAMP)
	$(BIN)/ruff check planner tests benchmarks notebooks
	$(BIN)/ruff format --check planner tests benchmarks notebooks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/sweep.py
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .mypy_cache

# The suite against the oldest supported pandas (2.2) in a separate environment.
test-pandas22: pyproject.toml
	@test -x .venv-pandas22/bin/python || $(PYTHON) -m venv .venv-pandas22
	.venv-pandas22/bin/python -m pip install --quiet -e '.[dev,dask]' 'pandas==2.2.*'
	.venv-pandas22/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	.venv-pandas22/bin/python -m pytest -n 2 --dist loadfile -q
