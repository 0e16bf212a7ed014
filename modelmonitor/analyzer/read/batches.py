"""What every reader yields: column batches of text, with the counters of what was read.

Every value stays text here ("" = missing) so one vectorised typing pass (`typed_chunk`) serves every format.
Batches hold at most `BATCH_ROWS` rows: memory stays bounded whatever the window size. Lines that cannot be parsed
are counted in `ReadCounters.malformed`; `dataset.check_malformed` decides when that is fatal.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from modelmonitor.analyzer.read.arrow_text import TextColumn, arrow_columns

BATCH_ROWS = 50_000
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


def split_csv(lines: list[str]) -> list[list[str]]:
    if any('"' in line for line in lines):
        return [row for row in csv.reader(lines)]
    return [line.split(",") for line in lines]


Row = list[str] | dict[str, str]


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


class BatchBuilder:
    """Collects rows and emits column batches: unquoted CSV lines (the fast path), parsed positional rows, and
    named rows (JSON objects) — the three never share a batch."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.positional: list[list[str]] = []
        self.named: list[dict[str, str]] = []
        self.names: dict[str, None] = {}

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            if isinstance(row, dict):
                self.names.update(dict.fromkeys(row))
                self.named.append(row)
            else:
                self.positional.append(row)

    def full(self) -> bool:
        return max(len(self.plain), len(self.positional), len(self.named)) >= BATCH_ROWS

    def drain(self, header: list[str] | None = None) -> Iterator[Batch]:
        if self.plain:
            lines, self.plain = self.plain, []
            columns = arrow_columns(lines)
            yield Batch(names=header, text_columns=plain_columns(lines) if columns is None else columns,
                        n_rows=len(lines))
        if self.positional:
            rows, self.positional = self.positional, []
            widths = {len(r) for r in rows}
            if len(widths) > 1:
                width = max(widths)
                rows = [r + [""] * (width - len(r)) for r in rows]
            yield Batch(names=header, text_columns=[list(c) for c in zip(*rows, strict=True)], n_rows=len(rows))
        if self.named:
            named, self.named = self.named, []
            names = list(self.names)
            yield Batch(names=names, text_columns=[[r.get(n, "") for r in named] for n in names],
                        n_rows=len(named))
