"""Parquet and Arrow IPC (file and stream formats) datasets, streamed with bounded memory: a Parquet file one row
group at a time (at most `BATCH_ROWS` rows per batch), an Arrow IPC file or stream one record batch at a time.

Objects are told apart by their magic bytes (`PAR1`; `ARROW1` for the IPC file format; the 0xFFFFFFFF
continuation marker that starts an IPC stream). S3 objects are read with ranged GETs through a seekable file
object, so a Parquet reader fetches the footer and then each row group's column chunks — never the whole object.
A file that cannot be read as what it claims to be is an input error naming it.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from modelmonitor.analyzer.base.arrowlib import pa
from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.read.arrow_typing import stats_column
from modelmonitor.analyzer.read.batches import BATCH_ROWS, Batch, ReadCounters
from modelmonitor.analyzer.read.sources import DataObject, iter_bytes, s3_client, split_s3

ColumnarFormat = Literal["parquet", "arrow"]
PARQUET_MAGIC = b"PAR1"
ARROW_FILE_MAGIC = b"ARROW1"
ARROW_STREAM_MAGIC = b"\xff\xff\xff\xff"
MAGIC_BYTES = 8


def columnar_kind(head: bytes) -> ColumnarFormat | None:
    """The columnar format an object's first bytes announce, or None (text)."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ARROW_FILE_MAGIC) or head.startswith(ARROW_STREAM_MAGIC):
        return "arrow"
    return None


def head_bytes(obj: DataObject, n: int = MAGIC_BYTES) -> bytes:
    """The first `n` bytes of an object (one small read, also on S3)."""
    if obj.uri.startswith("s3://"):
        with _S3File(obj.uri, obj.size) as handle:
            return handle.read(n)
    for chunk in iter_bytes(obj, chunk_bytes=n):
        return chunk
    return b""


def read_columnar(objects: Sequence[DataObject], fmt: ColumnarFormat, counters: ReadCounters,
                  on_bytes: Callable[[int], None] | None = None) -> Iterator[Batch]:
    """Every object's rows as batches of typed columns (`arrow_typing.stats_column`), named by the file's schema."""
    for obj in objects:
        if obj.size == 0:
            continue
        with _open(obj) as handle:
            kind = columnar_kind(handle.read(MAGIC_BYTES))
            if kind != fmt:
                raise AnalyzerInputError(f"{obj.uri}: not a{'n Arrow IPC' if fmt == 'arrow' else ' Parquet'} file "
                                         "(its first bytes say otherwise); a dataset holds one format")
            handle.seek(0)
            for batch in record_batches(handle, fmt, obj.uri):
                _check_names(batch.schema.names, obj.uri)
                for start in range(0, batch.num_rows, BATCH_ROWS):
                    part = batch.slice(start, BATCH_ROWS)
                    counters.records += part.num_rows
                    yield Batch(names=list(part.schema.names),
                                text_columns=[stats_column(part.column(i), name, obj.uri)
                                              for i, name in enumerate(part.schema.names)],
                                n_rows=part.num_rows)
        if on_bytes is not None:
            on_bytes(obj.size)


def _check_names(names: list[str], uri: str) -> None:
    """Two columns of one name would be added up as one feature (as a repeated CSV header name would)."""
    if len(set(names)) != len(names):
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        raise AnalyzerInputError(f"{uri}: the schema repeats column name(s) {', '.join(map(repr, repeated))}")


def record_batches(handle: Any, fmt: ColumnarFormat, uri: str) -> Iterator[Any]:
    """The record batches of an open file (`open_s3_object`, or a local file opened for binary reading), one row
    group or IPC record batch at a time; any Arrow or I/O failure is an input error naming the file, on one line."""
    what = "Parquet" if fmt == "parquet" else "Arrow IPC"
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            # A row group at a time (no pre-buffering of the whole file): memory follows the row group.
            yield from pq.ParquetFile(handle, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS)
            return
        if handle.read(len(ARROW_FILE_MAGIC)) == ARROW_FILE_MAGIC:
            handle.seek(0)
            reader = pa.ipc.open_file(handle)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)
            return
        handle.seek(0)
        yield from pa.ipc.open_stream(handle)
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AnalyzerInputError(f"{uri}: not a readable {what} file: {first}") from exc


def open_s3_object(uri: str, size: int = 0, client: Any = None) -> io.BufferedReader:
    """A seekable binary file over an S3 object, read by ranged GETs (`client`: a boto3 S3 client; by default one
    for `AWS_ENDPOINT_URL`). `size` 0: asked of S3."""
    return io.BufferedReader(_S3File(uri, size, client), buffer_size=1 << 20)


def _open(obj: DataObject) -> Any:
    if obj.uri.startswith("s3://"):
        return open_s3_object(obj.uri, obj.size)
    try:
        return open(obj.uri, "rb")  # closed by the caller's `with`
    except OSError as exc:
        raise AnalyzerInputError(f"{obj.uri}: {exc.strerror or exc}") from exc


class _S3File(io.RawIOBase):
    """A read-only, seekable view of one S3 object: each read is one ranged GET of the bytes asked for."""

    def __init__(self, uri: str, size: int, client: Any = None) -> None:
        self._bucket, self._key = split_s3(uri)
        self._uri = uri
        self._client = client if client is not None else s3_client()
        self._size = size if size > 0 else self._head_size()
        self._position = 0

    def _head_size(self) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return int(self._client.head_object(Bucket=self._bucket, Key=self._key)["ContentLength"])
        except (ClientError, BotoCoreError) as exc:
            raise AnalyzerInputError(f"{self._uri}: {exc}") from exc

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readall(self) -> bytes:
        """The rest of the object in one GET (RawIOBase's default would ask for 8 KiB at a time)."""
        data = bytearray(max(0, self._size - self._position))
        size = self.readinto(data) if data else 0
        return bytes(data[:size])

    def readinto(self, buffer: Any) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        view = memoryview(buffer).cast("B")
        end = min(self._size, self._position + len(view))
        if end <= self._position:
            return 0
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=self._key,
                                           Range=f"bytes={self._position}-{end - 1}")["Body"]
            data = body.read()
        except (ClientError, BotoCoreError) as exc:
            raise AnalyzerInputError(f"{self._uri}: {exc}") from exc
        view[:len(data)] = data
        self._position += len(data)
        return len(data)
