"""The Platform ships `modelmonitor/alerts/` alone as the Lambda asset: it must import and run from a copy of that
folder with nothing but the standard library and boto3 on the path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import modelmonitor.alerts

SCRIPT = """
import json, os, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
os.environ.update(ALERT_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:t", AWS_DEFAULT_REGION="us-east-1")
from modelmonitor.alerts import handler
result = handler.handler({"Records": "nope"}, None)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"pydantic", "yaml", "numpy", "pulumi", "kopf"})
print(json.dumps({"file": handler.__file__, "forbidden": loaded, "result": result}))
"""


def test_alert_folder_runs_on_its_own(tmp_path: Path) -> None:
    asset = tmp_path / "asset"
    shutil.copytree(Path(modelmonitor.alerts.__file__).parent, asset / "modelmonitor" / "alerts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    site_packages = sysconfig.get_paths()["purelib"]  # where boto3 lives; the Lambda runtime provides its own
    done = subprocess.run([sys.executable, "-I", "-c", SCRIPT, str(asset), site_packages],
                          capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["file"] == str(asset / "modelmonitor" / "alerts" / "handler.py")
    assert report["forbidden"] == []
    assert report["result"]["malformed"] == 1
    assert report["result"]["errors"] == ["event: malformed: Records is not a non-empty list"]
