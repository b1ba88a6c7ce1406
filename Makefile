# Two commands are all the set-up there is: `make run` and `make test`.
# Each creates .venv if missing and installs hecon into it (editable) first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: the default analysis of the default model, into results/
run: $(STAMP)
	$(BIN)/hecon run

## test: lint, then the whole test suite
test: $(STAMP)
	@bash scripts/ensure-chromium.sh
	$(BIN)/ruff check hecon hecon_models tests benchmarks
	$(BIN)/python -m pytest

## bench: the speed and memory measurements in benchmarks/
bench: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
