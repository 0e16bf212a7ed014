"""Entry layer: the shells that start runs — the BYOC / Processing-job container (`byoc`, run by
`python -m modelmonitor.analyzer`), the Lambda handler (`lambda_handler`), and our engines' scheduled run
(`engine_run`: the window, data and model quality) with its publishing of metrics and run events
(`engine_outputs`).

May import: every layer below. Belongs here: environment, events, exit codes, AWS clients."""
