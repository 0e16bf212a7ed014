"""Where data comes from: a local file, a local directory, or an `s3://` prefix (boto3; `AWS_ENDPOINT_URL` is
honoured). Objects are listed once, optionally filtered to a time window by SageMaker's hourly capture layout
`.../{yyyy}/{mm}/{dd}/{hh}/file`, and streamed in bounded chunks."""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from modelmonitor.analyzer.base.errors import AnalyzerInputError
from modelmonitor.analyzer.native._csvfast import report_shrinking

CHUNK_BYTES = 8 << 20
"""Read size per request: big enough to amortise S3 round trips, small enough to keep memory flat."""
LOCAL_BLOCK_BYTES = 4 << 20
"""Block size of a local file (no round trip to amortise): half the memory in flight of 8 MB blocks, and the fresh
pages the kernel must zero for their value buffers (a local CSV block itself is a map of the file, see
`iter_block_views`). Statistics are summed per block, so their last bits depend on this size."""

_HOUR_PATH = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")
_SKIPPED_NAMES = re.compile(r"^(\.|_SUCCESS$|_started)")
_YEAR = re.compile(r"^\d{4}$")
CAPTURE_ROOT_DEPTH = 2
"""Levels between a given prefix and the year folders: {endpoint}/{variant}/."""
MAX_WINDOW_HOURS = 24 * 7
MAX_DISCOVERED_PREFIXES = 1000


@dataclass(frozen=True)
class Window:
    """Half-open analysis window [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise AnalyzerInputError(f"end_time {self.end.isoformat()} is not after start_time "
                                     f"{self.start.isoformat()}")

    def overlaps_hour(self, hour_start: datetime) -> bool:
        return hour_start < self.end and hour_start + timedelta(hours=1) > self.start

    @property
    def start_key(self) -> str:
        """`YYYY-MM-DDTHH:MM:SS`: compares lexicographically with a capture's `inferenceTime[:19]`."""
        return self.start.strftime("%Y-%m-%dT%H:%M:%S")

    @property
    def end_key(self) -> str:
        return self.end.strftime("%Y-%m-%dT%H:%M:%S")


N = TypeVar("N", int, float)


def env_number(env: Mapping[str, str], name: str, parse: Callable[[str], N], what: str) -> N | None:
    """The run environment's variable `name` parsed, None when unset or empty; AnalyzerInputError naming it when it
    is not `what` (every entry and job reads its numbers through this one rule)."""
    raw = env.get(name)
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise AnalyzerInputError(f"{name} must be {what}, got {raw!r}") from exc


def parse_time(text: str, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise AnalyzerInputError(f"{what} {text!r} is not an ISO-8601 time (e.g. 2026-11-24T10:00:00Z)") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def capture_hour(key: str) -> datetime | None:
    match = _HOUR_PATH.search(key)
    if not match:
        return None
    y, mo, d, h = (int(g) for g in match.groups())
    try:
        return datetime(y, mo, d, h, tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class DataObject:
    uri: str
    size: int


def s3_client() -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)


def split_s3(uri: str) -> tuple[str, str]:
    rest = uri[len("s3://"):]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise AnalyzerInputError(f"{uri!r} names no bucket")
    return bucket, key


def _in_window(key: str, window: Window | None) -> bool:
    if window is None:
        return True
    hour = capture_hour(key)
    return hour is None or window.overlaps_hour(hour)


def list_objects(location: str, window: Window | None = None) -> list[DataObject]:
    """Every data object under `location` (sorted), filtered by capture hour when a window is given."""
    if location.startswith("s3://"):
        pruned = _list_s3_window(location, window) if window is not None else None
        objects = pruned if pruned is not None else _list_s3(location)
    else:
        objects = _list_local(Path(location))
    return [o for o in objects if _in_window(o.uri, window)]


def _list_local(path: Path) -> list[DataObject]:
    if path.is_file():
        return [DataObject(str(path), path.stat().st_size)]
    if not path.is_dir():
        raise AnalyzerInputError(f"{path}: no such file or directory")
    files = sorted(p for p in path.rglob("*")
                   if p.is_file() and not any(_SKIPPED_NAMES.match(part) for part in p.relative_to(path).parts))
    return [DataObject(str(p), p.stat().st_size) for p in files]


def _child_prefixes(client: Any, bucket: str, prefix: str) -> list[str]:
    found: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        found.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
    return found


def _list_s3_window(uri: str, window: Window) -> list[DataObject] | None:
    """Only the window's hour folders of a capture prefix: descend at most `CAPTURE_ROOT_DEPTH` levels
    ({endpoint}/{variant}/) to the folders whose children are years, then list `yyyy/mm/dd/hh/` per hour. A bucket
    that collects captures for months is not listed in full every hour. None (list everything) when that
    layout is not there or the window spans more than `MAX_WINDOW_HOURS`."""
    from botocore.exceptions import BotoCoreError, ClientError

    hours: list[datetime] = []
    hour = window.start.replace(minute=0, second=0, microsecond=0)
    while hour < window.end and len(hours) <= MAX_WINDOW_HOURS:
        hours.append(hour)
        hour += timedelta(hours=1)
    if len(hours) > MAX_WINDOW_HOURS:
        return None
    bucket, key = split_s3(uri)
    client = s3_client()
    frontier = [key if not key or key.endswith("/") else key + "/"]
    roots: list[str] = []
    try:
        for _ in range(CAPTURE_ROOT_DEPTH + 1):
            deeper: list[str] = []
            for prefix in frontier:
                children = _child_prefixes(client, bucket, prefix)
                if children and all(_YEAR.match(c[len(prefix):].rstrip("/")) for c in children):
                    roots.append(prefix)
                else:
                    deeper.extend(children)
            if not deeper or len(deeper) > MAX_DISCOVERED_PREFIXES:
                break
            frontier = deeper
        if not roots:
            return None
        found: list[DataObject] = []
        for root in roots:
            for h in hours:
                for page in client.get_paginator("list_objects_v2").paginate(
                        Bucket=bucket, Prefix=f"{root}{h:%Y/%m/%d/%H}/"):
                    found.extend(DataObject(f"s3://{bucket}/{o['Key']}", int(o["Size"]))
                                 for o in page.get("Contents", []) if not o["Key"].endswith("/"))
    except ClientError as exc:
        raise AnalyzerInputError(f"{uri}: {exc.response.get('Error', {}).get('Message') or exc}") from exc
    except BotoCoreError as exc:
        raise AnalyzerInputError(f"{uri}: {exc}") from exc
    return sorted(found, key=lambda o: o.uri)


def _list_s3(uri: str) -> list[DataObject]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    client = s3_client()
    prefix = key if not key or key.endswith("/") else key + "/"
    found: list[DataObject] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.extend(DataObject(f"s3://{bucket}/{o['Key']}", int(o["Size"])) for o in page.get("Contents", [])
                         if not o["Key"].endswith("/") and not _SKIPPED_NAMES.match(o["Key"].rsplit("/", 1)[-1]))
        if not found and key and not key.endswith("/"):
            head = client.head_object(Bucket=bucket, Key=key)
            found.append(DataObject(uri, int(head["ContentLength"])))
    except ClientError as exc:
        raise AnalyzerInputError(f"{uri}: {exc.response.get('Error', {}).get('Message') or exc}") from exc
    except BotoCoreError as exc:
        raise AnalyzerInputError(f"{uri}: {exc}") from exc
    return sorted(found, key=lambda o: o.uri)


def iter_bytes(obj: DataObject, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    if obj.uri.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3(obj.uri)
        try:
            body = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
            yield from body.iter_chunks(chunk_bytes)
        except (ClientError, BotoCoreError) as exc:
            raise AnalyzerInputError(f"{obj.uri}: {exc}") from exc
        return
    try:
        with open(obj.uri, "rb") as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk
    except OSError as exc:
        raise AnalyzerInputError(f"{obj.uri}: {exc.strerror or exc}") from exc


def iter_lines(obj: DataObject, chunk_bytes: int = CHUNK_BYTES) -> Iterator[list[bytes]]:
    """Complete lines (without newline) in chunk-sized groups; a final line without newline is kept."""
    rest = b""
    for chunk in iter_bytes(obj, chunk_bytes):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        if lines:
            yield lines
    if rest.strip():
        yield [rest]


def iter_blocks(obj: DataObject, chunk_bytes: int | None = None) -> Iterator[bytes | bytearray]:
    """The object's bytes in blocks that end right after a newline (the last block may lack one and is dropped
    when blank, as `iter_lines` drops a blank final line): the same lines as `iter_lines`, never split. Blocks of
    `chunk_bytes` (`LOCAL_BLOCK_BYTES` from a local file, `CHUNK_BYTES` from S3, when not given)."""
    if not obj.uri.startswith("s3://"):
        yield from _local_blocks(obj.uri, chunk_bytes or LOCAL_BLOCK_BYTES)
        return
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    rest = b""
    for chunk in iter_bytes(obj, chunk_bytes):
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest.strip():
        yield rest


def _local_blocks(path: str, chunk_bytes: int) -> Iterator[bytearray]:
    """`iter_blocks` of a local file with one copy per byte (the read): each block is read into its own buffer,
    cut after its last newline, and the file position moved back to the cut, instead of joining and slicing."""
    try:
        with open(path, "rb") as handle:
            while True:
                block = bytearray(chunk_bytes)
                size = handle.readinto(block)
                if not size:
                    return
                del block[size:]
                while (cut := block.rfind(b"\n") + 1) == 0 and (more := handle.read(chunk_bytes)):
                    block += more  # a line longer than a block
                if cut == 0 or cut == len(block):
                    if cut or block.strip():
                        yield block
                    continue
                handle.seek(cut - len(block), os.SEEK_CUR)
                del block[cut:]
                yield block
    except OSError as exc:
        raise AnalyzerInputError(f"{path}: {exc.strerror or exc}") from exc


def iter_block_views(obj: DataObject, chunk_bytes: int | None = None) -> Iterator[memoryview]:
    """`iter_blocks` as read-only views. A local file's blocks are views of the file's pages as the kernel caches
    them (`_mapped_blocks`), never copied; an S3 object's are its downloaded bytes."""
    if obj.uri.startswith("s3://"):
        for block in iter_blocks(obj, chunk_bytes):
            yield memoryview(block).toreadonly()
        return
    chunk_bytes = chunk_bytes or LOCAL_BLOCK_BYTES
    try:
        with open(obj.uri, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            mappable = size > 0 and _mappable(handle.fileno(), size)
            if mappable:
                report_shrinking(obj.uri)
                yield from _mapped_blocks(handle.fileno(), size, chunk_bytes)
    except OSError as exc:
        raise AnalyzerInputError(f"{obj.uri}: {exc.strerror or exc}") from exc
    if not mappable:  # a file system that cannot map files, or a file whose size is not known (/proc)
        for block in _local_blocks(obj.uri, chunk_bytes):
            yield memoryview(block).toreadonly()


def _mappable(fileno: int, size: int) -> bool:
    try:
        mmap.mmap(fileno, min(size, mmap.PAGESIZE), access=mmap.ACCESS_READ).close()
    except OSError:
        return False
    return True


_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
"""Linux: the block's pages are entered in one call when it is mapped, instead of a page fault per 64 KiB as the
parser first touches them (about 4 % less CPU time on a 1M-row window)."""


def _mapped_blocks(fileno: int, size: int, chunk_bytes: int) -> Iterator[memoryview]:
    """The blocks of the first `size` bytes of an open file, each a view of its own read-only memory map of the
    file: no copy out of the page cache, no fresh pages to zero (reading into new buffers spent about 10 % of the
    CPU time of reading a large CSV on both). A block's map is unmapped when its last view goes, so its pages leave
    the process's resident memory with it, as a buffer would. A line longer than a block widens the block's map up
    to the file's end. A file that shrinks while it is read takes the pages behind a block with it, and the kernel
    signals the next touch of them (SIGBUS) where a read would have returned less: `report_shrinking` has that end
    the run with exit 2 and one line naming the file."""
    start = 0
    while start < size:
        offset = start - start % mmap.ALLOCATIONGRANULARITY
        length = min(size, start + chunk_bytes) - offset
        while True:
            mapped = mmap.mmap(fileno, length, flags=mmap.MAP_SHARED | _MAP_POPULATE, prot=mmap.PROT_READ,
                               offset=offset)
            cut = mapped.rfind(b"\n", start - offset) + 1
            if cut or offset + length == size:
                break
            length = min(size - offset, 2 * length)  # a line longer than a block
        end = offset + (cut or length)
        if cut or mapped[start - offset:].strip():
            yield memoryview(mapped)[start - offset:end - offset]
        del mapped  # unmapped with its block's last view
        start = end


def read_text(uri: str) -> bytes:
    """A whole small object (baseline files)."""
    if uri.startswith("s3://"):
        obj = DataObject(uri, 0)
        return b"".join(iter_bytes(obj))
    try:
        return Path(uri).read_bytes()
    except OSError as exc:
        raise AnalyzerInputError(f"{uri}: {exc.strerror or exc}") from exc


def load_json(uri: str, what: str) -> Any:
    """A whole small JSON document (baseline files, analysis configurations); AnalyzerInputError names it."""
    import orjson

    try:
        return orjson.loads(read_text(uri))
    except orjson.JSONDecodeError as exc:
        raise AnalyzerInputError(f"{what} {uri} is not valid JSON: {exc}") from exc


def write_bytes(uri: str, data: bytes) -> None:
    if uri.startswith("s3://"):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3(uri)
        try:
            s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise AnalyzerInputError(f"cannot write {uri}: {exc}") from exc
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
