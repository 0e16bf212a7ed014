# All set-up happens here: `make test` and `make demo` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The benchmark peers live in their own venv: their pins clash with the product's (benchmarks/requirements-peers.txt).
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
# Both peers phone home unless told not to; nothing may leave the machine.
NO_TELEMETRY := NML_DISABLE_USAGE_LOGGING=1 DO_NOT_TRACK=1

# The real Amazon States Language validator (npm asl-validator, pinned by tools/asl's lock file): the state machine
# tests run every definition through it. npm ci: exactly the locked versions, never an unpinned download.
ASL_DIR := tools/asl
ASL_STAMP := $(ASL_DIR)/node_modules/.installed

.PHONY: test test-browser lint typecheck layers pytest demo demo-bias crds bench fuzz clarify-golden clean lambda-package \
	layer-compat lambda-timing

# The analyzer's Lambda zip (modelmonitor/packaging): built here once, read by the components at render time. The C
# modules are cross-compiled (zig, from the dev extra) against the headers of the Lambda runtime's CPython, so that
# interpreter must be on the machine: a pyenv 3.12, or any python3.12 on PATH (LAMBDA_PYTHON=... overrides).
LAMBDA_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12.*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
LAMBDA_DIR := modelmonitor/packaging/dist
LAMBDA_STAMP := $(LAMBDA_DIR)/.built
LAMBDA_INPUTS := $(shell find modelmonitor/analyzer modelmonitor/packaging -name '*.py' -o -name '*.c' -o -name '*.h') \
	modelmonitor/__init__.py modelmonitor/errors.py
# The analyzer's own tests under the layer's numpy/pyarrow and the zip's cross-compiled modules (a separate venv).
LAYER_VENV := .venv-layer
LAYER_STAMP := $(LAYER_VENV)/.installed
LAYER_PINS = $$($(CURDIR)/$(BIN)/python -c 'from modelmonitor.packaging import layers as l; print(f"numpy=={l.LAYER_NUMPY} pyarrow=={l.LAYER_PYARROW}")')

# Native sources too: an editable install compiles the analyzer's C modules in place (setup.py).
$(STAMP): pyproject.toml setup.py $(wildcard modelmonitor/analyzer/native/*.c modelmonitor/analyzer/native/*.h)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(ASL_STAMP): $(ASL_DIR)/package.json $(ASL_DIR)/package-lock.json
	cd $(ASL_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(ASL_STAMP)

test: $(STAMP) $(ASL_STAMP) $(LAMBDA_STAMP) lint typecheck layers pytest layer-compat

$(LAMBDA_STAMP): $(STAMP) $(LAMBDA_INPUTS)
	@test -n "$(LAMBDA_PYTHON)" || { echo "lambda-package: no CPython 3.12 found (its headers build the Lambda modules); set LAMBDA_PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(BIN)/python -m modelmonitor.packaging build --out $(LAMBDA_DIR) \
	  --python-include "$$($(LAMBDA_PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
	@touch $(LAMBDA_STAMP)

lambda-package: $(LAMBDA_STAMP)

$(LAYER_STAMP): modelmonitor/packaging/layers.py Makefile
	@test -n "$(LAMBDA_PYTHON)" || { echo "layer-compat: no CPython 3.12 found; set LAMBDA_PYTHON" >&2; exit 1; }
	@test -x $(LAYER_VENV)/bin/python || $(LAMBDA_PYTHON) -m venv $(LAYER_VENV)
	$(LAYER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LAYER_VENV)/bin/python -m pip install --quiet \
	  $(LAYER_PINS) boto3 "moto[s3]>=5.0" pytest pytest-asyncio pytest-timeout hypothesis scipy scikit-learn datasketches
	@touch $(LAYER_STAMP)

# The zip is unpacked as Lambda does (/var/task) and put first on the path; the plugin refuses to run if the
# analyzer, its C modules, numpy or pyarrow come from anywhere else. Test files that need the rest of the product
# (spec, CLI, moto) are left out: the zip does not carry it.
LAYER_TASK := $(LAYER_VENV)/task
layer-compat: $(LAMBDA_STAMP) $(LAYER_STAMP)
	rm -rf $(LAYER_TASK) && mkdir -p $(LAYER_TASK)
	cd $(LAYER_TASK) && $(CURDIR)/$(LAYER_VENV)/bin/python -m zipfile -e $(CURDIR)/$(LAMBDA_DIR)/analyzer-lambda-py3.12-x86_64.zip .
	cd $(LAYER_TASK) && MODELMONITOR_LAYER_TASK=$(CURDIR)/$(LAYER_TASK) MODELMONITOR_LAYER_PINS="$(LAYER_PINS)" \
	  PYTHONPATH=$(CURDIR)/$(LAYER_TASK):$(CURDIR) $(CURDIR)/$(LAYER_VENV)/bin/python -m pytest -q \
	  -c $(CURDIR)/pyproject.toml --rootdir=$(CURDIR) -p tests.packaging.layer_plugin -o pythonpath=$(CURDIR)/$(LAYER_TASK) \
	  $(CURDIR)/tests/analyzer --ignore=$(CURDIR)/tests/analyzer/hostile --ignore=$(CURDIR)/tests/analyzer/entry/test_cli.py \
	  --ignore=$(CURDIR)/tests/analyzer/quality/test_ground_truth_columnar.py --ignore=$(CURDIR)/tests/analyzer/quality/test_ground_truth_readers.py \
	  --ignore=$(CURDIR)/tests/analyzer/quality/test_model_quality_metrics.py --ignore=$(CURDIR)/tests/analyzer/read/test_columnar_files.py \
	  --ignore=$(CURDIR)/tests/analyzer/read/test_payload_mapping.py --ignore=$(CURDIR)/tests/analyzer/read/test_readers.py \
	  --ignore=$(CURDIR)/tests/analyzer/read/test_record_preprocessor.py

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .  # a stale cache once hid import-order findings a fresh clone reports

typecheck: $(STAMP)
	$(BIN)/mypy modelmonitor

layers: $(STAMP)
	$(BIN)/lint-imports

# pytest exits 5 when it collected nothing; make treats that as a failure, as CI must.
pytest: $(STAMP) $(ASL_STAMP) $(LAMBDA_STAMP)
	$(BIN)/python -m pytest -q

# Opens a generated 200-feature drift report in headless Chromium (DevTools protocol on 127.0.0.1): fails on console
# errors, exceptions or any network request; screenshots land in test-artifacts/. Installs Debian's chromium if missing.
test-browser: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }
	$(BIN)/python -m tests.browser.report_in_chromium

demo: $(STAMP) $(LAMBDA_STAMP)
	$(BIN)/modelmonitor demo

# The demos render the lambda engine, whose plan names the built analyzer zip. Bias drift (spec.modelBias) is a
# separate target, so `make demo` keeps its run time.
demo-bias: $(STAMP) $(LAMBDA_STAMP)
	$(BIN)/modelmonitor demo --monitor bias

crds: $(STAMP)
	$(BIN)/modelmonitor crd > crds/.crd.tmp && mv crds/.crd.tmp crds/modelmonitors.modelmonitor.io.yaml
	cp crds/modelmonitors.modelmonitor.io.yaml deploy/crd.yaml  # kustomize cannot reach outside deploy/

$(BENCH_STAMP): benchmarks/requirements-peers.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NO_TELEMETRY) $(BENCH_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	@touch $(BENCH_STAMP)

# A benchmark, not a test: it prints timings and PASS/MISS per goal and never fails on them.
# Options: make bench BENCH_ARGS="--quick" (or --skip-peers, --rows-cur N, ...; see --help).
bench: $(STAMP) $(BENCH_STAMP)
	$(NO_TELEMETRY) $(BIN)/python benchmarks/analyzer_vs_peers.py $(BENCH_ARGS)

# Coverage-guided fuzzing (atheris over libFuzzer) of the CSV block parser and the capture reader for FUZZ_SECONDS,
# against a copy of _csvfast that clang builds with AddressSanitizer and UndefinedBehaviorSanitizer. Not part of
# `make test`: it takes its time by design and needs clang (installed from Debian when missing) and atheris (PyPI).
# A finding stops it non-zero and leaves the input in fuzz-artifacts/; the corpus grows in .fuzz/corpus.
FUZZ_SECONDS ?= 25
FUZZ_DIR := .fuzz
FUZZ_SOURCES := $(addprefix modelmonitor/analyzer/native/,_csvfast.c _csvfast_kernels.c _csvfast_text.c)
fuzz: $(STAMP)
	@command -v clang >/dev/null 2>&1 || apt-get install -y clang || { apt-get update && apt-get install -y clang; }
	$(BIN)/python -m pip install --quiet 'atheris>=2.3'
	@mkdir -p $(FUZZ_DIR)/native $(FUZZ_DIR)/corpus fuzz-artifacts
	clang -O1 -g -std=c11 -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -shared -fPIC \
	  -I"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" $(FUZZ_SOURCES) \
	  -o $(FUZZ_DIR)/native/_csvfast$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
	FUZZ_NATIVE_DIR=$(FUZZ_DIR)/native ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
	  LD_PRELOAD="$$($(BIN)/python -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so" \
	  $(BIN)/python tests/analyzer/hostile/fuzz_readers.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  -artifact_prefix=fuzz-artifacts/ $(FUZZ_DIR)/corpus

# Regenerates tests/analyzer/fixtures/clarify/{golden,shap_golden}.json with AWS's smclarify and the shap library,
# the oracles of our bias metrics and Kernel SHAP. Not
# part of `make test` (the golden file is committed); smclarify 0.5 needs pandas 1.x, hence its own venv.
CLARIFY_VENV := .venv-clarify
clarify-golden:
	@test -x $(CLARIFY_VENV)/bin/python || $(PYTHON) -m venv $(CLARIFY_VENV)
	$(CLARIFY_VENV)/bin/python -m pip install --quiet -r tools/clarify_golden/requirements.txt
	$(CLARIFY_VENV)/bin/python tools/clarify_golden/generate.py
	$(CLARIFY_VENV)/bin/python tools/clarify_golden/generate_shap.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(CLARIFY_VENV) $(LAYER_VENV) $(LAMBDA_DIR) $(ASL_DIR)/node_modules .pytest_cache \
		.ruff_cache .hypothesis demo-output test-artifacts \
		$(FUZZ_DIR) fuzz-artifacts

# A measurement, not a test: analyze time of a 100,000-record window on what the Lambda runs (the zip's x86_64
# modules, the layer's numpy/pyarrow, CPython 3.12). docs/internal/lambda-zip.md records a run.
lambda-timing: $(LAMBDA_STAMP) $(LAYER_STAMP)
	rm -rf $(LAYER_TASK) && mkdir -p $(LAYER_TASK)
	cd $(LAYER_TASK) && $(CURDIR)/$(LAYER_VENV)/bin/python -m zipfile -e $(CURDIR)/$(LAMBDA_DIR)/analyzer-lambda-py3.12-x86_64.zip .
	cd $(LAYER_TASK) && PYTHONPATH=$(CURDIR)/$(LAYER_TASK):$(CURDIR) $(CURDIR)/$(LAYER_VENV)/bin/python \
	  $(CURDIR)/tests/packaging/lambda_window_timing.py
