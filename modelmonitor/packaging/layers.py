"""AWS's managed AWS SDK for pandas Lambda layer: which ARN serves a region, Python version and architecture.

The table (`aws_sdk_pandas_layers.json`) is generated from the layer's published per-region table of one tagged
release (aws/aws-sdk-pandas `docs/source/layers.rst`, rendered at aws-sdk-pandas.readthedocs.io/en/<release>/
layers.html) by `python -m modelmonitor.packaging layer-table layers.rst`: pinned ARNs (with their layer version),
never "latest", so a deployment does not change under a stack. Regions missing there (GovCloud, and regions the
release does not list) have no managed layer: the zip path is refused with the settings that work instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from modelmonitor.errors import ModelMonitorError

TABLE_FILE = Path(__file__).resolve().parent / "aws_sdk_pandas_layers.json"
Architecture = Literal["x86_64", "arm64"]
ARCHITECTURES: tuple[Architecture, ...] = ("x86_64", "arm64")

# What the pinned release carries (aws/aws-sdk-pandas tag 3.17.0): building/lambda/build-lambda-layer.sh builds
# pyarrow from apache-arrow ARROW_VERSION=24.0.0; numpy is uv.lock's pin for Python 3.11–3.13 (2.2.6; 2.4.2 is for
# 3.14+). The analyzer's layer-compatibility tests install exactly these (make layer-compat).
LAYER_RELEASE = "3.17.0"
LAYER_NUMPY = "2.2.6"
LAYER_PYARROW = "24.0.0"
LAYER_UNZIPPED_BYTES = 204 * 1024 * 1024
"""Upper bound of the layer's unzipped size: `du -h` of the 3.16.1 layer printed 204M (aws/aws-sdk-pandas#3331,
"Stark increase in layer size with version 3.16.1"; 3.15.1 and 3.16.0 were 167M). 3.17.0 builds Arrow without ICU
again (aws/aws-sdk-pandas#3334), so the largest documented figure is a safe bound; the layer cannot be downloaded
here to measure it."""

_ROW = re.compile(r"^\|\s*([a-z0-9-]+)\s*\|\s*(3\.\d+)\s*\|\s*(x86_64|arm64)\s*\|\s*(arn:[^\s|]+)\s*\|", re.M)


class LayerUnavailableError(ModelMonitorError):
    """No managed AWS SDK for pandas layer is published for this region / Python / architecture."""


@dataclass(frozen=True)
class LayerTable:
    release: str
    source: str
    layers: dict[str, dict[str, dict[str, str]]]
    """region → Python version ("3.12") → architecture → layer version ARN."""


def parse_layers_rst(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """The grid table of layers.rst as region → Python → architecture → ARN (the generator's pure part)."""
    table: dict[str, dict[str, dict[str, str]]] = {}
    for region, python, arch, arn in _ROW.findall(text):
        table.setdefault(region, {}).setdefault(python, {})[arch] = arn
    if not table:
        raise ValueError("no layer rows found: not the aws-sdk-pandas layers.rst grid table")
    return table


def load_table(path: Path = TABLE_FILE) -> LayerTable:
    raw = json.loads(path.read_text())
    return LayerTable(release=raw["release"], source=raw["source"], layers=raw["layers"])


def pandas_layer_arn(region: str, python: str, arch: Architecture, table: LayerTable | None = None) -> str:
    """The pinned layer ARN for a function in `region` running `python` on `arch`; refused where none exists."""
    table = table or load_table()
    arn = table.layers.get(region, {}).get(python, {}).get(arch)
    if arn is None:
        raise LayerUnavailableError(
            f"spec.region {region}: AWS publishes no AWS SDK for pandas Lambda layer (release {table.release}) for "
            f"Python {python} on {arch} there, so engine lambda cannot run the analyzer as a zip package. Set "
            "spec.engineSettings.analyzerImage to an analyzer image you push to ECR (docs/deploy.md), or use "
            "engine processingJob")
    return arn
