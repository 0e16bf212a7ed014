"""Alert handler Lambda: CloudWatch alarms (via SNS) and SageMaker / ModelMonitor run events → one readable alert.

Self-contained (stdlib + boto3) because the Platform ships this folder alone. Layers: `events` parses raw input into
frozen dataclasses, `logic` and `render` are pure, `enrich` / `routes` / `dedupe` do the I/O behind Protocols, and
`handler` wires them. Inputs, environment and permissions: docs/alerts.md.
"""
