"""`pulumi up` entry point (GitOps path): one ModelMonitor per document in monitors/*.yaml, one Platform per region.

Thin by design: stack configuration in, the shared program (modelmonitor.components.program) out. An invalid
document stops the run with the loader's precise message (file, document, field path, what was expected).
"""

import pulumi

from modelmonitor.components.program import ProgramSettings, monitors_program
from modelmonitor.errors import ManifestError
from modelmonitor.loader import load_monitors

config = pulumi.Config("modelmonitor")
try:
    monitors = load_monitors(config.get("monitorsDir") or "monitors")
except ManifestError as exc:
    raise pulumi.RunError(f"invalid ModelMonitor documents:\n{exc}") from None

monitors_program(
    [m.document for m in monitors],
    ProgramSettings(
        existing_alert_topic_arn=config.get("alertTopicArn"),
        existing_bucket_name=config.get("bucketName"),
        kms_key_arn=config.get("kmsKeyArn"),
        analyzer_image_tag=config.get("analyzerImageTag") or "latest",
    ),
)
