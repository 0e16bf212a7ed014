"""Arrow reads blocks of common capture records; whatever it reads must be what the record-by-record path reads:
the same rows and counters (malformed examples and their line numbers included), for any mix of records."""

from __future__ import annotations

import base64
import functools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmonitor.analyzer.read import capture as capture_reader
from modelmonitor.analyzer.read.batches import Batch, CaptureLayout, ReadCounters
from modelmonitor.analyzer.read.capture import read_capture
from modelmonitor.analyzer.read.sources import DataObject, Window, iter_blocks, parse_time

WINDOW = Window(parse_time("2026-11-24T01:00:00Z", "start"), parse_time("2026-11-24T02:00:00Z", "end"))


def _payload(data: str, encoding: str = "CSV") -> dict[str, str]:
    return {"observedContentType": "text/csv", "mode": "INPUT", "data": data, "encoding": encoding}


def _record(inp: dict[str, str] | None, out: dict[str, str] | None, when: str | None) -> str:
    capture: dict[str, object] = {}
    if inp is not None:
        capture["endpointInput"] = inp
    if out is not None:
        capture["endpointOutput"] = out
    record: dict[str, object] = {"captureData": capture, "eventVersion": "0"}
    if when is not None:
        record["eventMetadata"] = {"eventId": "e", "inferenceTime": when}
    return json.dumps(record)


row = st.lists(st.sampled_from(["1", "2.5", "", "x", "-0", "nan"]), min_size=1, max_size=3).map(",".join)
payload = st.one_of(
    row.map(_payload),
    row.map(_payload),
    row.map(lambda r: _payload(f"[{r!r}]" if r else "[]", "JSON")),
    row.map(lambda r: _payload(base64.b64encode(r.encode()).decode(), "BASE64")),
    st.sampled_from([_payload('"a,b",1'), _payload("1,2\n3,4"), _payload("1", "csv"), {"encoding": "CSV"}]),
)
when = st.sampled_from([None, "2026-11-24T01:30:00Z", "2026-11-24T00:59:59Z", "2026-11-24T02:00:00Z", "bad"])
line = st.one_of(
    st.builds(_record, payload, st.one_of(st.none(), payload), when),
    st.builds(_record, payload, st.one_of(st.none(), payload), when),
    st.sampled_from(["", "   ", "{not json", "[1, 2]", '{"captureData": null}', '{"eventVersion": "0"}']),
)


def _rows(batches: list[Batch]) -> list[tuple[str, ...]]:
    """Rows as the statistics see them: in any order, narrower rows padded with missing values (a JSON "[]" request
    is a row without columns)."""
    rows = [row for b in batches for row in (zip(*b.columns, strict=True) if b.columns else [()] * b.n_rows)]
    width = max((len(r) for r in rows), default=0)
    return sorted(r + ("",) * (width - len(r)) for r in rows)


def _read(paths: list[Path], layout: CaptureLayout, window: Window | None, *, fast: bool, chunk: int,
          monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(capture_reader, "capture_lines", lambda *_a, **_k: None)
        patch.setattr(capture_reader, "iter_blocks", functools.partial(iter_blocks, chunk_bytes=chunk))
        counters = ReadCounters()
        batches = list(read_capture([DataObject(str(p), 1) for p in paths], layout, counters, window))
    return (_rows(batches), counters.lines, counters.records, counters.malformed, counters.outside_window,
            counters.examples)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.lists(line, max_size=8), min_size=1, max_size=2),
       layout=st.sampled_from(["output_first", "input_only"]), windowed=st.booleans(),
       chunk=st.sampled_from([50, 400, 1 << 20]))
def test_block_path_reads_what_the_record_path_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     files: list[list[str]], layout: CaptureLayout, windowed: bool,
                                                     chunk: int) -> None:
    paths = []
    for i, lines in enumerate(files):
        path = tmp_path / f"{i}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    window = WINDOW if windowed else None
    fast = _read(paths, layout, window, fast=True, chunk=chunk, monkeypatch=monkeypatch)
    slow = _read(paths, layout, window, fast=False, chunk=chunk, monkeypatch=monkeypatch)
    assert fast == slow


def test_common_records_take_the_arrow_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([
        _record(_payload("1,a"), _payload("0.9"), "2026-11-24T01:10:00Z"),
        "",
        _record(_payload("2,b"), None, "2026-11-24T01:20:00Z"),
        _record(_payload("3,c"), _payload("0.1"), "2026-11-24T03:00:00Z"),  # after the window
    ]) + "\n")
    counters = ReadCounters()
    with monkeypatch.context() as patch:
        patch.setattr(capture_reader, "_capture_records", lambda *_a, **_k: pytest.fail("took the record path"))
        batches = list(read_capture([DataObject(str(path), 1)], "output_first", counters, WINDOW))
    assert _rows(batches) == [("0.9", "1", "a"), ("2", "b", "")]
    assert (counters.lines, counters.records, counters.outside_window, counters.malformed) == (4, 2, 1, 0)


def test_malformed_lines_are_numbered_within_their_own_file(tmp_path: Path) -> None:
    good = _record(_payload("1"), None, None)
    paths = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(f"{good}\n{good}\n{{broken\n")
        paths.append(path)
    counters = ReadCounters()
    list(read_capture([DataObject(str(p), 1) for p in paths], "input_only", counters))
    assert [e.split(":")[0] for e in counters.examples] == [f"{paths[0]} line 3", f"{paths[1]} line 3"]
