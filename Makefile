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

.PHONY: test test-browser lint typecheck layers pytest demo crds bench fuzz clarify-golden clean

# Native sources too: an editable install compiles the analyzer's C modules in place (setup.py).
$(STAMP): pyproject.toml setup.py $(wildcard modelmonitor/analyzer/native/*.c modelmonitor/analyzer/native/*.h)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(ASL_STAMP): $(ASL_DIR)/package.json $(ASL_DIR)/package-lock.json
	cd $(ASL_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(ASL_STAMP)

test: $(STAMP) $(ASL_STAMP) lint typecheck layers pytest

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .  # a stale cache once hid import-order findings a fresh clone reports

typecheck: $(STAMP)
	$(BIN)/mypy modelmonitor

layers: $(STAMP)
	$(BIN)/lint-imports

# pytest exits 5 when it collected nothing; make treats that as a failure, as CI must.
pytest: $(STAMP) $(ASL_STAMP)
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
	rm -rf $(VENV) $(BENCH_VENV) $(CLARIFY_VENV) $(ASL_DIR)/node_modules .pytest_cache .ruff_cache .hypothesis demo-output test-artifacts \
		$(FUZZ_DIR) fuzz-artifacts
