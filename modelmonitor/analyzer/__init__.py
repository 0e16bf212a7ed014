"""The drift analyzer: one folder per layer; a layer imports only the layers below it (import-linter checks it).

    entry     byoc, lambda_handler, engine_run, engine_outputs     shells: environment, events, exit codes
      │
    run       runner, job, checks, constraints, statsfile,         one analysis run: decide violations,
      │       outputs, report                                      write outputs
      ├──────────────┬──────────────┐
    quality        stats          methods                          labels / statistics / drift methods
      │              │              │                             (independent of each other)
    read ◄───────────┘              │                              bytes → typed column batches
      │                             │
    base ◄──────────────────────────┘                              errors, limits, binning, distributions
      │
    native                                                         C: CSV parser, kernels, KLL sketch

`python -m modelmonitor.analyzer` (`__main__`) is the container entrypoint; `lambda_handler` at this level is the
handler's first path, kept for functions deployed before these folders existed (docs/analyzer.md).
"""

import os

# NumPy's OpenBLAS starts a thread per core on import, and each spins a while waiting for work (the analyzer does
# no linear algebra worth a thread): ~50 ms of CPU per process, taken from the parser and the column lanes on a
# small machine. Set before any module of ours imports NumPy; a value the environment already gives wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
