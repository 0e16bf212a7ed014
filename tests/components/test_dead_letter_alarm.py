"""Scheduled runs that end in the dead-letter queue page someone.

A Lambda timeout or out-of-memory kill emits no Failed run event, and Scheduler dead-letters what it cannot
deliver; only the heartbeat would notice, periods later. The alarm watches SQS's own metric: AWS's SQS developer
guide, "Available CloudWatch metrics for Amazon SQS": namespace AWS/SQS, `ApproximateNumberOfMessagesVisible`
("The number of messages available for retrieval from the queue"), dimension `QueueName`.
"""

from __future__ import annotations

import json

import pytest

from modelmonitor.components.render import render_plan
from tests.components.conftest import example, of_type, on_engine


@pytest.mark.parametrize("engine", ["lambda", "processingJob"])
def test_the_runs_dead_letter_queue_is_alarmed(engine: str) -> None:
    plan = render_plan([on_engine(example("lambda-engine.yaml"), engine)])
    (queue,) = of_type(plan, "sqs/queue:Queue")
    targets = {s["inputs"]["target"]["deadLetterConfig"]["arn"] for s in of_type(plan, "scheduler/schedule:Schedule")}
    assert targets == {queue["outputs"]["arn"]}
    (alarm,) = [a["inputs"] for a in of_type(plan, "metricAlarm:MetricAlarm") if a["inputs"]["namespace"] == "AWS/SQS"]
    assert alarm["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["dimensions"] == {"QueueName": queue["outputs"]["name"]}
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["treatMissingData"]) == (
        "GreaterThanThreshold", 0, "notBreaching")
    alarm_topics = {t["outputs"]["arn"] for t in of_type(plan, "sns/topic:Topic") if t["name"].endswith("-alarms")}
    assert set(alarm["alarmActions"]) & alarm_topics
    assert json.loads(alarm["alarmDescription"].split("\n\nmodelmonitor:")[1])["kind"] == "execution_failed"
