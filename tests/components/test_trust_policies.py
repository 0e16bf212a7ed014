"""Every role's trust policy, per service principal, in the form AWS documents for that principal.

The rendered plan (every example on every engine) is searched for roles; each role is evaluated with the request
context the AWS service presents when it assumes the role (`tests.components.iam_trust`, IAM's condition
semantics), or compared with AWS's documented policy where the page shows one without conditions. The context
and documented forms come from AWS's pages, cited per test, never from our policy builders.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from modelmonitor.components.render import MOCK_ACCOUNT, PlannedResource, render_plan
from tests.components.conftest import EXAMPLES, example, of_type, on_engine
from tests.components.iam_trust import allows

OTHER_ACCOUNT = "210987654321"


@cache
def _plans() -> tuple[tuple[str, tuple[PlannedResource, ...]], ...]:
    plans = []
    for path in EXAMPLES:
        for engine in ("modelMonitor", "lambda", "processingJob"):
            document = on_engine(example(path.name), engine)
            plans.append((f"{path.stem}/{engine}", tuple(render_plan([document]))))
    return tuple(plans)


def _roles(principal: str) -> list[tuple[str, list[PlannedResource], PlannedResource, dict[str, Any]]]:
    """(plan id, plan, role, trust policy) of every role that trusts `principal`."""
    found = []
    for plan_id, plan in _plans():
        for role in of_type(list(plan), "iam/role:Role"):
            trust = json.loads(role["inputs"]["assumeRolePolicy"])
            services = {s for statement in trust["Statement"]
                        for s in ([statement["Principal"]["Service"]] if isinstance(statement["Principal"]["Service"],
                                                                             str)
                                  else statement["Principal"]["Service"])}
            if principal in services:
                found.append((plan_id, list(plan), role, trust))
    assert found, f"no role trusts {principal}: the test would check nothing"
    return found


def _region(role: PlannedResource, plan: list[PlannedResource]) -> str:
    """The region the role's users run in: the one the plan's regional resources (log groups, queues) carry."""
    arns = [str(r["outputs"].get("arn", "")) for r in plan if r["type"] != "aws:iam/role:Role"]
    regions = {arn.split(":")[3] for arn in arns if arn.startswith("arn:") and arn.split(":")[3]}
    assert len(regions) == 1, regions
    return regions.pop()


def test_scheduler_role_trusts_the_schedule_group() -> None:
    """https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html:
    "The value of aws:SourceArn must be your EventBridge Scheduler schedule group ARN to which you want to scope
    this condition. [...] Do not scope the aws:SourceArn statement to a specific schedule or a schedule name
    prefix. The ARN you specify must be a schedule group." Scheduler assumes the role presenting the GROUP's ARN
    (arn:aws:scheduler:REGION:ACCOUNT:schedule-group/GROUP) and our account."""
    for plan_id, plan, role, trust in _roles("scheduler.amazonaws.com"):
        role_arn = role["outputs"]["arn"]
        (schedule,) = [r for r in of_type(plan, "scheduler/schedule:Schedule")
                       if r["inputs"]["target"]["roleArn"] == role_arn]
        group = schedule["inputs"]["groupName"]
        region = _region(role, plan)
        group_arn = f"arn:aws:scheduler:{region}:{MOCK_ACCOUNT}:schedule-group/{group}"
        presented = {"aws:SourceArn": group_arn, "aws:SourceAccount": MOCK_ACCOUNT}
        assert allows(trust, "scheduler.amazonaws.com", presented), f"{plan_id}: {role['name']} refuses {group_arn}"
        foreign = {"aws:SourceArn": group_arn.replace(MOCK_ACCOUNT, OTHER_ACCOUNT),
                   "aws:SourceAccount": OTHER_ACCOUNT}
        assert not allows(trust, "scheduler.amazonaws.com", foreign), f"{plan_id}: {role['name']} trusts anyone"


# https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html ("Creating and managing roles
# with the AWS CLI"): the trust policy AWS shows for a function's execution role, verbatim. Lambda's page shows
# no condition, and Lambda's assumption of the role is not documented to carry aws:SourceArn: a condition on the
# function's ARN is a guess that can only make the function unable to run.
LAMBDA_DOCUMENTED_STATEMENT = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}


def test_lambda_execution_roles_have_the_documented_trust() -> None:
    for plan_id, _plan, role, trust in _roles("lambda.amazonaws.com"):
        assert trust["Statement"] == [LAMBDA_DOCUMENTED_STATEMENT], f"{plan_id}: {role['name']}"


def test_state_machine_role_trusts_its_state_machine() -> None:
    """https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html ("Prevent cross-service
    confused deputy issue"): Step Functions presents the state machine's ARN as aws:SourceArn and our account as
    aws:SourceAccount; the trust may name exactly that state machine."""
    for plan_id, plan, role, trust in _roles("states.amazonaws.com"):
        role_arn = role["outputs"]["arn"]
        (machine,) = [r for r in of_type(plan, "sfn/stateMachine:StateMachine") if r["inputs"]["roleArn"] == role_arn]
        presented = {"aws:SourceArn": machine["outputs"]["arn"], "aws:SourceAccount": MOCK_ACCOUNT}
        assert allows(trust, "states.amazonaws.com", presented), f"{plan_id}: {role['name']}"
        other = {**presented, "aws:SourceArn": machine["outputs"]["arn"] + "-other"}
        assert not allows(trust, "states.amazonaws.com", other), f"{plan_id}: {role['name']} trusts any machine"


@pytest.mark.parametrize("job", ["processing-job/churn-dq-1a2b3c-0f1e2d3c4b5a69788796a5b4c3d2e1f0-a0",
                                 "model-quality-job-definition/churn-mq-job"])
def test_sagemaker_roles_admit_this_accounts_jobs(job: str) -> None:
    """https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html (the execution role's trust names
    sagemaker.amazonaws.com) and .../security-confused-deputy-prevention.html ("Use aws:SourceAccount if you want
    to allow any resource in that account to be associated with the cross-service use"): processing-job names are
    made per run, so a role may be conditioned on our account at most — a SageMaker job of ours must get it."""
    for plan_id, plan, role, trust in _roles("sagemaker.amazonaws.com"):
        region = _region(role, plan)
        presented = {"aws:SourceArn": f"arn:aws:sagemaker:{region}:{MOCK_ACCOUNT}:{job}",
                     "aws:SourceAccount": MOCK_ACCOUNT}
        assert allows(trust, "sagemaker.amazonaws.com", presented), f"{plan_id}: {role['name']}"
