"""Reference files copied from outside the project (each file names its source)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SDK_CLARIFY: dict[str, Any] = json.loads((DATA / "sdk-clarify.json").read_text())
"""sagemaker-core/src/sagemaker/core/image_uri_config/clarify.json of aws/sagemaker-python-sdk at commit
a24812666d258d9d19c9a82d0c9385ca0bd3ba01."""
SDK_CLARIFY_PROCESSOR: dict[str, Any] = json.loads((DATA / "sdk-clarify-processor.json").read_text())
"""What the SageMaker SDK's `SageMakerClarifyProcessor` sends to a Clarify processing job (extracted from
sagemaker-core/src/sagemaker/core/clarify/__init__.py of aws/sagemaker-python-sdk at commit
a24812666d258d9d19c9a82d0c9385ca0bd3ba01; the file says what it holds)."""
