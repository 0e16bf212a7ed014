"""`modelmonitor validate` refuses bias / attribution / batch-transform specs that AWS's documented contracts rule
out, instead of every run failing later (an outside review found them accepted). Invalid manifests exit 1 with the
file and the field (tests/spec/test_cli_validate.py).

Sources (outside our code):
- "Parameters to Monitor Attribution Drift"
  https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-model-explainability-parameters.html:
  predictor.content_type valid values "text/csv", "application/jsonlines", "application/x-parquet",
  "application/x-image"; predictor.accept_type valid values "text/csv", "application/jsonlines". The SageMaker Python
  SDK's ModelConfig (sagemaker-core/src/sagemaker/core/clarify/__init__.py) raises "Invalid accept_type" for any
  accept type outside text/csv, application/jsonlines, application/json.
- botocore's sagemaker model, shape MonitoringDatasetFormat: the formats a monitoring job reads are Csv, Json and
  Parquet only (a batch transform source's capture is read with it: BatchTransformInput.DatasetFormat).
- "Parameters to Monitor Bias Drift"
  https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-config-json-monitor-bias-parameters.html:
  facet.name_or_index is a column name (of `headers`) or an index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml

from modelmonitor.cli import main

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, example: str, edit: Any) -> Path:
    doc = yaml.safe_load((REPO / "examples" / example).read_text())
    edit(doc["spec"])
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(("field", "value"), [("accept", "text/plain"), ("contentType", "text/plain")])
def test_validate_refuses_an_attribution_media_type_clarify_does_not_take(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["engine"] = "modelMonitor"
        spec["featureAttribution"].pop("backgroundRows")
        spec["featureAttribution"]["backgroundS3Uri"] = "s3://acme-growth-baselines/churn/background.csv"
        spec["featureAttribution"][field] = value
    assert main(["validate", str(_write(tmp_path, "feature-attribution.yaml", edit))]) == 1
    assert f"featureAttribution.{field}" in capsys.readouterr().err


def test_validate_refuses_a_batch_content_type_monitoring_cannot_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    formats = botocore.session.get_session().get_service_model("sagemaker").shape_for("MonitoringDatasetFormat")
    assert set(formats.members) == {"Csv", "Json", "Parquet"}  # an image is none of them
    path = _write(tmp_path, "batch-transform.yaml",
                  lambda spec: spec["batchTransform"].update(contentType="image/png"))
    assert main(["validate", str(path)]) == 1
    assert "batchTransform.contentType" in capsys.readouterr().err


def test_validate_refuses_a_facet_that_is_not_a_column(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The example names its request columns (payload.input.names); a facet outside them and not an index can never
    be found by Clarify or by our analyzer, at every run."""
    def edit(spec: dict[str, Any]) -> None:
        assert "ethnicity" not in spec["payload"]["input"]["names"]
        spec["modelBias"]["facets"][0]["name"] = "ethnicity"
    assert main(["validate", str(_write(tmp_path, "bias-drift.yaml", edit))]) == 1
    assert "ethnicity" in capsys.readouterr().err


def test_render_refuses_the_attribution_budget_validate_refuses(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` refuses a featureAttribution whose every run needs more model rows than maxModelRows (the analyzer
    refuses each such run before any call); `render` (and the deployment path behind it) accepts the same manifest,
    exits 0 and says each run "sends at most 10 rows to the model". One verdict for one manifest: validate exits 1
    (an invalid manifest), render 2 (its documented code for a monitor the components refuse), both saying why."""
    path = _write(tmp_path, "feature-attribution.yaml",
                  lambda spec: spec["featureAttribution"].update(maxModelRows=10))
    assert main(["validate", str(path)]) == 1
    said = capsys.readouterr().err
    assert main(["render", str(path)]) == 2
    refused = capsys.readouterr().err
    assert "a run needs 1,222 model rows" in said and "a run needs 1,222 model rows" in refused
    assert "Traceback" not in refused


def test_validate_refuses_named_facets_without_any_headers(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Without payload.input.names or modelBias.headers the rendered configuration has no `headers`, yet its facets
    and group variable are names ("gender", "zip_region"). Endpoint captures of CSV requests carry no header row,
    so a name can only be resolved through `headers` ("headers" – "A list of column names in the dataset";
    name_or_index – "Facet column name or index"): nothing can find these columns, at every run."""
    def edit(spec: dict[str, Any]) -> None:
        spec.pop("payload")
        spec["engine"] = "modelMonitor"
        spec["dataQuality"] = {"analyzer": "builtin"}
    assert main(["validate", str(_write(tmp_path, "bias-drift.yaml", edit))]) == 1
    assert "modelBias" in capsys.readouterr().err
