"""The pinned AWS SDK for pandas layer table against its published source and Lambda's own API model.

Expected values from outside: rows copied verbatim from aws/aws-sdk-pandas tag 3.17.0 docs/source/layers.rst;
botocore's lambda service model (CreateFunction: Layers' ARN pattern and count, the Runtime and Architecture enums,
the Handler pattern)."""

from __future__ import annotations

import re
import subprocess
import sys

import botocore.session
import pytest

from modelmonitor.components.engine_lambda import ARCHITECTURE, HANDLER, RUNTIME
from modelmonitor.components.images import partition
from modelmonitor.packaging.layers import LayerUnavailableError, load_table, pandas_layer_arn, parse_layers_rst
from tests.components.conftest import example, on_engine

# Verbatim from aws/aws-sdk-pandas@3.17.0 docs/source/layers.rst.
PUBLISHED = """\
| ap-east-1      | 3.12   | x86_64| arn:aws:lambda:ap-east-1:839552336658:layer:AWSSDKPandas-Python312:26              |
+----------------+--------+-------+------------------------------------------------------------------------------------+
| cn-north-1     | 3.12   | arm64 | arn:aws-cn:lambda:cn-north-1:406640652441:layer:AWSSDKPandas-Python312-Arm64:10    |
+----------------+--------+-------+------------------------------------------------------------------------------------+
| us-east-1      | 3.12   | x86_64| arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29              |
"""
CREATE_FUNCTION = botocore.session.get_session().get_service_model("lambda").operation_model("CreateFunction")


def test_the_parser_reads_the_published_grid_table() -> None:
    table = parse_layers_rst(PUBLISHED)
    assert table["ap-east-1"]["3.12"]["x86_64"] == \
        "arn:aws:lambda:ap-east-1:839552336658:layer:AWSSDKPandas-Python312:26"
    assert table["cn-north-1"]["3.12"]["arm64"] == \
        "arn:aws-cn:lambda:cn-north-1:406640652441:layer:AWSSDKPandas-Python312-Arm64:10"


def test_the_pinned_table_holds_the_published_rows() -> None:
    table = load_table()
    assert table.release == "3.17.0" and "layers.rst" in table.source
    for region, pythons in parse_layers_rst(PUBLISHED).items():
        for python, arches in pythons.items():
            for arch, arn in arches.items():
                assert pandas_layer_arn(region, python, arch, table) == arn  # type: ignore[arg-type]


def test_every_pinned_arn_is_a_layer_version_lambda_accepts_in_its_region() -> None:
    layers_shape = CREATE_FUNCTION.input_shape.members["Layers"]
    pattern = re.compile(layers_shape.member.metadata["pattern"])
    for region, pythons in load_table().layers.items():
        for python, arches in pythons.items():
            for arch, arn in arches.items():
                assert pattern.fullmatch(arn), arn
                parts = arn.split(":")
                assert (parts[1], parts[3]) == (partition(region), region), arn
                name = f"AWSSDKPandas-Python{python.replace('.', '')}" + ("-Arm64" if arch == "arm64" else "")
                assert parts[6] == name and parts[7].isdigit(), arn  # pinned version, never "latest"


def test_the_function_settings_are_values_lambda_accepts() -> None:
    members = CREATE_FUNCTION.input_shape.members
    assert RUNTIME in members["Runtime"].enum
    assert ARCHITECTURE in members["Architectures"].member.enum
    assert re.fullmatch(members["Handler"].metadata["pattern"], HANDLER)
    assert members["Layers"].metadata.get("max", 5) >= 1


def test_govcloud_has_no_layer_and_the_error_names_the_setting() -> None:
    with pytest.raises(LayerUnavailableError, match=r"spec\.engineSettings\.analyzerImage"):
        pandas_layer_arn("us-gov-west-1", "3.12", "x86_64")


def test_render_refuses_the_zip_path_where_no_layer_exists_with_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    document = on_engine(example("minimal.yaml"), "lambda").model_dump(by_alias=True, exclude_none=True)
    document["spec"]["region"] = "us-gov-west-1"
    path = tmp_path / "gov.yaml"
    import yaml

    path.write_text(yaml.safe_dump(document))
    done = subprocess.run([sys.executable, "-m", "modelmonitor.cli", "render", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "spec.engineSettings.analyzerImage" in done.stderr and "Traceback" not in done.stderr
