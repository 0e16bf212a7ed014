# All set-up happens here: `make test` and `make demo` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-browser lint typecheck layers pytest demo crds bench clean

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

# Opens a generated 200-feature drift report in headless Chromium (DevTools protocol on 127.0.0.1): fails on console
# errors, exceptions or any network request; screenshots land in test-artifacts/. Installs Debian's chromium if missing.
test-browser: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }
	$(BIN)/python -m tests.browser.report_in_chromium

demo: $(STAMP)
	$(BIN)/modelmonitor demo

crds: $(STAMP)
	$(BIN)/modelmonitor crd > crds/.crd.tmp && mv crds/.crd.tmp crds/modelmonitors.modelmonitor.io.yaml
	cp crds/modelmonitors.modelmonitor.io.yaml deploy/crd.yaml  # kustomize cannot reach outside deploy/

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis demo-output
