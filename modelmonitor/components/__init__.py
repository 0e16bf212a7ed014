"""Pulumi components that provision a ModelMonitor on AWS.

Pure builders (no Pulumi): `names`, `images`, `schedules`, `policies`, `alarms`, `dashboards`.
Components: `platform.Platform` (one per account/region), `monitor.ModelMonitor` (one per document), whose
engine is a swappable child builder (`engine_model_monitor`). Programs: `program.monitor_program` (one monitor,
the operator's inline program) and `program.monitors_program` (`__main__.py`). Offline: `render.render_plan`.
"""
