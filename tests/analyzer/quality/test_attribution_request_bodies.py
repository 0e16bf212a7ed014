"""The requests our engines' attribution sends to the model carry the body their ContentType names, and JSON Lines
responses are read as JSON Lines (first written by an outside review against code that sent CSV rows labelled
application/jsonlines and parsed a JSON Lines response as one document).

featureAttribution.contentType renders as the analysis configuration's predictor.content_type, which AWS defines as
"The model input format to be used for getting inferences" with valid values "text/csv" for CSV and
"application/jsonlines" for JSON Lines ("Parameters to Monitor Attribution Drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-model-explainability-parameters.html).
InvokeEndpoint's ContentType is "The MIME type of the input data in the request body" (SageMaker Runtime API
reference). JSON Lines: every line is a JSON value (https://jsonlines.org/); `{"features": [...]}` is the instance
shape our capture readers decode (docs/analyzer.md, "Payloads") and Clarify's default JSON Lines content template
(`{"features":$features}`, "Analysis Configuration Files"). Each body sent below is also read back through the
capture readers (`payload_rows`), so what we send is what we would read from data capture.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest

from modelmonitor.analyzer.quality.attribution_requests import AttributionError
from modelmonitor.analyzer.quality.attribution_run import (
    EndpointModel,
    parse_attribution_config,
)
from modelmonitor.analyzer.read.payloads import PayloadSide, payload_rows

ROWS = np.array([[1.0, 2.0], [3.0, 4.0]])


def _config(content_type: str, accept: str = "text/csv", score: str | int = 0) -> Any:
    return parse_attribution_config({
        "headers": ["a", "b"], "methods": {"shap": {"baseline": [[0.0, 0.0]], "num_samples": 2}},
        "predictor": {"content_type": content_type, "accept_type": accept, "probability": score}})


def _send(content_type: str, payload: PayloadSide | None = None) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    def invoke(**request: Any) -> dict[str, Any]:
        sent.append(request)
        return {"Body": io.BytesIO(b"0.5\n0.5\n")}

    EndpointModel(invoke=invoke, endpoint="churn", config=_config(content_type), run_id="r", payload=payload)(ROWS)
    (request,) = sent
    assert request["ContentType"] == content_type
    return request


def _read_back(request: dict[str, Any], payload: PayloadSide | None = None) -> list[Any]:
    return payload_rows({"data": request["Body"].decode(), "encoding": "JSON",
                         "observedContentType": request["ContentType"]}, payload)


def test_a_json_lines_model_gets_one_json_document_per_row() -> None:
    request = _send("application/jsonlines")
    lines = request["Body"].decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"features": [1.0, 2.0]}, {"features": [3.0, 4.0]}]
    assert _read_back(request) == [["1.0", "2.0"], ["3.0", "4.0"]]


def test_a_csv_model_gets_csv_lines() -> None:
    assert _send("text/csv")["Body"].decode().splitlines() == ["1.0,2.0", "3.0,4.0"]


def test_json_requests_follow_the_payload_mapping() -> None:
    lines_side = PayloadSide(path="data.features", names=("a", "b"))
    request = _send("application/jsonlines", lines_side)
    assert [json.loads(line) for line in request["Body"].decode().splitlines()] == [
        {"data": {"features": {"a": 1.0, "b": 2.0}}}, {"data": {"features": {"a": 3.0, "b": 4.0}}}]
    assert _read_back(request, lines_side) == [{"a": "1.0", "b": "2.0"}, {"a": "3.0", "b": "4.0"}]
    json_side = PayloadSide(path="instances[*].features")
    request = _send("application/json", json_side)
    assert json.loads(request["Body"]) == {"instances": [{"features": [1.0, 2.0]}, {"features": [3.0, 4.0]}]}
    assert _read_back(request, json_side) == [["1.0", "2.0"], ["3.0", "4.0"]]


@pytest.mark.parametrize(("content_type", "payload", "message"), [
    ("application/json", None, "set spec.payload.input.path with one \\[\\*\\]"),
    ("application/x-npy", None, "built as text/csv, application/jsonlines or application/json"),
    ("application/jsonlines", PayloadSide(path="instances[*].features"), "without \\[\\*\\]"),
    ("text/csv", PayloadSide(path="features"), "does not apply to CSV"),
])
def test_a_body_that_cannot_be_built_is_refused_before_any_call(content_type: str, payload: PayloadSide | None,
                                                                message: str) -> None:
    def invoke(**request: Any) -> dict[str, Any]:
        raise AssertionError("no request may be sent")

    with pytest.raises(AttributionError, match=message):
        EndpointModel(invoke=invoke, endpoint="churn", config=_config(content_type), run_id="r", payload=payload)


def test_a_json_lines_response_is_read_line_by_line() -> None:
    def invoke(**request: Any) -> dict[str, Any]:
        return {"Body": io.BytesIO(b'{"score": 0.25}\n{"score": 0.75}\n')}

    config = _config("text/csv", accept="application/jsonlines", score="score")
    model = EndpointModel(invoke=invoke, endpoint="churn", config=config, run_id="r")
    assert model(ROWS).tolist() == [0.25, 0.75]
