"""What every reader yields: column batches of text, with the counters of what was read.

Every value stays text here ("" = missing) so one vectorised typing pass (`typed_chunk`) serves every format.
Batches hold at most `BATCH_ROWS` rows: memory stays bounded whatever the window size. Lines that cannot be parsed
are counted in `ReadCounters.malformed`; `dataset.check_malformed` decides when that is fatal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import orjson

from modelmonitor.analyzer.read.arrow_text import TextColumn, arrow_columns

BATCH_ROWS = 50_000
MAX_COLUMNS = 100_000
"""Fields a row may have (and names a header): a row with more is counted malformed, a header with more refused.
Each column costs the statistics some kilobytes, whatever its rows."""
PAD_CELLS = 1 << 24
"""Values that one batch of rows of different widths may hold once padded (8 bytes each): rows are batched in runs
whose row count times widest row stays within it, so one wide row among narrow ones cannot multiply the batch."""
DataFormat = Literal["capture", "csv", "jsonl", "parquet", "arrow"]
CaptureLayout = Literal["output_first", "input_only"]
HeaderMode = Literal["auto", "present", "absent"]


@dataclass
class ReadCounters:
    lines: int = 0
    records: int = 0
    malformed: int = 0
    outside_window: int = 0
    examples: list[str] = field(default_factory=list)
    unpaired: int = 0
    """Records whose outputs did not pair with their inputs (their rows' output columns are left empty)."""
    unpaired_example: str = ""
    synthetic: int = 0
    """Records of our own feature-attribution requests (`records.is_synthetic`): read, left out of the window."""

    def not_paired(self, where: str, n_inputs: int, n_outputs: int) -> None:
        self.unpaired += 1
        if not self.unpaired_example:
            self.unpaired_example = f"{where}: {n_outputs} output row(s) for {n_inputs} input row(s)"

    def bad(self, where: str, why: str) -> None:
        self.malformed += 1
        if len(self.examples) < 5:
            self.examples.append(f"{where}: {why}")


def _text_of(column: Any) -> Any:
    load = getattr(column, "load_texts", None)  # a TypedChunk from the C path keeps no text, but can read it again
    return column if load is None else load()


@dataclass(frozen=True)
class Batch:
    """Column-major text values. `names is None`: columns are positional (headerless CSV, capture CSV)."""

    names: list[str] | None
    text_columns: list[TextColumn]
    n_rows: int

    @property
    def columns(self) -> list[list[str]]:
        """The columns as Python lists of text (Arrow columns are converted, and columns typed in C read again, on
        each access)."""
        return [c if isinstance(c, list) else _text_of(c).to_pylist() for c in self.text_columns]


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(value).decode()


Row = list[str] | dict[str, str]
_R = TypeVar("_R", str, list[str], dict[str, str])


def plain_columns(lines: list[str]) -> list[list[str]]:
    """Unquoted CSV lines → columns. When every line has the same field count (the usual case) one join and one
    split replace a list per row: no per-row containers, so neither allocation nor the garbage collector's
    scans grow with the batch."""
    widths = {line.count(",") for line in lines}
    if len(widths) == 1:
        width = widths.pop() + 1
        flat = ",".join(lines).split(",")
        return [flat[i::width] for i in range(width)]
    rows = [line.split(",") for line in lines]
    width = max(len(r) for r in rows)
    padded = [r + [""] * (width - len(r)) for r in rows]
    return [list(c) for c in zip(*padded, strict=True)]


def padded_runs(widths: list[int]) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive rows whose padded size (rows x widest row) stays within `PAD_CELLS`: one run
    when the rows are alike, and never more values than the rows hold plus `PAD_CELLS`."""
    start, widest = 0, 0
    for i, width in enumerate(widths):
        if i > start and (i + 1 - start) * max(widest, width) > PAD_CELLS:
            yield start, i
            start, widest = i, 0
        widest = max(widest, width)
    if widths:
        yield start, len(widths)


class BatchBuilder:
    """Collects rows and emits column batches: unquoted CSV lines (the fast path), parsed positional rows, and
    named rows (JSON objects) — the three never share a batch. Rows wider than `MAX_COLUMNS` are dropped and
    counted malformed in `counters` (under `source`, the object being read)."""

    def __init__(self, counters: ReadCounters | None = None) -> None:
        self.plain: list[str] = []
        self.positional: list[list[str]] = []
        self.named: list[dict[str, str]] = []
        self.counters = counters
        self.source = ""

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            if isinstance(row, dict):
                self.named.append(row)
            else:
                self.positional.append(row)

    def full(self) -> bool:
        return max(len(self.plain), len(self.positional), len(self.named)) >= BATCH_ROWS

    def drain(self, header: list[str] | None = None) -> Iterator[Batch]:
        if self.plain:
            lines, self.plain = self.plain, []
            columns = arrow_columns(lines)
            if columns is not None and len(columns) <= MAX_COLUMNS:
                yield Batch(names=header, text_columns=columns, n_rows=len(lines))
            else:  # ragged (or too wide) lines: padded in bounded runs
                lines = self._within_width(lines, [line.count(",") + 1 for line in lines])
                widths = [line.count(",") + 1 for line in lines]
                for start, stop in padded_runs(widths):
                    yield Batch(names=header, text_columns=plain_columns(lines[start:stop]), n_rows=stop - start)
        if self.positional:
            rows, self.positional = self.positional, []
            rows = self._within_width(rows, [len(r) for r in rows])
            widths = [len(r) for r in rows]
            for start, stop in padded_runs(widths):
                run = rows[start:stop]
                width = max(widths[start:stop])
                run = [r + [""] * (width - len(r)) if len(r) < width else r for r in run]
                yield Batch(names=header, text_columns=[list(c) for c in zip(*run, strict=True)], n_rows=len(run))
        if self.named:
            named, self.named = self.named, []
            yield from self._named_batches(self._within_width(named, [len(r) for r in named]))

    def _within_width(self, rows: list[_R], widths: list[int]) -> list[_R]:
        if max(widths) <= MAX_COLUMNS:
            return rows
        if self.counters is not None:
            for width in widths:
                if width > MAX_COLUMNS:
                    self.counters.bad(self.source, f"a row of {width} fields (at most {MAX_COLUMNS} are read)")
        return [row for row, width in zip(rows, widths, strict=True) if width <= MAX_COLUMNS]

    @staticmethod
    def _named_batches(named: list[dict[str, str]]) -> Iterator[Batch]:
        """Named rows in runs whose names times rows stay within `PAD_CELLS` (rows with keys of their own would
        otherwise make a batch of every name by every row)."""
        start, names = 0, dict[str, None]()
        for i, row in enumerate(named):
            new = [key for key in row if key not in names]
            if i > start and (len(names) + len(new)) * (i + 1 - start) > PAD_CELLS:
                yield _named_batch(named[start:i], list(names))
                start, names = i, {}
            names.update(dict.fromkeys(row))
        if named:
            yield _named_batch(named[start:], list(names))


def _named_batch(rows: list[dict[str, str]], names: list[str]) -> Batch:
    return Batch(names=names, text_columns=[[r.get(n, "") for r in rows] for n in names], n_rows=len(rows))
