"""`pulumi up` entry point (GitOps path): one ModelMonitor per document in monitors/*.yaml, one Platform per region.

Thin by design: stack configuration in, the shared program (modelmonitor.components.program) out. An invalid
document stops the run with the loader's precise message (file, document, field path, what was expected).
"""

import pulumi

from modelmonitor import __version__
from modelmonitor.components.program import ProgramSettings, check_analyzer_image_provided, monitors_program
from modelmonitor.errors import ManifestError, ModelMonitorError
from modelmonitor.loader import load_monitors

config = pulumi.Config("modelmonitor")
try:
    monitors = load_monitors(config.get("monitorsDir") or "monitors")
except ManifestError as exc:
    raise pulumi.RunError(f"invalid ModelMonitor documents:\n{exc}") from None

# Each monitor's spec.region decides where its resources go (explicit per-region providers); the stack's
# aws:region only names the stack's home. Say so when they differ, so nobody is surprised.
stack_region = pulumi.Config("aws").get("region")
for monitor in monitors:
    if stack_region and monitor.document.spec.region != stack_region:
        pulumi.log.info(f"{monitor.document.metadata.namespace}/{monitor.document.metadata.name}: deployed to "
                        f"{monitor.document.spec.region} (spec.region), not the stack's aws:region {stack_region}")

settings = ProgramSettings(
    existing_alert_topic_arn=config.get("alertTopicArn"),
    existing_bucket_name=config.get("bucketName"),
    kms_key_arn=config.get("kmsKeyArn"),
    analyzer_image_tag=config.get("analyzerImageTag") or __version__,
    analyzer_build_context=config.get("analyzerBuildContext"),
    analyzer_image_pushed=config.get_bool("analyzerImagePushed") or False,
    platform_name=config.get("platformName"),
)
documents = [m.document for m in monitors]
try:
    check_analyzer_image_provided(documents, settings)
except ModelMonitorError as exc:
    raise pulumi.RunError(str(exc)) from None
monitors_program(documents, settings)
