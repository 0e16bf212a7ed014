"""The bias analyzer reads Clarify's bias analysis configuration as AWS and Clarify's reference implementation do
("Parameters to Monitor Bias Drift", https://docs.aws.amazon.com/sagemaker/latest/dg/
clarify-config-json-monitor-bias-parameters.html). First written by an outside review against code that made a score
equal to the threshold favourable and refused a label index.

- "the ProbabilityThresholdAttribute value of 0.6 indicates that a probability greater than 0.6 predicts the binary
  label as 1" (the page above); the SageMaker Python SDK's ModelPredictedLabelConfig: classify as "yes" "predictions
  with a probability score over 0.2" for probability_threshold=0.2 (sagemaker-core/src/sagemaker/core/clarify/
  __init__.py). smclarify 0.5, the reference implementation (tools/clarify_golden), puts a threshold's favourable
  side in `pd.IntervalIndex.from_breaks([threshold, max])`, the right-closed interval (threshold, max]
  (smclarify/bias/report.py, `_interval_index` / `_continuous_data_idx`): run in `.venv-clarify`,
  `_positive_label_index(pd.Series([0.6, 0.61, 0.59, 0.25]), DataType.CONTINUOUS, [0.6])` gives
  [False, True, False, False]. So a score equal to the threshold is label 0. (Model quality keeps its own rule.)
- "label" is "Specified either as a column name, or an index (if dataset format is CSV)" (the page above); the SDK's
  ANALYSIS_CONFIG_SCHEMA_V1_0 types it `Or(str, int)` (same file).
"""

from __future__ import annotations

import pytest

from modelmonitor.analyzer.quality.bias_analysis import dataset_analysis, favourable_predictions
from modelmonitor.analyzer.quality.bias_config import BiasConfigError, parse_config

CONFIG = {"label": "approved", "label_values_or_threshold": [1], "facet": [{"name_or_index": "gender"}],
          "probability_threshold": 0.6}


def test_a_score_equal_to_the_threshold_is_not_the_favourable_label() -> None:
    favourable = favourable_predictions([0.6, 0.61, 0.59, 0.25], parse_config(CONFIG))
    assert favourable.tolist() == [False, True, False, False]


def test_label_may_be_a_column_index() -> None:
    config = parse_config({**CONFIG, "label": 1})
    assert config.label == 1
    columns: dict[str, list[object]] = {"gender": ["f", "m", "f", "m"], "approved": [1, 0, 1, 1]}
    by_index = dataset_analysis(columns, config)
    assert by_index == dataset_analysis(columns, parse_config(CONFIG))
    assert by_index["pre_training_bias_metrics"]["label"] == "approved"


@pytest.mark.parametrize("label", [-1, True, "", 1.5, None])
def test_a_label_that_is_neither_a_name_nor_an_index_is_refused(label: object) -> None:
    with pytest.raises(BiasConfigError, match="label: the ground-truth label's column name or index"):
        parse_config({**CONFIG, "label": label})
