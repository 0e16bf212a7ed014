# All set-up happens here: `make test` and `make demo` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck layers pytest demo crds bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP) lint typecheck layers pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy modelmonitor

layers: $(STAMP)
	$(BIN)/lint-imports

# pytest exits 5 when it collected nothing; make treats that as a failure, as CI must.
pytest: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/modelmonitor demo

crds: $(STAMP)
	$(BIN)/modelmonitor crd > crds/.crd.tmp && mv crds/.crd.tmp crds/modelmonitors.modelmonitor.io.yaml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis demo-output
