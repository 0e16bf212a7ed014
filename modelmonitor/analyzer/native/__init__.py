"""Native layer: the C sources of the hot path, built as two extension modules (setup.py) — `_csvfast` (CSV
block parser, numeric kernels, text counter) and `_kll` (the KLL quantile sketch) — and their type stubs.

Imports nothing of ours (checked by import-linter); everything else wraps these modules: `read.native_block` the
parser, `stats.kll` the sketch, `base.binning` the bin counter."""
