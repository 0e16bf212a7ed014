"""Coverage-guided fuzzing (atheris, libFuzzer) of the CSV block parser (`_csvfast.parse_block`, through
`native_block` and straight, with `scan_block`), of `bin_counts` (against NumPy's searchsorted) and of the capture
reader, on bytes the fuzzer makes. Run by `make fuzz`, which builds
an instrumented `_csvfast` with clang (AddressSanitizer and UndefinedBehaviorSanitizer, libFuzzer's coverage) into
FUZZ_NATIVE_DIR and preloads the sanitizers; arguments after the script are libFuzzer's (-max_total_time=N, ...).

A finding is: a sanitizer report, a crash, a count that differs from the reference, or any exception but
AnalyzerInputError (the readers' way to say "bad input") from the readers, or any but ValueError/OverflowError from
the C call with out-of-range arguments."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

import atheris


def _load_instrumented_native() -> None:
    """The instrumented `_csvfast` in place of the installed one, before anything imports it."""
    directory = os.environ.get("FUZZ_NATIVE_DIR")
    if not directory:
        return
    name = "modelmonitor.analyzer.native._csvfast"
    path = next(Path(directory).glob("_csvfast*.so"))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load_instrumented_native()

with atheris.instrument_imports(include=["modelmonitor.analyzer.read"]):
    import numpy as np

    from modelmonitor.analyzer.base.errors import AnalyzerInputError
    from modelmonitor.analyzer.native import _csvfast
    from modelmonitor.analyzer.read import capture
    from modelmonitor.analyzer.read.batches import ReadCounters
    from modelmonitor.analyzer.read.capture import read_capture
    from modelmonitor.analyzer.read.native_block import native_columns
    from modelmonitor.analyzer.read.sources import DataObject


def _block_parser(fdp: atheris.FuzzedDataProvider) -> None:
    width = fdp.ConsumeIntInRange(1, 64)
    skip_ragged = fdp.ConsumeBool()
    limit = fdp.ConsumeIntInRange(0, 64)
    budget = fdp.ConsumeIntInRange(0, 1 << 16)
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    lines = body.count(b"\n") + 1
    assert _csvfast.scan_block(body) == (lines - 1, b'"' in body or b"\r" in body)
    parsed = _csvfast.parse_block(body, width, np.empty((width, lines)), skip_ragged, limit, budget)
    assert parsed is not True  # out holds a row per line
    if parsed is False:
        assert b'"' in body or b"\r" in body
    elif parsed is not None:
        rows, ragged, columns, counted = parsed
        assert 0 <= rows <= lines and 0 <= ragged <= lines and len(columns) == width
        assert counted == body.count(b"\n") + (body[-1:] not in (b"", b"\n"))
    typed = native_columns(memoryview(body), lines, width, skip_ragged=skip_ragged)
    if typed is not None:
        assert typed[1] <= lines


def _arguments(fdp: atheris.FuzzedDataProvider) -> None:
    """Any integers, in range or not: a clean error or a result, never a hang or a crash."""
    width = fdp.ConsumeInt(8)
    limit = fdp.ConsumeInt(8)
    budget = fdp.ConsumeInt(8)
    with contextlib.suppress(ValueError, OverflowError):
        _csvfast.parse_block(fdp.ConsumeBytes(64), width, np.empty(16), fdp.ConsumeBool(), limit, budget)
    with contextlib.suppress(ValueError, OverflowError):
        _csvfast.more_distinct_than(np.arange(8.0), limit)


def _bin_counts(fdp: atheris.FuzzedDataProvider) -> None:
    """Any float64 bits as values (NaN, infinities, both zeros), a few edges or many: NumPy's searchsorted counts."""
    n_edges = fdp.ConsumeIntInRange(0, 40)
    edges = np.unique(np.frombuffer(fdp.ConsumeBytes(8 * n_edges).ljust(8 * n_edges, b"\0"), dtype=np.float64))
    edges = edges[np.isfinite(edges)]
    data = fdp.ConsumeBytes(fdp.remaining_bytes())
    values = np.frombuffer(data[:len(data) // 8 * 8], dtype=np.float64)
    counts = np.zeros(edges.size + 1)
    _csvfast.bin_counts(values, edges, counts)
    expected = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
    assert counts.tolist() == expected.tolist()


def _capture_reader(fdp: atheris.FuzzedDataProvider) -> None:
    layout = "output_first" if fdp.ConsumeBool() else "input_only"
    _fuzzed_blocks[:] = [fdp.ConsumeBytes(fdp.remaining_bytes())]
    try:
        for batch in read_capture([DataObject("fuzzed.jsonl", 0)], layout, ReadCounters()):
            assert batch.n_rows >= 0
    except AnalyzerInputError:
        pass


_fuzzed_blocks: list[bytes] = []
# The reader's own block source reads files in 8 MiB buffers: 30 ms an input. The fuzzed bytes stand for a file's
# one block instead (iter_blocks' contract: whole lines, the last one perhaps without its newline).
capture.iter_blocks = lambda _obj: iter(_fuzzed_blocks)


_TARGETS = {"blocks": _block_parser, "arguments": _arguments, "bins": _bin_counts, "capture": _capture_reader}
_CHOSEN = [_TARGETS[name] for name in os.environ.get("FUZZ_TARGETS", ",".join(_TARGETS)).split(",")]


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    _CHOSEN[fdp.ConsumeIntInRange(0, len(_CHOSEN) - 1)](fdp)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
