"""Alert handler Lambda: CloudWatch alarms (via SNS) and SageMaker / ModelMonitor run events → one readable alert.

Self-contained (stdlib + boto3) because the Platform ships this folder alone. Layers: `events` parses raw input into
frozen dataclasses; `logic`, `signals`, `incidents` (the incident lifecycle) and `render` are pure; `enrich`,
`routes`, `dedupe`, `incident_store` and `run_metrics` do the I/O behind Protocols (`clients` makes the boto3
clients), and `handler` wires them. Inputs, incidents, environment and permissions: docs/alerts.md.
"""
