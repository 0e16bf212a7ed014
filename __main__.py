"""`pulumi up` entry point (GitOps path): one ModelMonitor per document in monitors/*.yaml.

Thin by design: configuration in, the shared program (modelmonitor.program) out.
"""

import pulumi

from modelmonitor.loader import load_monitors

config = pulumi.Config("modelmonitor")
monitors = load_monitors(config.get("monitorsDir") or "monitors")
pulumi.export("monitors", [f"{m.document.metadata.namespace}/{m.document.metadata.name}" for m in monitors])
