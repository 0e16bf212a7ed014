"""The record preprocessor hook, with SageMaker Model Monitor's contract: a Python file (local or `s3://`) defining
`preprocess_handler(inference_record)` or `preprocess_handler(inference_record, logger)`, called once per capture
record, returning a flat dict (one row: feature name → value) or a list of flat dicts (one row each); an empty
result drops the record. The same file works as Model Monitor's `record_preprocessor_script` (`RecordPreprocessor
SourceUri`) and here, under our engines.

`inference_record` mirrors AWS's captured-data object: `endpoint_input` / `endpoint_output` (each with `data`,
`encoding`, `mode`, `observed_content_type`; `endpoint_output` is None when outputs were not captured),
`event_metadata` (`event_id`, `inference_id`, `inference_time`) and `event_version`.

A record whose handler raises, or returns something else, is counted as malformed with the handler's error — one
bad record never fails the run (the run's malformed threshold still applies to the whole window).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelmonitor.analyzer.base.errors import AnalyzerInputError, RecordError
from modelmonitor.analyzer.read.batches import Row, fmt
from modelmonitor.analyzer.read.sources import read_text

HANDLER = "preprocess_handler"
log = logging.getLogger("modelmonitor.analyzer.preprocessor")


@dataclass(frozen=True)
class CapturedPayload:
    data: str
    encoding: str
    mode: str
    observed_content_type: str


@dataclass(frozen=True)
class EventMetadata:
    event_id: str | None
    inference_id: str | None
    inference_time: str | None


@dataclass(frozen=True)
class InferenceRecord:
    endpoint_input: CapturedPayload
    endpoint_output: CapturedPayload | None
    event_metadata: EventMetadata
    event_version: str | None


def _payload(raw: Any) -> CapturedPayload | None:
    if not isinstance(raw, dict):
        return None
    return CapturedPayload(data=str(raw.get("data", "")), encoding=str(raw.get("encoding", "")),
                           mode=str(raw.get("mode", "")), observed_content_type=str(raw.get("observedContentType", "")))


def inference_record(record: dict[str, Any]) -> InferenceRecord:
    """A capture line's JSON object as the handler receives it."""
    capture = record["captureData"]
    endpoint_input = _payload(capture["endpointInput"])
    if endpoint_input is None:
        raise RecordError("captureData.endpointInput is not an object")
    metadata = record.get("eventMetadata") or {}
    return InferenceRecord(
        endpoint_input=endpoint_input, endpoint_output=_payload(capture.get("endpointOutput")),
        event_metadata=EventMetadata(event_id=metadata.get("eventId"), inference_id=metadata.get("inferenceId"),
                                     inference_time=metadata.get("inferenceTime")),
        event_version=record.get("eventVersion"))


@dataclass(frozen=True)
class Preprocessor:
    source: str
    handler: Callable[..., Any]
    takes_logger: bool

    def rows(self, record: dict[str, Any]) -> list[Row]:
        """The handler's rows for one capture record; RecordError names what went wrong."""
        argument = inference_record(record)
        try:
            result = self.handler(argument, log) if self.takes_logger else self.handler(argument)
        # The handler is the user's code: whatever it raises is that record's failure, counted, never the run's —
        # a sys.exit() in it included (it would otherwise end the run as a success with nothing written).
        except (Exception, SystemExit) as exc:
            raise RecordError(f"{HANDLER} raised {type(exc).__name__}: {exc}") from exc
        return _result_rows(result)


def _result_rows(result: Any) -> list[Row]:
    if result is None:
        return []
    items = [result] if isinstance(result, dict) else result
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise RecordError(f"{HANDLER} must return a dict or a list of dicts, got {type(result).__name__}")
    return [{str(key): fmt(value) for key, value in item.items()} for item in items if item]


def load_preprocessor(source: str) -> Preprocessor:
    """Compile the script at `source` (a path or an `s3://` URI) and find its handler."""
    try:
        code = read_text(source).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnalyzerInputError(f"record preprocessor {source}: not UTF-8 Python source ({exc})") from exc
    namespace: dict[str, Any] = {"__name__": "record_preprocessor", "__file__": source}
    try:
        exec(compile(code, source, "exec"), namespace)  # the user's own preprocessor, run as AWS runs it
    # Importing the user's script runs its top level: any error there (sys.exit() too) is a configuration error.
    except (Exception, SystemExit) as exc:
        raise AnalyzerInputError(f"record preprocessor {source} failed to load: {type(exc).__name__}: {exc}") from exc
    handler = namespace.get(HANDLER)
    if not callable(handler):
        raise AnalyzerInputError(f"record preprocessor {source} defines no function {HANDLER}(inference_record)")
    parameters = list(inspect.signature(handler).parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not 1 <= len(positional) <= 2 and not any(p.kind is p.VAR_POSITIONAL for p in parameters):
        raise AnalyzerInputError(f"record preprocessor {source}: {HANDLER} must take (inference_record) or "
                                 f"(inference_record, logger), it takes {len(positional)} argument(s)")
    return Preprocessor(source=source, handler=handler, takes_logger=len(positional) >= 2)
