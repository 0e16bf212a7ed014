"""The one door into the readers: a dataset's objects in, its typed column batches and read counters out.

Everything about formats stays behind `read_dataset`: detecting the format (Parquet and Arrow IPC by their magic
bytes, text formats from the first line), SageMaker's capture layout (outputs first or inputs only), CSV headers,
the payload decoders, the C/Arrow/Python parsing paths, typing and prefetching. The run asks once and adds up what
comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import orjson

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.batches import Batch, CaptureLayout, DataFormat, HeaderMode, ReadCounters
from modelmonitor.analyzer.read.columnar_files import columnar_kind, head_bytes, read_columnar
from modelmonitor.analyzer.read.csv_reader import read_csv
from modelmonitor.analyzer.read.prefetch import prefetched
from modelmonitor.analyzer.read.sources import DataObject, Window, iter_lines
from modelmonitor.analyzer.read.typed_chunk import prepare

# The readers of capture records and JSON lines (and the record preprocessor) load when the data needs them: a CSV
# run never pays for them (tests/spec/test_cli_startup.py keeps it so).
if TYPE_CHECKING:
    from modelmonitor.analyzer.read.payloads import PayloadMapping, RecordDecoder
    from modelmonitor.analyzer.read.preprocessor import Preprocessor

FormatChoice = Literal["auto", "capture", "csv", "jsonl", "parquet", "arrow"]
LayoutChoice = Literal["auto", "output_first", "input_only"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read a dataset; "auto" choices are decided from the data (and the baseline's width)."""

    data_format: FormatChoice = "auto"
    csv_header: HeaderMode = "auto"
    capture_layout: LayoutChoice = "auto"
    window: Window | None = None
    """Capture records whose inferenceTime falls outside it are skipped (counted in `outside_window`)."""
    preprocessor: Preprocessor | None = None
    """Decides each capture record's rows (`read.preprocessor`, SageMaker's record preprocessor contract)."""
    mapping: PayloadMapping | None = None
    """Where capture payloads hold their features and what to call them (`spec.payload`)."""


@dataclass
class Dataset:
    """What `read_dataset` opened: iterate `batches` once; `counters` and `format` describe what was read."""

    format: DataFormat
    counters: ReadCounters
    batches: Iterator[Batch] = field(repr=False)

    def check_malformed(self, max_fraction: float) -> None:
        """Raise when more than `max_fraction` of the records seen were malformed: the input is then not what we
        think it is. Call after `batches` is exhausted."""
        counters = self.counters
        seen = counters.records + counters.malformed
        if counters.malformed and counters.malformed > max_fraction * seen:
            raise AnalyzerInputError(
                f"{counters.malformed} of {seen} records are malformed (more than "
                f"{max_fraction:.0%}); first: " + "; ".join(counters.examples))


def read_dataset(objects: Sequence[DataObject], options: ReadOptions, *, known_names: list[str] | None = None,
                 on_bytes: Callable[[int], None] | None = None) -> Dataset:
    """Open `objects` for reading: batches come typed (`typed_chunk.prepare`, on a prefetch thread) and named —
    by the data's header or keys, else by position from `known_names` (the baseline's columns), else `_c0`, `_c1`,
    …. `known_names` also decides the capture layout (a baseline's width tells whether outputs are included)."""
    counters = ReadCounters()
    fmt = detect_format(options.data_format, objects)
    width = len(known_names) if known_names is not None else None
    if options.preprocessor is not None and fmt != "capture":
        raise AnalyzerInputError(f"a record preprocessor ({options.preprocessor.source}) applies to data-capture "
                                 f"records; this data is {fmt}")
    if fmt == "capture":
        from modelmonitor.analyzer.read.capture import read_capture

        layout = ("input_only" if options.preprocessor is not None
                  else capture_layout(options.capture_layout, objects, width, options.mapping))
        raw = read_capture(objects, layout, counters, options.window, on_bytes,
                           decode=record_decoder(layout, options))
    elif fmt == "jsonl":
        from modelmonitor.analyzer.read.jsonl import read_jsonl

        raw = read_jsonl(objects, counters, on_bytes)
    elif fmt in ("parquet", "arrow"):
        raw = read_columnar(objects, fmt, counters, on_bytes)
    else:
        raw = read_csv(objects, options.csv_header, counters, on_bytes)
    known = known_names or []
    return Dataset(fmt, counters, prefetched(raw, lambda batch: _typed_and_named(batch, known)))


def record_decoder(layout: CaptureLayout, options: ReadOptions) -> RecordDecoder | None:
    """How capture records become rows when the shape rules do not decide alone: the record preprocessor, or the
    payload mapping; None leaves the readers their fast paths."""
    import functools

    from modelmonitor.analyzer.read.payloads import RecordRows, decode_record

    preprocessor, mapping = options.preprocessor, options.mapping
    if preprocessor is not None:
        return lambda record: RecordRows(preprocessor.rows(record))
    if mapping is not None:
        return functools.partial(decode_record, layout=layout, mapping=mapping)
    return None


def _typed_and_named(batch: Batch, known: list[str]) -> Batch:
    return Batch(names=batch.names or positional_names(len(batch.text_columns), known),
                 text_columns=[prepare(c) for c in batch.text_columns], n_rows=batch.n_rows)


def positional_names(width: int, known: list[str]) -> list[str]:
    """Headerless columns take the baseline's names by position; beyond it (or without one) SageMaker's
    Spark-style `_c0`, `_c1`, … (the built-in analyzer's naming for headerless data)."""
    return [known[i] if i < len(known) else f"_c{i}" for i in range(width)]


def detect_format(choice: FormatChoice, objects: Sequence[DataObject]) -> DataFormat:
    if choice != "auto":
        return choice
    for obj in objects:
        columnar = columnar_kind(head_bytes(obj))
        if columnar is not None:
            return columnar
        line = first_line(obj)
        if line:
            return sniff_format(line)
    return "csv"


def capture_layout(choice: LayoutChoice, objects: Sequence[DataObject], width: int | None,
                   mapping: PayloadMapping | None = None) -> CaptureLayout:
    """SageMaker puts output columns first. Against a baseline: output+input when that matches its width, input
    only when that does; without a baseline, output first whenever outputs were captured."""
    if choice != "auto":
        return choice
    from modelmonitor.analyzer.read.payloads import capture_widths

    for obj in objects:
        line = first_line(obj)
        if not line:
            continue
        try:
            n_in, n_out = capture_widths(orjson.loads(line), mapping)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if width is not None and n_in == width and n_in + n_out != width:
            return "input_only"
        return "output_first" if n_out else "input_only"
    return "output_first"


def sniff_format(first_line: bytes) -> DataFormat:
    text = first_line.strip()
    if text.startswith(b"{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return "jsonl"
        return "capture" if isinstance(value, dict) and "captureData" in value else "jsonl"
    return "csv"


def first_line(obj: DataObject) -> bytes:
    for lines in iter_lines(obj, chunk_bytes=1 << 16):
        for line in lines:
            if line.strip():
                return line
    return b""
