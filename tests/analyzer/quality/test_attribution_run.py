"""Attribution drift on a small local model served by a fake endpoint (no AWS): the model's dependence moves from
one feature to another and the nDCG against the baseline falls below AWS's 0.90; the same model stays clean.

The fake stands in for sagemaker-runtime's InvokeEndpoint (moto's returns canned bodies, not a model's output); its
requests are checked against botocore's InvokeEndpoint input shape, so the InferenceId marker fits AWS's pattern
and length."""

from __future__ import annotations

import csv
import io
from typing import Any

import botocore.session
import numpy as np
import pytest
from botocore.validate import ParamValidator

from modelmonitor.analyzer.quality.attribution_requests import AttributionError
from modelmonitor.analyzer.quality.attribution_run import (
    EndpointModel,
    explain_window,
    parse_attribution_config,
)
from modelmonitor.analyzer.read.records import SYNTHETIC_INFERENCE_PREFIX, is_synthetic

HEADERS = ["tenure", "charges", "calls", "usage"]
INVOKE = botocore.session.get_session().get_service_model("sagemaker-runtime").operation_model("InvokeEndpoint")


class FakeEndpoint:
    """A logistic model behind InvokeEndpoint's signature: CSV rows in, one probability per line out."""

    def __init__(self, weights: list[float]) -> None:
        self.weights = np.array(weights)
        self.requests: list[dict[str, Any]] = []

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        report = ParamValidator().validate(request, INVOKE.input_shape)
        assert not report.has_errors(), report.generate_report()
        self.requests.append(request)
        rows = np.array([[float(v) for v in r] for r in csv.reader(io.StringIO(request["Body"].decode())) if r])
        scores = 1 / (1 + np.exp(-(rows @ self.weights)))
        return {"Body": io.BytesIO("".join(f"{s:.12f}\n" for s in scores).encode()), "ContentType": "text/csv"}


def _config(**extra: Any) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    return {"headers": HEADERS, "methods": {"shap": {"baseline": rng.normal(size=(3, 4)).round(3).tolist(),
                                                     "num_samples": 100}}, "max_rows": 15, **extra}


def _window(seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"{v:.4f}" for v in row] for row in rng.normal(size=(200, 4))]


def _explain(endpoint: FakeEndpoint, *, baseline: Any = None, **extra: Any) -> Any:
    config = parse_attribution_config(_config(**extra))
    model = EndpointModel(invoke=endpoint.invoke_endpoint, endpoint="churn", config=config, run_id="2026120105")
    return explain_window(_window(3), model, baseline=baseline)


def test_a_model_that_moves_its_weight_to_another_feature_is_flagged() -> None:
    before = FakeEndpoint([2.0, 1.0, 0.2, 0.05])
    baseline = _explain(before).analysis
    same = _explain(FakeEndpoint([2.0, 1.0, 0.2, 0.05]), baseline=baseline)
    assert same.violations == [] and same.ndcg["label0"] == pytest.approx(1.0)
    after = _explain(FakeEndpoint([0.05, 0.2, 1.0, 2.5]), baseline=baseline)
    assert after.ndcg["label0"] < 0.9
    assert [v["constraint_check_type"] for v in after.violations] == ["feature_attribution_drift_check"]
    shap_values = after.analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert max(shap_values, key=shap_values.get) == "usage"


def test_requests_are_marked_batched_and_counted() -> None:
    endpoint = FakeEndpoint([1.0, 0.5, 0.0, 0.0])
    result = _explain(endpoint)
    ids = [r["InferenceId"] for r in endpoint.requests]
    assert all(i.startswith(SYNTHETIC_INFERENCE_PREFIX) for i in ids) and len(set(ids)) == len(ids)
    assert result.requests == len(endpoint.requests)
    sent = sum(len(r["Body"].decode().splitlines()) for r in endpoint.requests)
    assert result.model_rows == sent == 3 + 15 + 15 * 14 * 3          # background, rows, rows × 14 coalitions × 3
    assert is_synthetic({"eventMetadata": {"inferenceId": ids[0]}})
    assert not is_synthetic({"eventMetadata": {"inferenceId": "customer-1"}})


def test_a_run_over_its_model_budget_is_refused_before_any_call() -> None:
    endpoint = FakeEndpoint([1.0, 0.5, 0.0, 0.0])
    with pytest.raises(AttributionError, match=r"sends 648 rows to the model, more than max_model_rows \(500\)"):
        _explain(endpoint, max_model_rows=500)
    assert endpoint.requests == []


def test_an_endpoint_that_answers_one_row_per_request_is_named() -> None:
    class OneRow(FakeEndpoint):
        def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
            super().invoke_endpoint(**request)
            return {"Body": io.BytesIO(b"0.5\n")}

    with pytest.raises(AttributionError, match="answered 1 rows for 3 sent"):
        _explain(OneRow([1.0, 0.0, 0.0, 0.0]))


@pytest.mark.parametrize(("change", "message"), [
    ({"headers": ["only"]}, "headers: the names"),
    ({"methods": {}}, "methods.shap is required"),
    ({"methods": {"shap": {"baseline": [[1, 2]]}}}, "rows of the 4 features"),
    ({"max_rows": 0}, "max_rows must be a positive whole number"),
])
def test_bad_configuration_names_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(AttributionError, match=message):
        parse_attribution_config({**_config(), **change})
