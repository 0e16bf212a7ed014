"""CSV datasets → column batches. Blocks of plain CSV (no quote, carriage return or byte-order mark — what
pipelines and SageMaker's own dataset files are) go to Arrow as bytes: never split into Python strings. Any other
block, and any block Arrow cannot take, goes through the line/`csv`-module path, whose semantics are the
reference; tests hold the two to the same batches."""

from __future__ import annotations

import csv
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.native._csvfast import scan_block
from modelmonitor.analyzer.read import prefetch
from modelmonitor.analyzer.read.arrow_text import TextColumn, arrow_block
from modelmonitor.analyzer.read.batches import (
    MAX_COLUMNS,
    Batch,
    BatchBuilder,
    HeaderMode,
    ReadCounters,
)
from modelmonitor.analyzer.read.native_block import BlockBuffers, Refused, block_lines, parse_columns
from modelmonitor.analyzer.read.payload_mapping import split_csv
from modelmonitor.analyzer.read.sources import DataObject, iter_block_views
from modelmonitor.analyzer.read.typed_chunk import TypedChunk

_BOM = "\ufeff".encode()


def read_csv(objects: Iterable[DataObject], header: HeaderMode, counters: ReadCounters,
             on_bytes: Callable[[int], None] | None = None) -> Iterator[Batch]:
    """CSV files; with a header, every file repeats it (as split dataset files do) and ragged rows are malformed.
    Plain blocks are parsed on a small thread pool (the parsers release the GIL), their results taken in order:
    their lines are counted by the parser, so line numbers (for messages) follow the blocks as they are taken."""
    builder = BatchBuilder(counters)
    names: list[str] | None = None
    pending: deque[tuple[Future[_Parsed | None], _Plain]] = deque()
    buffers = BlockBuffers()
    density = _Density()
    with _pool() as pool:

        def collect(limit: int) -> Iterator[Batch]:
            while len(pending) > limit:
                future, plain = pending.popleft()
                yield from _take(future.result(), plain, builder, counters, density)

        for obj in objects:
            builder.source = obj.uri
            first = True
            lines = _ObjectLines()
            for block in iter_block_views(obj):
                if on_bytes:
                    on_bytes(block.nbytes)
                body, header_lines = block, 0
                if first:
                    if lines.pending:  # blank blocks before the header: their lines number the header's
                        yield from collect(0)
                    head = bytes(block)
                    if (found := _header(head, header, names, obj.uri, lines.counted + 1)) is not None:
                        first = False
                        names, skip = found
                        body = body[skip:]
                        header_lines = head.count(b"\n", 0, skip)
                lines.pending += 1
                plain = _plain_block(body, block, density.estimate(body.nbytes), names, obj.uri,
                                     header_lines=header_lines, lines=lines, buffers=buffers)
                if plain is not None:
                    pending.append((pool.submit(_parse_plain, plain), plain))
                    yield from collect(_IN_FLIGHT)
                    continue
                yield from collect(0)
                first_line = lines.taken(header_lines, counters) + 1
                lines.add(block_lines(body), counters)
                _add_lines(builder, bytes(body), names, counters, obj.uri, first_line=first_line)
                if builder.full():
                    yield from builder.drain(names)
        yield from collect(0)
    yield from builder.drain(names)


def _take(parsed: _Parsed | None, plain: _Plain, builder: BatchBuilder, counters: ReadCounters,
          density: _Density) -> Iterator[Batch]:
    """A plain block's result, in the blocks' order: its batch, or its lines through the list path."""
    first_line = plain.lines.taken(plain.header_lines, counters) + 1
    if parsed is None:
        plain.lines.add(block_lines(plain.body), counters)
        _add_lines(builder, bytes(plain.body), plain.names, counters, plain.uri, first_line=first_line)
        if builder.full():
            yield from builder.drain(plain.names)
        return
    columns, n_rows, ragged, n_lines = parsed
    plain.lines.add(n_lines, counters)
    density.learn(n_lines, plain.body.nbytes)
    _count_ragged(counters, plain.uri, ragged, plain.width)
    counters.records += n_rows
    yield from builder.drain(plain.names)
    yield Batch(names=plain.names, text_columns=columns, n_rows=n_rows)


_Parsed = tuple[list[TextColumn | TypedChunk], int, int, int]
"""(columns, rows, ragged rows skipped, lines)."""

_IN_FLIGHT = 3
"""Plain blocks parsed ahead of the one being handed out: enough to keep the pool busy, few enough to bound memory
(each holds its bytes and its typed columns)."""


class _ObjectLines:
    """Lines of one object's blocks taken so far, in order (line numbers for messages), and its blocks not taken
    yet. Used by the reading thread only."""

    def __init__(self) -> None:
        self.counted = 0
        self.pending = 0

    def taken(self, header_lines: int, counters: ReadCounters) -> int:
        """The number of the line before a block's body: the lines before the block and its header's."""
        self.counted += header_lines
        counters.lines += header_lines
        return self.counted

    def add(self, n_lines: int, counters: ReadCounters) -> None:
        """A block's body was taken: its lines count (header lines were counted by `taken`)."""
        self.counted += n_lines
        self.pending -= 1
        counters.lines += n_lines


class _Density:
    """Lines per byte of the blocks read so far, to size a block's value buffer without counting its lines first
    (the parser counts them in its one pass): a block with more lines than the estimate is parsed again with its
    exact count. Until a block has been taken, blocks are counted."""

    MARGIN = 1.125

    def __init__(self) -> None:
        self._per_byte = 0.0

    def learn(self, n_lines: int, n_bytes: int) -> None:
        if n_bytes:
            self._per_byte = max(self._per_byte, n_lines / n_bytes)

    def estimate(self, n_bytes: int) -> int | None:
        return int(n_bytes * self._per_byte * self.MARGIN) + 16 if self._per_byte else None


@dataclass(frozen=True)
class _Plain:
    """A block the parsers can take as bytes, with what its result needs."""

    body: memoryview
    n_lines: int
    """The body's lines, or an estimate."""
    width: int
    names: list[str] | None
    uri: str
    header_lines: int
    """Lines of the header at the block's start, not in `body`."""
    lines: _ObjectLines
    buffers: BlockBuffers


def parse_workers(cpus: int | None, threads: bool) -> int:
    """Threads that parse plain blocks: one on up to two CPUs, where it and the two column lanes already keep both
    busy (a second parser only added switching: the 1M-row bench window took 0.58 instead of 0.61 s, fastest of 10
    interleaved), two on more; one when the analyzer's threads are off."""
    return 2 if threads and (cpus or 1) > 2 else 1


def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=parse_workers(os.cpu_count(), prefetch.enabled()),
                              thread_name_prefix="modelmonitor-parse")


def _plain_block(body: memoryview, block: memoryview, estimate: int | None, names: list[str] | None, uri: str, *,
                 header_lines: int, lines: _ObjectLines, buffers: BlockBuffers) -> _Plain | None:
    """The block as the parsers take it, or None when the list path must read it: empty, with a byte-order mark, a
    quote or a carriage return (a block with no line estimate yet is scanned for them here; the parser finds them
    in any other)."""
    if not body.nbytes or block[:len(_BOM)] == _BOM:
        return None
    if estimate is None:
        newlines, quoted = scan_block(body)
        if quoted:
            return None
        estimate = newlines + 1
    width = len(names) if names is not None else _first_line(body).count(b",") + 1
    if width > MAX_COLUMNS:
        return None  # the list path counts the row malformed
    return _Plain(body, estimate, width, names, uri, header_lines, lines, buffers)


def _parse_plain(plain: _Plain) -> _Parsed | None:
    """Runs on a pool thread: touches nothing shared (ragged rows are counted, and reported by the caller). Without
    a header, ragged rows are padded, which only the list path does: the parsers then refuse the block. None: the
    list path reads it."""
    skip_ragged = plain.names is not None
    found = parse_columns(plain.body, plain.n_lines, plain.width, skip_ragged=skip_ragged, buffers=plain.buffers)
    if found is Refused.MORE_LINES:
        found = parse_columns(plain.body, block_lines(plain.body), plain.width, skip_ragged=skip_ragged,
                              buffers=plain.buffers)
    if found is Refused.NOT_PLAIN:
        return None
    if isinstance(found, tuple):
        return found
    if scan_block(plain.body)[1]:  # the parser may have stopped before a quote
        return None
    parsed = arrow_block(plain.body, plain.width, range(plain.width), skip_ragged=skip_ragged)
    return None if parsed is None else (*parsed, block_lines(plain.body))


def _header(block: bytes | bytearray, mode: HeaderMode, names: list[str] | None, uri: str, first_line: int
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
            try:
                fields = split_csv([line])[0]
            except csv.Error as exc:  # a field past the csv module's size limit
                number = first_line + block.count(b"\n", 0, start)
                raise AnalyzerInputError(f"{uri} line {number}: unreadable CSV header ({exc})") from exc
            if mode == "present" or (mode == "auto" and looks_like_header(fields)):
                return names or _header_names(fields, uri), end
            return names, 0
        start = end
    return None


def _first_line(body: memoryview) -> bytes:
    data = bytes(body[:1 << 16])
    for line in data.split(b"\n"):
        if line:
            return line
    return data


def _add_lines(builder: BatchBuilder, data: bytes, names: list[str] | None, counters: ReadCounters,
               uri: str, *, first_line: int) -> None:
    """A block the list path reads; `first_line` is the number of its first line in its object (for messages)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _utf8_lines(data, first_line, counters, uri)
    text = text.replace("\r", "") if "\r" in text else text
    lines = [line for line in text.split("\n") if line]
    if '"' in text:
        try:
            rows = split_csv(lines)
        except csv.Error:  # an unclosed quote ran a field past the csv module's limit: line by line instead
            rows = _strict_rows(text, first_line, counters, uri)
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


def _utf8_lines(data: bytes, first_line: int, counters: ReadCounters, uri: str) -> str:
    """A block with bytes that are not UTF-8, line by line: each such line is counted malformed under its number
    and left empty (empty lines are skipped; the others keep their numbers), the rest read as usual."""
    lines = []
    for number, line in enumerate(data.split(b"\n"), start=first_line):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            counters.bad(f"{uri} line {number}", f"not UTF-8 text: {exc}")
            lines.append("")
    return "\n".join(lines)


def _strict_rows(text: str, first_line: int, counters: ReadCounters, uri: str) -> list[list[str]]:
    """The block's lines parsed one by one, strictly: a line the csv module cannot read (an unclosed quote, a field
    past its size limit) is counted malformed under its number."""
    rows: list[list[str]] = []
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line:
            continue
        try:
            rows.extend(csv.reader([line], strict=True))
        except csv.Error as exc:
            counters.bad(f"{uri} line {number}", f"unreadable CSV ({exc})")
    return rows


def _header_names(fields: list[str], uri: str) -> list[str]:
    if len(fields) > MAX_COLUMNS:
        raise AnalyzerInputError(f"{uri}: the CSV header names {len(fields)} columns; at most {MAX_COLUMNS} are read")
    names = [f.strip() for f in fields]
    # One pass over the names (a header can hold many thousands of columns; counting each name was quadratic).
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise AnalyzerInputError(f"{uri}: the CSV header repeats column name(s) {', '.join(map(repr, duplicates))}")
    if "" in names:
        raise AnalyzerInputError(f"{uri}: the CSV header has an empty column name (column {names.index('') + 1})")
    return names


def _count_ragged(counters: ReadCounters, uri: str, n: int, width: int) -> None:
    for _ in range(n):
        counters.bad(uri, f"row with a field count other than the header's {width}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_header(fields: list[str]) -> bool:
    """A first CSV row is a header when every field is a non-empty, non-numeric, distinct name."""
    return bool(fields) and all(f.strip() and not _is_number(f) for f in fields) and len(set(fields)) == len(fields)
