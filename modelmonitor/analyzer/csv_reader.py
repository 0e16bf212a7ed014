"""CSV datasets → column batches. Blocks of plain CSV (no quote, carriage return or byte-order mark — what
pipelines and SageMaker's own dataset files are) go to Arrow as bytes: never split into Python strings. Any other
block, and any block Arrow cannot take, goes through the line/`csv`-module path, whose semantics are the
reference; tests hold the two to the same batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from modelmonitor.analyzer._csvfast import count_newlines
from modelmonitor.analyzer.arrow_text import TextColumn, block_columns
from modelmonitor.analyzer.errors import AnalyzerInputError
from modelmonitor.analyzer.native_block import native_columns
from modelmonitor.analyzer.readers import (
    Batch,
    HeaderMode,
    ReadCounters,
    _BatchBuilder,
    looks_like_header,
    split_csv,
)
from modelmonitor.analyzer.sources import DataObject, iter_blocks
from modelmonitor.analyzer.typed_chunk import TypedChunk

_BOM = "\ufeff".encode()


def read_csv(objects: Iterable[DataObject], header: HeaderMode, counters: ReadCounters,
             on_bytes: Callable[[int], None] | None = None) -> Iterator[Batch]:
    """CSV files; with a header, every file repeats it (as split dataset files do) and ragged rows are malformed."""
    builder = _BatchBuilder()
    names: list[str] | None = None
    for obj in objects:
        first = True
        for block in iter_blocks(obj):
            if on_bytes:
                on_bytes(len(block))
            n_lines = count_newlines(block) + (not block.endswith(b"\n"))
            counters.lines += n_lines
            body = memoryview(block)
            if first and (found := _header(block, header, names, obj.uri)) is not None:
                first = False
                names, skip = found
                body = body[skip:]
            fast = _fast_block(body, block, n_lines, names, counters, uri=obj.uri)
            if fast is not None:
                yield from builder.drain(names)
                yield fast
                continue
            _add_lines(builder, bytes(body), names, counters, obj.uri)
            if builder.full():
                yield from builder.drain(names)
    yield from builder.drain(names)


def _header(block: bytes, mode: HeaderMode, names: list[str] | None, uri: str
            ) -> tuple[list[str] | None, int] | None:
    """(column names, bytes at the block's start that hold the header line) from the first non-empty line of a
    file; None while no such line has been seen (a block of blank lines, or one that is not UTF-8 text)."""
    start = 0
    while start < len(block):
        end = block.find(b"\n", start)
        end = len(block) if end < 0 else end + 1
        try:
            line = block[start:end].decode("utf-8").replace("\r", "").rstrip("\n")
        except UnicodeDecodeError:
            return None  # the list path reports the block
        if line:
            fields = split_csv([line])[0]
            if mode == "present" or (mode == "auto" and looks_like_header(fields)):
                return names or _header_names(fields, uri), end
            return names, 0
        start = end
    return None


def _fast_block(body: memoryview, block: bytes, n_lines: int, names: list[str] | None, counters: ReadCounters, *,
                uri: str) -> Batch | None:
    if not body.nbytes or b'"' in block or b"\r" in block or block.startswith(_BOM):
        return None
    if names is not None:
        width = len(names)
        on_ragged: Callable[[], None] | None = lambda: _count_ragged(counters, uri, 1, width)  # noqa: E731
    else:
        width = _first_line(body).count(b",") + 1
        on_ragged = None  # without a header, ragged rows are padded, which the list path does
    parsed = _native_block(body, n_lines, width, on_ragged) or block_columns(body, width, on_ragged)
    if parsed is None:
        return None
    columns, n_rows = parsed
    counters.records += n_rows
    return Batch(names=names, text_columns=columns, n_rows=n_rows)


def _native_block(body: memoryview, n_lines: int, width: int, on_ragged: Callable[[], None] | None
                  ) -> tuple[list[TextColumn | TypedChunk], int] | None:
    """Numeric columns typed in C (`native_block`); tests replace this to read every block with Arrow."""
    return native_columns(body, n_lines, width, on_ragged)


def _first_line(body: memoryview) -> bytes:
    data = bytes(body[:1 << 16])
    for line in data.split(b"\n"):
        if line:
            return line
    return data


def _add_lines(builder: _BatchBuilder, data: bytes, names: list[str] | None, counters: ReadCounters,
               uri: str) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        counters.bad(uri, f"not UTF-8 text: {exc}")
        return
    lines = [line for line in (text.replace("\r", "") if "\r" in text else text).split("\n") if line]
    if '"' in text:
        rows = split_csv(lines)
        if names is not None:
            good = [r for r in rows if len(r) == len(names)]
            _count_ragged(counters, uri, len(rows) - len(good), len(names))
            rows = good
        counters.records += len(rows)
        builder.add(rows)
        return
    if names is not None:
        commas = len(names) - 1
        good_lines = [line for line in lines if line.count(",") == commas]
        _count_ragged(counters, uri, len(lines) - len(good_lines), len(names))
        lines = good_lines
    counters.records += len(lines)
    builder.plain.extend(lines)


def _header_names(fields: list[str], uri: str) -> list[str]:
    names = [f.strip() for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AnalyzerInputError(f"{uri}: the CSV header repeats column name(s) {', '.join(map(repr, duplicates))}")
    if "" in names:
        raise AnalyzerInputError(f"{uri}: the CSV header has an empty column name (column {names.index('') + 1})")
    return names


def _count_ragged(counters: ReadCounters, uri: str, n: int, width: int) -> None:
    for _ in range(n):
        counters.bad(uri, f"row with a field count other than the header's {width}")
