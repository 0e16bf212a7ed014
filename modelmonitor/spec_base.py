"""What every model of the spec shares (`modelmonitor.spec` and the monitor-type modules it imports): the model
configuration, the exactly-one rule and the ground-truth join of model quality and bias drift."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel, to_snake
from pydantic_core import PydanticCustomError

from modelmonitor.formats import Duration, S3Uri


def _require_exactly_one(data: Any, section: str, first: str, second: str) -> Any:
    """Checked on the raw mapping, so the error is reported even when the chosen branches have errors too. A field
    counts under either spelling the models accept (`populate_by_name`): camelCase or its snake_case name."""
    if isinstance(data, dict):
        present = [key for key in (first, second) if data.get(key, data.get(to_snake(key))) is not None]
        if len(present) != 1:
            found = "both are" if present else "neither is"
            raise PydanticCustomError(
                "one_of", "exactly one of {section}.{first} or {section}.{second} must be set ({found})",
                {"section": section, "first": first, "second": second, "found": found})
    return data


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
        use_attribute_docstrings=True,
        # A manifest is JSON to Kubernetes and the analysis configurations we render are JSON files: neither can
        # carry NaN or Infinity (RFC 8259 §6), which YAML's .nan / .inf would otherwise bring in.
        allow_inf_nan=False,
    )


class GroundTruthJoin(_Model):
    """Where ground-truth labels are and how late they come: model quality and bias drift join them the same way."""

    ground_truth_s3_uri: S3Uri | None = None
    """Prefix of ground-truth JSON lines (SageMaker's layout: yyyy/mm/dd/hh/)."""
    label_delay: Duration = "24h"
    """How long labels take to arrive: the evaluated window ends this long ago."""
    min_ground_truth_coverage: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Alarm when fewer than this fraction of predictions have a label after the delay."""
